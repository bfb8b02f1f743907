"""A scenario's ``station`` step for an EC in station mode: the sandbox answers an operation in
the station's place (a PAA fault, a malformed answer, a delay past the node's timeout, a refused
receipt) and the node reacts as to a real answer; the timeline, the journal and the delivery log
say it was scripted, and the station never sees the scripted call."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from examples.station.app import Ledger, create_app
from simulator.config import Settings
from simulator.notify.transport import RequestsTransport
from simulator.services.clock import FixedClock
from simulator.services.delivery import Notifier
from simulator.services.station import SCRIPTED
from simulator.testing.pages_client import pay
from tests.conftest import ApiClient
from tests.functional.control_factories import app_with
from tests.functional.pages_factories import browser, create_cart
from tests.functional.rpt_factories import invia_rpt, post_soap, rpt
from tests.functional.station_factories import (
    BROKER,
    DEBTS,
    EC,
    PAYABLE,
    STATION_ID,
    counted_station,
    serving,
    set_station,
    station_notice,
)
from tests.functional.test_modello1 import RETURN, answer_of, cart_of

# Scenarios of a user's folder, beside the built-in station-* ones.
CUSTOM = {
    "station-says-expired": "  station:\n    verify: PAA_PAGAMENTO_SCADUTO\n",
    "station-slowish": "  station:\n    verify: {delay: 2s}\n",  # the node waits 5s in all
    "station-too-slow": "  station:\n    activate: {delay: 1m}\n",
    "station-holds-receipt": "  station:\n    receipt: PAA_RECEIPT_DUPLICATA\n",
    "station-never-takes-receipt": "  station:\n    receipt: {answer: PAA_SYSTEM_ERROR, times: 10}\n",
}


def with_custom_scenarios(settings: Settings, clock: FixedClock, tmp_path: Path, **changes: Any) -> Flask:
    folder = tmp_path / "scenarios"
    folder.mkdir(exist_ok=True)
    for scenario_id, steps in CUSTOM.items():
        (folder / f"{scenario_id}.yaml").write_text(
            f"version: 1\nid: {scenario_id}\ntitle: {scenario_id}\ndescription: A station step.\n"
            f"steps:\n{steps}",
            encoding="utf-8",
        )
    return app_with(settings, clock, tmp_path, scenario_dirs=(str(folder),), **changes)


@pytest.fixture
def sandbox(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    application = with_custom_scenarios(settings, clock, tmp_path)
    yield application
    application.extensions["sandbox"].close()


@pytest.fixture
def client(sandbox: Flask) -> ApiClient:
    return ApiClient(sandbox.test_client())


@pytest.fixture
def station(client: ApiClient) -> Iterator[tuple[Ledger, Counter[str]]]:
    with counted_station() as (url, ledger, calls):
        assert set_station(client, url, redirectUrl=RETURN, password="pwdpwd123").status_code == 200
        yield ledger, calls


def cart_with(api: ApiClient, scenario: str) -> str:
    cart_id = create_cart(api, station_notice())
    chosen = api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": scenario})
    assert chosen.status_code == 200, chosen.get_data(as_text=True)
    return cart_id


def cart(api: ApiClient, cart_id: str) -> dict[str, Any]:
    return dict(api.get(f"/_sandbox/v1/carts/{cart_id}").get_json())


def timeline(api: ApiClient, cart_id: str, type_: str) -> list[dict[str, Any]]:
    return [e["data"] for e in cart(api, cart_id)["timeline"] if e["type"] == type_]


def station_answers(api: ApiClient) -> list[str]:
    """The journal's answers of outbound calls, oldest first."""
    entries = api.get("/_sandbox/v1/journal").get_json()["entries"]
    return [e.get("responseBody") or "" for e in reversed(entries) if e.get("direction") == "out"]


def deliver(app: Flask) -> int:
    return Notifier(app.extensions["sandbox"], RequestsTransport()).deliver_due()


def receipt_deliveries(api: ApiClient, event: str = "paSendRTV2") -> list[dict[str, Any]]:
    rows = api.get(f"/_sandbox/v1/deliveries?event={event}").get_json()["deliveries"]
    return [api.get(f"/_sandbox/v1/deliveries/{r['id']}").get_json() for r in rows]


def advance(api: ApiClient, seconds: int) -> None:
    assert api.post("/_sandbox/v1/clock/advance", json={"seconds": seconds}).status_code == 200


# --- verify and activation ------------------------------------------------------------------------


