"""What the engine does at each step a scenario scripts: pending payments resolved by the tenant
clock, receipts delayed, duplicated or lost (and what GPD and the node then know), delays slept
up to a cap and recorded in the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from simulator.config import Settings
from simulator.services.scenario_engine import ScenarioEngine
from tests.conftest import ApiClient
from tests.functional.control_factories import (
    MANAGED_EC,
    cart_body,
    complete,
    events_of,
    gpd_receipts,
    managed_notice,
    new_cart,
    notice,
    option_status,
    status,
    synthetic_nav,
)
from tests.functional.pages_factories import ERROR_URL, WAITING_URL


def advance(api: ApiClient, seconds: int) -> None:
    assert api.post("/_sandbox/v1/clock/advance", json={"seconds": seconds}).status_code == 200


def event(answer: dict[str, object], type_: str) -> dict[str, object]:
    found = [e for e in answer["timeline"] if e["type"] == type_]  # type: ignore[attr-defined, index]
    assert len(found) == 1, (type_, found)
    return dict(found[0])


# --- close: pending (17) ------------------------------------------------------------------------------


def test_a_pending_payment_is_paid_when_the_tenant_clock_reaches_its_time(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="pending-then-ok")
    pending = complete(api, cart_id)
    assert pending["payment"]["resolvesAt"] == "2026-03-02T09:00:30.000Z"

    advance(api, 29)
    assert status(api, cart_id)["state"] == "PENDING"
    assert option_status(api, 1) == ("VALID", "PO_UNPAID")
    advance(api, 1)

    paid = status(api, cart_id)
    assert (paid["state"], paid["outcome"], paid["message"]) == ("PAID", 0, "Hai pagato 100,90 €")
    assert paid["returnUrl"] == WAITING_URL  # where the browser went when it was pending
    assert option_status(api, 1) == ("PAID", "PO_PAID")
    assert len(gpd_receipts(api, MANAGED_EC)) == 1
    resolved = event(paid, "attempt.resolved")
    assert resolved["at"] == "2026-03-02T09:00:30.000Z"
    assert resolved["data"] == {"outcome": 0, "state": "NOTIFIED_OK"}
    assert events_of(paid).index("attempt.pending") < events_of(paid).index("attempt.resolved")


def test_an_ec_polling_gpd_sees_a_pending_payment_paid_once_its_time_has_come(
    app: Flask, api: ApiClient
) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="pending-then-ok")
    complete(api, cart_id)
    advance(api, 3600)

    assert option_status(api, 1) == ("PAID", "PO_PAID")  # read before anyone reads the cart
    assert len(gpd_receipts(api, MANAGED_EC)) == 1
    assert status(api, cart_id)["state"] == "PAID"


def test_a_pending_payment_refunded_later_frees_the_notice(app: Flask, api: ApiClient) -> None:
    first = new_cart(api, notice(synthetic_nav(1)), scenario="pending-then-refunded")
    complete(api, first)
    advance(api, 30)

    refunded = status(api, first)

    assert (refunded["state"], refunded["outcome"], refunded["message"]) == (
        "FAILED",
        18,
        "Il pagamento non è andato a buon fine",
    )
    assert refunded["receipts"] == []
    assert complete(api, new_cart(api, notice(synthetic_nav(1))))["state"] == "PAID"


def test_a_pending_outcome_asked_for_without_a_script_stays_pending(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    complete(api, cart_id, outcome=17)
    advance(api, 86_400)

    answer = status(api, cart_id)

    assert answer["state"] == "PENDING"
    assert "resolvesAt" not in answer["payment"]


# --- receipt -----------------------------------------------------------------------------------------


def test_a_delayed_receipt_reaches_gpd_when_its_time_comes(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="receipt-delayed")
    paid = complete(api, cart_id)
    assert event(paid, "receipt.delayed")["data"]["dueAt"] == "2026-03-02T09:02:00.000Z"  # type: ignore[index]

    advance(api, 119)
    assert (gpd_receipts(api, MANAGED_EC), option_status(api, 1)) == ([], ("VALID", "PO_UNPAID"))
    advance(api, 1)

    assert len(gpd_receipts(api, MANAGED_EC)) == 1
    assert option_status(api, 1) == ("PAID", "PO_PAID")
    answer = status(api, cart_id)
    assert len(answer["receipts"]) == 1
    assert event(answer, "receipt.created")["at"] == "2026-03-02T09:02:00.000Z"


def test_while_its_receipt_is_late_the_node_still_refuses_a_second_payment(
    app: Flask, api: ApiClient
) -> None:
    paying = managed_notice(api, 1)
    first, second = new_cart(api, paying, scenario="receipt-delayed"), new_cart(api, paying)
    complete(api, first)

    again = complete(api, second)  # GPD does not know yet; the node does
    third = api.post("/checkout/ec/v2/carts", json=cart_body(paying))

    assert third.status_code == 422  # checkPosition: the node's record says paid
    assert again["fault"] == {
        "faultCodeCategory": "PAYMENT_DUPLICATED",
        "faultCode": "PPT_PAGAMENTO_DUPLICATO",
    }
    assert again["returnUrl"] == ERROR_URL


def test_a_duplicated_receipt_is_refused_the_second_time_and_stored_once(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="receipt-duplicated")

    answer = complete(api, cart_id)

    duplicated = event(answer, "receipt.duplicated")
    assert duplicated["data"]["faultCode"] == "PAA_RECEIPT_DUPLICATA"  # type: ignore[index]
    assert duplicated["data"]["iuv"] == "02000000000000001"  # type: ignore[index]
    assert events_of(answer).index("receipt.created") < events_of(answer).index("receipt.duplicated")
    assert len(gpd_receipts(api, MANAGED_EC)) == 1


def test_a_lost_receipt_never_reaches_gpd_but_the_node_knows_the_notice_is_paid(
    app: Flask, api: ApiClient
) -> None:
    paying = managed_notice(api, 1)
    cart_id = new_cart(api, paying, scenario="receipt-lost")

    answer = complete(api, cart_id)
    advance(api, 7 * 86_400)

    assert answer["state"] == "PAID"
    assert event(answer, "receipt.lost")["data"]["iuv"] == "02000000000000001"  # type: ignore[index]
    assert gpd_receipts(api, MANAGED_EC) == []
    assert option_status(api, 1) == ("VALID", "PO_UNPAID")
    again = api.post("/checkout/ec/v2/carts", json=cart_body(paying))
    assert again.status_code == 422  # checkPosition: the node's record says paid


def test_a_lost_receipt_of_a_synthetic_notice_is_never_listed(app: Flask, api: ApiClient) -> None:
    complete(api, new_cart(api, scenario="receipt-lost"))
    assert gpd_receipts(api, "15376371009") == []


# --- delays ---------------------------------------------------------------------------------------------


def test_a_scenarios_delays_are_recorded_in_the_timeline(app: Flask, api: ApiClient) -> None:
    answer = complete(api, new_cart(api, scenario="station-slow"))

    delays = [e["data"] for e in answer["timeline"] if e["type"] == "step.delayed"]

    assert delays == [
        {"step": "verify", "delay": "3s", "sleptSeconds": 0.0},
        {"step": "activate", "delay": "3s", "sleptSeconds": 0.0},
    ]
    assert answer["state"] == "PAID"


@pytest.mark.parametrize(("cap", "delay", "slept"), [(10.0, 3, [3.0]), (10.0, 30, [10.0]), (0.0, 3, [])])
def test_delays_are_really_slept_up_to_the_cap(
    app: Flask, cap: float, delay: int, slept: list[float]
) -> None:
    sandbox = app.extensions["sandbox"]
    sandbox.settings = sandbox.settings.with_(delay_cap_seconds=cap)
    sleeps: list[float] = []

    waited = ScenarioEngine(sandbox.scenarios, sandbox.settings.delay_cap_seconds, sleep=sleeps.append).wait(
        timedelta(seconds=delay)
    )

    assert sleeps == slept
    assert waited == (slept[0] if slept else 0.0)


def test_the_delay_cap_comes_from_the_environment() -> None:
    assert Settings().delay_cap_seconds == 10.0
    assert Settings.from_env({"PAGOPA_SANDBOX_DELAY_CAP_SECONDS": "0.5"}).delay_cap_seconds == 0.5
    with pytest.raises(ValueError, match="DELAY_CAP_SECONDS"):
        Settings.from_env({"PAGOPA_SANDBOX_DELAY_CAP_SECONDS": "nan"})
