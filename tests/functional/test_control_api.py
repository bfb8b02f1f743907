"""The control and inspection API under /_sandbox/v1, per tenant: the cart status query with its
ordered timeline, headless completion and its conflicts, reset, and the scenario library (list,
JSON Schema, reload by request and on file change, across workers)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.testing.pages_client import Card, pay
from tests.conftest import ApiClient
from tests.functional.control_factories import (
    app_with,
    complete,
    events_of,
    gpd_receipts,
    new_cart,
    notice,
    status,
    synthetic_nav,
    to_summary,
)
from tests.functional.gpd_factories import assert_problem
from tests.functional.pages_factories import CANCEL_URL, ERROR_URL, OK_URL, WAITING_URL, browser
from tests.unit.scenario_factories import scenario_text, write

EC = "15376371009"


# --- the status query -----------------------------------------------------------------------------


def test_a_new_cart_is_open_with_its_notices_scenario_and_first_events(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, notice(synthetic_nav(1)), notice(synthetic_nav(2), amount=500))

    answer = status(api, cart_id)

    assert answer["id"] == cart_id
    assert answer["idCart"] == "EC-CART-42"
    assert answer["state"] == "OPEN"
    assert "outcome" not in answer and "message" not in answer and "payment" not in answer
    assert answer["returnUrl"] is None
    assert answer["totalAmount"] == 12_550
    assert [(n["noticeNumber"], n["amount"]) for n in answer["notices"]] == [
        (synthetic_nav(1), 12_050),
        (synthetic_nav(2), 500),
    ]
    assert answer["receipts"] == []
    assert events_of(answer) == ["cart.created", "scenario.selected"]
    assert answer["timeline"][0]["data"]["idCart"] == "EC-CART-42"


def test_the_status_of_an_unknown_cart_or_another_tenants_is_404(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    other = ApiClient(app.test_client(), tenant="ci-job-2")

    assert_problem(other.get(f"/_sandbox/v1/carts/{cart_id}"), 404, "Cart not found")
    assert_problem(api.get("/_sandbox/v1/carts/not-a-cart"), 404, "Cart not found")


def test_a_malformed_tenant_header_is_refused(app: Flask) -> None:
    response = app.test_client().get("/_sandbox/v1/carts/x", headers={"X-Sandbox-Tenant": "bad tenant!"})
    assert_problem(response, 400, "Invalid tenant")


def test_an_unknown_but_well_formed_tenant_is_just_a_new_empty_tenant(app: Flask) -> None:
    fresh = ApiClient(app.test_client(), tenant="never-seen-before")
    cart_id = new_cart(fresh)
    assert status(fresh, cart_id)["state"] == "OPEN"


def test_a_cart_past_its_ttl_is_expired_and_cannot_be_completed(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    cart_id = new_cart(api)
    clock.advance(600)

    answer = status(api, cart_id)

    assert (answer["state"], answer["returnUrl"]) == ("EXPIRED", ERROR_URL)
    assert answer["message"] == "La sessione è scaduta"
    response = api.post(f"/_sandbox/v1/carts/{cart_id}/complete")
    assert_problem(response, 409, "Cart already completed")
    assert response.get_json()["detail"] == f"Cart with id {cart_id} is EXPIRED: it cannot be completed"


@pytest.mark.parametrize("scenario_id", ["happy-path", "user-cancels", "card-declined", "notice-unknown"])
def test_completing_a_cart_whose_payment_ended_is_409_and_changes_nothing(
    app: Flask, api: ApiClient, scenario_id: str
) -> None:
    cart_id = new_cart(api, scenario=scenario_id)
    before = complete(api, cart_id)

    response = api.post(f"/_sandbox/v1/carts/{cart_id}/complete", json={"outcome": 0})

    assert_problem(response, 409, "Cart already completed")
    assert status(api, cart_id)["timeline"] == before["timeline"]


def test_completing_a_pending_cart_without_an_outcome_is_409(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="pending-then-ok")
    assert complete(api, cart_id)["state"] == "PENDING"

    response = api.post(f"/_sandbox/v1/carts/{cart_id}/complete")

    assert_problem(response, 409)
    assert response.get_json()["detail"].endswith("without an outcome (ok or refunded)")
    assert status(api, cart_id)["state"] == "PENDING"


@pytest.mark.parametrize(("outcome", "state", "code"), [("ok", "PAID", 0), (18, "FAILED", 18)])
def test_a_pending_cart_ends_with_the_outcome_asked_for(
    app: Flask, api: ApiClient, outcome: object, state: str, code: int
) -> None:
    cart_id = new_cart(api, scenario="pending-then-ok")
    complete(api, cart_id)

    answer = complete(api, cart_id, outcome=outcome)

    assert (answer["state"], answer["outcome"]) == (state, code)
    assert answer["returnUrl"] == WAITING_URL  # where the browser went while it was pending
    assert events_of(answer)[-1] == ("receipt.created" if code == 0 else "attempt.resolved")
    assert_problem(api.post(f"/_sandbox/v1/carts/{cart_id}/complete", json={"outcome": 0}), 409)


def test_a_pending_cart_ends_only_ok_or_refunded(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="pending-then-ok")
    complete(api, cart_id)

    assert_problem(api.post(f"/_sandbox/v1/carts/{cart_id}/complete", json={"outcome": 2}), 400)
    assert status(api, cart_id)["state"] == "PENDING"


@pytest.mark.parametrize(
    ("outcome", "state", "code", "url"),
    [
        (0, "PAID", 0, OK_URL),
        ("declined", "FAILED", 2, ERROR_URL),
        (116, "FAILED", 116, ERROR_URL),
        ("17", "PENDING", 17, WAITING_URL),
        ("pending", "PENDING", 17, WAITING_URL),
        ("refunded", "FAILED", 18, ERROR_URL),
        ("cancelled", "FAILED", 8, ERROR_URL),
    ],
)
def test_an_outcome_asked_for_overrides_the_scenario(
    app: Flask, api: ApiClient, outcome: object, state: str, code: int, url: str
) -> None:
    cart_id = new_cart(api, scenario="limit-exceeded")

    answer = complete(api, cart_id, outcome=outcome)

    assert (answer["state"], answer["outcome"], answer["returnUrl"]) == (state, code, url)


def test_the_payer_the_scenario_describes_still_pays_when_an_outcome_is_asked_for(
    app: Flask, api: ApiClient
) -> None:
    answer = complete(api, new_cart(api, scenario="user-cancels"), outcome=0)
    assert answer["state"] == "PAID"


def test_a_method_and_psp_can_be_chosen(app: Flask, api: ApiClient) -> None:
    answer = complete(api, new_cart(api), method="PPAL", psp="DEMOPSP005")

    assert answer["payment"]["method"] == "PPAL"
    assert (answer["payment"]["pspId"], answer["payment"]["fees"]) == ("DEMOPSP005", 100)
    assert answer["payment"]["totalAmount"] == 12_150
    assert answer["message"] == "Hai pagato 121,50 €"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": 5}, "outcome"),
        ({"outcome": True}, "outcome"),
        ({"method": "XYZ"}, "method"),
        ({"psp": "NOPSP"}, "pspId"),
        ({"method": "PPAL", "psp": "DEMOPSP001"}, "pspId"),
        ([1, 2], "body"),
    ],
)
def test_bad_complete_input_is_400_naming_the_field(
    app: Flask, api: ApiClient, body: object, field: str
) -> None:
    cart_id = new_cart(api)

    response = api.post(f"/_sandbox/v1/carts/{cart_id}/complete", json=body)

    assert_problem(response, 400, "Invalid request")
    assert response.get_json()["detail"].startswith(field)


def test_a_non_json_complete_body_is_400(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    response = api.post(
        f"/_sandbox/v1/carts/{cart_id}/complete", data="{nope", content_type="application/json"
    )
    assert_problem(response, 400)
    assert status(api, cart_id)["state"] == "OPEN"


def test_complete_continues_a_payment_started_on_the_pages(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    to_summary(browser(app), f"/c/{cart_id}")

    answer = complete(api, cart_id)

    assert answer["state"] == "PAID"
    assert answer["payment"]["pspId"] == "DEMOPSP001"  # the PSP the payer picked on the pages
    assert events_of(answer).count("attempt.activated") == 1


def test_a_happy_timeline_lists_every_step_in_order(app: Flask, api: ApiClient) -> None:
    answer = complete(api, new_cart(api))

    assert events_of(answer) == [
        "cart.created",
        "scenario.selected",
        "notice.verified",
        "attempt.activated",
        "method.chosen",
        "psp.chosen",
        "authorization.requested",
        "authorization.completed",
        "attempt.closed",
        "receipt.created",
        "user.returned",
    ]
    ids = [e["id"] for e in answer["timeline"]]
    assert ids == sorted(ids)
    transaction = answer["payment"]["transactionId"]
    assert all(e["attemptId"] == transaction for e in answer["timeline"][3:])
    assert answer["timeline"][-1]["data"] == {"url": OK_URL}
    receipt = answer["timeline"][-2]["data"]
    assert receipt["receiptId"] == answer["receipts"][0]["receiptId"]


def test_the_timeline_follows_the_tenant_clock(app: Flask, api: ApiClient, clock: FixedClock) -> None:
    cart_id = new_cart(api)
    clock.advance(61)
    answer = complete(api, cart_id)

    times = [e["at"] for e in answer["timeline"]]
    assert times[0] == "2026-03-02T09:00:00.000Z"
    assert times[-1] == "2026-03-02T09:01:01.000Z"
    assert times == sorted(times)


def test_the_pages_and_the_status_query_agree(app: Flask, api: ApiClient) -> None:
    for card, url in (("4000000000000259", ERROR_URL), ("4242424242424242", OK_URL)):
        cart_id = new_cart(api, notice(synthetic_nav(len(url))))
        result = pay(browser(app), f"/c/{cart_id}", card=Card(card))

        answer = status(api, cart_id)

        assert answer["outcome"] == result.outcome
        assert answer["message"] == result.last.heading
        assert answer["returnUrl"] == result.exit_url == url


def test_cancelling_on_the_pages_shows_as_cancelled(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    pay(browser(app), f"/c/{cart_id}", cancel=True)

    answer = status(api, cart_id)

    assert (answer["state"], answer["outcome"], answer["returnUrl"]) == ("CANCELLED", 8, CANCEL_URL)


def test_the_status_request_is_journaled_with_its_cart(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    status(api, cart_id)

    entries = api.get(f"/_sandbox/v1/journal?cart={cart_id}").get_json()["entries"]

    assert entries[0]["path"] == f"/_sandbox/v1/carts/{cart_id}"


# --- reset ------------------------------------------------------------------------------------------


def test_reset_clears_all_of_the_tenants_state_and_nothing_of_others(app: Flask) -> None:
    mine, theirs = ApiClient(app.test_client(), "mine"), ApiClient(app.test_client(), "theirs")
    my_cart, their_cart = (complete(c, new_cart(c))["id"] for c in (mine, theirs))
    mine.post("/_sandbox/v1/clock/advance", json={"seconds": 60})

    assert mine.post("/_sandbox/v1/reset").status_code == 204

    journal = mine.get("/_sandbox/v1/journal").get_json()["entries"]
    assert [e["path"] for e in journal] == ["/_sandbox/v1/reset"]  # written after the reset
    assert_problem(mine.get(f"/_sandbox/v1/carts/{my_cart}"), 404)
    assert gpd_receipts(mine, EC) == []
    assert mine.get("/_sandbox/v1/clock").get_json()["offsetSeconds"] == 0
    assert complete(mine, new_cart(mine))["state"] == "PAID"  # the same notice is payable again
    assert status(theirs, their_cart)["state"] == "PAID"
    assert len(gpd_receipts(theirs, EC)) == 1


# --- the scenario library ---------------------------------------------------------------------------


def test_the_scenario_list_shows_each_scenario_with_how_to_trigger_it(app: Flask, api: ApiClient) -> None:
    listed = {s["id"]: s for s in api.get("/_sandbox/v1/scenarios").get_json()["scenarios"]}

    assert len(listed) == 42
    declined = listed["card-declined"]
    assert (declined["outcome"], declined["builtin"], declined["user"]) == (2, True, "pays")
    assert [t["text"] for t in declined["triggers"]] == [
        "X-Sandbox-Scenario: card-declined",
        "UAT: EC 77777777002",
        "UAT: card 4000 0000 0000 0028",
    ]
    assert listed["notice-expired"]["fault"] == "PAA_PAGAMENTO_SCADUTO"
    assert "outcome" not in listed["notice-expired"]
    assert listed["receipt-delayed"]["receiptDelay"] == "2m"
    assert listed["station-receipt-retried"]["station"] == {
        "receipt": {"answer": "PAA_SYSTEM_ERROR", "times": 2}
    }
    assert listed["station-malformed-answer"]["station"] == {"verify": {"answer": "malformed"}}
    assert "station" not in listed["happy-path"]


def test_the_schema_is_served_exactly_as_published(app: Flask, api: ApiClient) -> None:
    response = api.get("/_sandbox/v1/scenarios/schema")

    published = Path(__file__).resolve().parents[2] / "simulator" / "scenario" / "schema.json"
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    assert response.get_data() == published.read_bytes()
    assert json.loads(response.get_data())["$schema"].startswith("https://json-schema.org/")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "my-scenarios"
    write(path, "mine.yaml", scenario_text("mine", "  authorize: declined\n"))
    return path


@pytest.fixture
def watched_app(settings: Settings, clock: FixedClock, tmp_path: Path, folder: Path) -> Iterator[Flask]:
    application = app_with(settings, clock, tmp_path, scenario_dirs=(str(folder),), scenario_watch_seconds=0)
    yield application
    application.extensions["sandbox"].close()


def outcome_of(api: ApiClient, scenario_id: str) -> int:
    return int(complete(api, new_cart(api, scenario=scenario_id))["outcome"])


def touch_later(path: Path) -> None:
    """A modification time clearly after the last one (coarse file-system clocks)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_reload_loads_a_new_scenario_file(
    settings: Settings, clock: FixedClock, tmp_path: Path, folder: Path
) -> None:
    app = app_with(settings, clock, tmp_path, scenario_dirs=(str(folder),))  # files only read on reload
    api = ApiClient(app.test_client())
    write(folder, "more.yaml", scenario_text("more", "  authorize: psp-error\n"))
    assert_problem(api.post("/checkout/ec/v2/carts", json={}, headers={"X-Sandbox-Scenario": "more"}), 400)

    response = api.post("/_sandbox/v1/scenarios/reload")

    assert response.status_code == 200
    assert response.get_json() == {"status": "reloaded", "scenarios": 44}
    assert outcome_of(api, "more") == 25
    app.extensions["sandbox"].close()