def test_a_scripted_paa_fault_is_the_nodes_wrapped_fault_and_the_station_is_not_asked(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    _, calls = station
    cart_id = cart_with(client, "station-says-expired")

    checkout = pay(browser(sandbox), f"/c/{cart_id}")

    assert checkout.outcome is None and "fault" in checkout.last.elements
    assert cart(client, cart_id)["fault"] == {
        "faultCodeCategory": "PAYMENT_EXPIRED",
        "faultCode": "PAA_PAGAMENTO_SCADUTO",
    }
    [call] = timeline(client, cart_id, "station.called")
    assert call == {
        "operation": "paVerifyPaymentNotice",
        "outcome": "KO",
        "faultCode": "PPT_ERRORE_EMESSO_DA_PAA",
        "stationFaultCode": "PAA_PAGAMENTO_SCADUTO",
        "reason": "PAA_PAGAMENTO_SCADUTO",
        "scripted": True,
    }
    assert calls["paVerifyPaymentNotice"] == 0
    [answer] = station_answers(client)
    assert answer.startswith(SCRIPTED) and "<faultCode>PAA_PAGAMENTO_SCADUTO</faultCode>" in answer


def test_a_station_refusing_the_activation_stops_the_headless_payment(
    client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    _, calls = station
    cart_id = cart_with(client, "station-activation-refused")

    answer = client.post(f"/_sandbox/v1/carts/{cart_id}/complete").get_json()

    assert (answer["state"], answer["fault"]) == (
        "FAILED",
        {"faultCodeCategory": "DOMAIN_UNKNOWN", "faultCode": "PAA_SYSTEM_ERROR"},
    )
    verify, activate = timeline(client, cart_id, "station.called")
    assert verify == {"operation": "paVerifyPaymentNotice", "outcome": "OK"}  # the real station's
    assert (activate["operation"], activate["stationFaultCode"], activate["scripted"]) == (
        "paGetPaymentV2",
        "PAA_SYSTEM_ERROR",
        True,
    )
    assert (calls["paVerifyPaymentNotice"], calls["paGetPaymentV2"]) == (1, 0)


def test_a_scripted_malformed_answer_is_errore_response_on_the_pages(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    _, calls = station
    cart_id = cart_with(client, "station-malformed-answer")

    checkout = pay(browser(sandbox), f"/c/{cart_id}")

    assert checkout.outcome is None
    assert "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE" in checkout.last.text_of("fault")
    assert cart(client, cart_id)["fault"] == {
        "faultCodeCategory": "DOMAIN_UNKNOWN",
        "faultCode": "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
    }
    [call] = timeline(client, cart_id, "station.called")
    assert call["scripted"] is True and call["faultCode"] == "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"
    assert calls["paVerifyPaymentNotice"] == 0
    assert station_answers(client)[0].startswith(SCRIPTED)


def test_a_station_slower_than_usual_but_in_time_only_slows_the_payment(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    ledger, calls = station
    cart_id = cart_with(client, "station-slowish")

    assert pay(browser(sandbox), f"/c/{cart_id}").outcome == 0

    [delayed] = timeline(client, cart_id, "step.delayed")
    assert (delayed["step"], delayed["delay"]) == ("station.paVerifyPaymentNotice", "2s")
    assert all("scripted" not in c for c in timeline(client, cart_id, "station.called"))
    assert calls["paVerifyPaymentNotice"] == 1  # the real station answered, late
    assert not any(a.startswith(SCRIPTED) for a in station_answers(client))
    assert deliver(sandbox) == 1
    assert ledger.debts[(EC, PAYABLE)].status == "paid"


def test_a_scripted_delay_counts_against_the_nodes_timeout_of_the_real_call(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    application = with_custom_scenarios(settings, clock, tmp_path, station_timeout_seconds=2.5)
    api = ApiClient(application.test_client())
    ledger = Ledger.load(DEBTS)
    inner = create_app(ledger, BROKER, STATION_ID)

    def answers_in_a_second(environ: Any, start_response: Any) -> Any:
        time.sleep(1)  # in time for 2.5 s, not for the 0.5 s the 2 s delay leaves
        return inner(environ, start_response)

    try:
        with serving(answers_in_a_second) as url:
            assert set_station(api, url).status_code == 200
            cart_id = cart_with(api, "station-slowish")
            assert pay(browser(application), f"/c/{cart_id}").outcome is None
        [call] = timeline(api, cart_id, "station.called")
        assert (call["faultCode"], call.get("scripted")) == ("PPT_STAZIONE_INT_PA_TIMEOUT", None)
    finally:
        application.extensions["sandbox"].close()


def test_a_station_slower_than_the_node_waits_is_timeout_and_is_never_called(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    _, calls = station
    cart_id = cart_with(client, "station-too-slow")

    checkout = pay(browser(sandbox), f"/c/{cart_id}")

    assert checkout.outcome is None
    assert cart(client, cart_id)["fault"] == {
        "faultCodeCategory": "DOMAIN_UNKNOWN",
        "faultCode": "PPT_STAZIONE_INT_PA_TIMEOUT",
    }
    [delayed] = timeline(client, cart_id, "step.delayed")
    assert (delayed["step"], delayed["delay"]) == ("station.paGetPaymentV2", "5s")  # the node's wait
    activation = timeline(client, cart_id, "station.called")[-1]
    assert (activation["operation"], activation["faultCode"], activation["scripted"]) == (
        "paGetPaymentV2",
        "PPT_STAZIONE_INT_PA_TIMEOUT",
        True,
    )
    assert (calls["paVerifyPaymentNotice"], calls["paGetPaymentV2"]) == (1, 0)


def test_the_station_step_does_nothing_for_an_ec_without_a_station(client: ApiClient) -> None:
    cart_id = cart_with(client, "station-malformed-answer")

    answer = client.post(f"/_sandbox/v1/carts/{cart_id}/complete").get_json()

    assert answer["outcome"] == 0
    assert timeline(client, cart_id, "station.called") == []


# --- the receipt ----------------------------------------------------------------------------------


def test_a_receipt_refused_by_the_script_is_retried_until_the_station_takes_it(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    ledger, calls = station
    assert pay(browser(sandbox), f"/c/{cart_with(client, 'station-receipt-retried')}").outcome == 0

    assert deliver(sandbox) == 1
    advance(client, 30)
    assert deliver(sandbox) == 1
    [pending] = receipt_deliveries(client)
    assert (pending["status"], pending["attemptCount"]) == ("pending", 2)
    assert (EC, PAYABLE) not in ledger.receipts
    advance(client, 120)
    assert deliver(sandbox) == 1

    [done] = receipt_deliveries(client)
    assert (done["status"], done["attemptCount"]) == ("delivered", 3)
    refused = done["attempts"][:2]
    assert [a.get("simulated") for a in done["attempts"]] == [True, True, False]
    assert all("PAA_SYSTEM_ERROR" in a["error"] and "scripted" in a["error"] for a in refused)
    assert calls["paSendRTV2"] == 1 and (EC, PAYABLE) in ledger.receipts
    receipt_answers = [a for a in station_answers(client) if "paSendRTV2Response" in a]
    assert [a.startswith(SCRIPTED) for a in receipt_answers] == [True, True, False]


def test_a_receipt_the_script_says_the_station_holds_is_delivered_without_a_call(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    ledger, calls = station
    assert pay(browser(sandbox), f"/c/{cart_with(client, 'station-holds-receipt')}").outcome == 0

    assert deliver(sandbox) == 1

    [delivery] = receipt_deliveries(client)
    assert (delivery["status"], delivery["attemptCount"]) == ("delivered", 1)
    assert delivery["attempts"][0]["simulated"] is True
    assert "PAA_RECEIPT_DUPLICATA" in delivery["attempts"][0]["responseExcerpt"]
    assert calls["paSendRTV2"] == 0 and (EC, PAYABLE) not in ledger.receipts


def test_a_receipt_refused_more_times_than_the_schedule_allows_fails_until_redelivered(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    ledger, calls = station
    assert pay(browser(sandbox), f"/c/{cart_with(client, 'station-never-takes-receipt')}").outcome == 0

    attempts = 0
    for _ in range(8):
        attempts += deliver(sandbox)
        advance(client, 21600)

    [delivery] = receipt_deliveries(client)
    schedule = len(sandbox.extensions["sandbox"].settings.notify_retry_schedule)
    assert (delivery["status"], delivery["attemptCount"], attempts) == ("failed", schedule, schedule)
    assert calls["paSendRTV2"] == 0 and (EC, PAYABLE) not in ledger.receipts

    # a redelivery is the tester's own: the script no longer answers it, the station gets it
    assert client.post(f"/_sandbox/v1/deliveries/{delivery['id']}/redeliver").status_code == 202
    assert deliver(sandbox) == 1
    assert calls["paSendRTV2"] == 1 and (EC, PAYABLE) in ledger.receipts


def test_a_modello_1_rt_refused_by_the_script_reaches_the_station_on_a_retry(
    sandbox: Flask, client: ApiClient, station: tuple[Ledger, Counter[str]]
) -> None:
    ledger, calls = station
    iuv = "02000000000000456"
    answer = post_soap(sandbox.test_client(), "nodoInviaRPT", invia_rpt(iuv, "C", rpt(iuv, "C")))
    cart_id = cart_of(sandbox, answer_of(answer, "nodoInviaRPTRisposta").findtext("url") or "")
    chosen = client.put(
        f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "station-receipt-retried"}
    )
    assert chosen.status_code == 200, chosen.get_data(as_text=True)

    assert pay(browser(sandbox), f"/c/{cart_id}").outcome == 0
    for wait in (30, 120, 0):
        assert deliver(sandbox) == 1
        advance(client, wait)

    [delivery] = receipt_deliveries(client, "paaInviaRT")
    assert (delivery["status"], delivery["attemptCount"]) == ("delivered", 3)
    assert "KO PAA_SYSTEM_ERROR" in delivery["attempts"][0]["error"]
    assert calls["paaInviaRT"] == 1 and (EC, iuv) in ledger.rts