def test_a_broken_file_is_refused_by_reload_and_the_previous_library_stays(
    watched_app: Flask, folder: Path
) -> None:
    api = ApiClient(watched_app.test_client())
    write(folder, "broken.yaml", scenario_text("broken", "  authorize: maybe\n"))
    write(folder, "more.yaml", scenario_text("more", "  authorize: psp-error\n"))

    response = api.post("/_sandbox/v1/scenarios/reload")

    assert_problem(response, 422, "Invalid scenarios")
    problems = response.get_json()["problems"]
    assert len(problems) == 1
    assert problems[0].startswith(f"{folder / 'broken.yaml'}:6: ")
    assert outcome_of(api, "mine") == 2
    assert_problem(api.post("/checkout/ec/v2/carts", json={}, headers={"X-Sandbox-Scenario": "more"}), 400)
    assert "more" not in {s["id"] for s in api.get("/_sandbox/v1/scenarios").get_json()["scenarios"]}


def test_a_changed_file_is_reloaded_on_the_next_request(watched_app: Flask, folder: Path) -> None:
    api = ApiClient(watched_app.test_client())
    assert outcome_of(api, "mine") == 2

    path = write(folder, "mine.yaml", scenario_text("mine", "  authorize: psp-error\n"))
    touch_later(path)

    assert outcome_of(api, "mine") == 25


def test_a_broken_change_keeps_the_previous_library_and_the_list_says_why(
    watched_app: Flask, folder: Path
) -> None:
    api = ApiClient(watched_app.test_client())
    path = write(folder, "mine.yaml", scenario_text("mine", "  authorize: psp-error\n  colse: ok\n"))
    touch_later(path)

    listed = api.get("/_sandbox/v1/scenarios").get_json()

    assert listed["problems"][0].startswith(f"{path}:7: ")
    assert outcome_of(api, "mine") == 2


def test_the_watch_looks_at_most_once_per_interval(
    settings: Settings, clock: FixedClock, tmp_path: Path, folder: Path
) -> None:
    app = app_with(settings, clock, tmp_path, scenario_dirs=(str(folder),), scenario_watch_seconds=3600)
    api = ApiClient(app.test_client())
    path = write(folder, "mine.yaml", scenario_text("mine", "  authorize: psp-error\n"))
    touch_later(path)

    assert outcome_of(api, "mine") == 2  # not looked at again for an hour
    app.extensions["sandbox"].close()


def test_a_reload_in_one_worker_reaches_the_others(
    settings: Settings, clock: FixedClock, tmp_path: Path, folder: Path
) -> None:
    shared = settings.with_(
        database_url=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        scenario_dirs=(str(folder),),
        scenario_watch_seconds=0,
    )
    from simulator.app import create_app

    first, second = create_app(shared, clock=clock), create_app(shared, clock=clock)
    before = second.extensions["sandbox"].scenarios
    ApiClient(second.test_client()).get("/_sandbox/v1/health")
    assert second.extensions["sandbox"].scenarios is before  # nothing changed: nothing reloaded

    assert ApiClient(first.test_client()).post("/_sandbox/v1/scenarios/reload").status_code == 200
    ApiClient(second.test_client()).get("/_sandbox/v1/health")

    assert second.extensions["sandbox"].scenarios is not before
    for application in (first, second):
        application.extensions["sandbox"].close()


@pytest.mark.parametrize("cart_id", ["not-a-cart", "x" * 300, "%00", "00000000-0000-4000-8000-00000000000Z"])
def test_a_cart_id_that_is_no_uuid_is_simply_not_found(any_db_api: ApiClient, cart_id: str) -> None:
    assert_problem(any_db_api.get(f"/_sandbox/v1/carts/{cart_id}"), 404, "Cart not found")
    response = any_db_api.post(f"/_sandbox/v1/carts/{cart_id}/complete")
    assert_problem(response, 404, "Cart not found")
