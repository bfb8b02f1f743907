"""The certification API: a run starts in a tenant of its own whose next carts take its cases in
order (through the scenario choice); bad input is refused with a ProblemJson and starts nothing;
a run closed halfway reports the cases that never ran."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from junitparser import JUnitXml

from simulator.services.clock import FixedClock
from tests.conftest import ApiClient
from tests.functional.control_factories import (
    MANAGED_EC,
    cart_body,
    complete,
    managed_notice,
    new_cart,
    notice,
    status,
)

RUNS = "/_sandbox/v1/certifications"


def start(
    api: ApiClient, profile: object = "checkout-basic", fiscal_code: str = MANAGED_EC
) -> dict[str, Any]:
    answer = api.post(RUNS, json={"fiscalCode": fiscal_code, "profile": profile})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.headers["Location"].endswith(f"{RUNS}/{answer.get_json()['id']}")
    return dict(answer.get_json())


def test_a_run_gets_a_tenant_of_its_own_whose_carts_take_the_cases_in_order(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    """On SQLite and PostgreSQL (the run's row is locked while a cart takes a case)."""
    app, api = any_db_app, any_db_api
    run = start(api)
    assert run["tenant"].startswith("cert-") and run["tenant"] != "default"
    assert [c["state"] for c in run["cases"]] == ["pending"] * 3
    in_run = ApiClient(app.test_client(), run["tenant"])

    notify = {"notifyUrl": "https://ec.test/notify"}
    carts = [new_cart(in_run, managed_notice(in_run, n), sandbox=notify) for n in (1, 2, 3, 4)]

    chosen = [status(in_run, cart)["scenario"] for cart in carts]
    assert [c["id"] for c in chosen[:3]] == ["happy-path", "card-declined", "user-cancels"]
    assert chosen[0]["source"] == "certification"
    assert chosen[3]["source"] != "certification"  # every case taken: the usual choice again
    outside = new_cart(api, managed_notice(api, 5))  # the owner's own tenant is not in the run
    assert status(api, outside)["scenario"]["id"] == "happy-path"
    body = api.get(f"{RUNS}/{run['id']}").get_json()
    assert [c["cartId"] for c in body["cases"]] == carts[:3]
    assert [c["state"] for c in body["cases"]] == ["running"] * 3  # no outcome yet
    assert body["complete"] is False


def test_each_check_is_derived_from_what_the_integrator_did(app: Flask, api: ApiClient) -> None:
    run = start(api)
    in_run = ApiClient(app.test_client(), run["tenant"])
    # a cart request refused first (a v2 cart without returnWaitingUrl); then a cart whose notice
    # has no debt position, with no notification endpoint, and no status query after it
    urls = {k: f"https://ec.test/{k}" for k in ("returnOkUrl", "returnCancelUrl", "returnErrorUrl")}
    assert in_run.post("/checkout/ec/v2/carts", json=cart_body(returnUrls=urls)).status_code == 400
    cart = new_cart(in_run, notice("302000100000000001", MANAGED_EC))
    complete(in_run, cart)
    in_run.post("/_sandbox/v1/clock/advance", json={"seconds": 301})

    [ok, *_] = api.get(f"{RUNS}/{run['id']}").get_json()["cases"]

    verdicts = {k["id"]: (k["verdict"], k["message"]) for k in ok["checks"]}
    assert ok["state"] == "failed"
    assert verdicts["cart-well-formed"] == (
        "failed",
        "1 cart request refused before this cart: HTTP 400 (The input request is invalid)",
    )
    assert verdicts["debt-before-checkout"][0] == "failed"
    assert verdicts["notification-acknowledged"][0] == "failed"
    assert verdicts["status-query-before-return"] == (
        "failed",
        "no status query of the cart within 5 min of the outcome",
    )


def test_a_run_closed_halfway_reports_the_cases_that_never_ran(app: Flask, api: ApiClient) -> None:
    run = start(api)
    in_run = ApiClient(app.test_client(), run["tenant"])
    cart = new_cart(in_run, managed_notice(in_run, 1))
    complete(in_run, cart)
    status(in_run, cart)

    closed = api.post(f"{RUNS}/{run['id']}/close")

    assert closed.status_code == 200
    body = closed.get_json()
    assert body["complete"] is True and body["passed"] is False and body["closedAt"]
    assert [c["state"] for c in body["cases"]] == ["failed", "never ran", "never ran"]
    xml = JUnitXml.fromstring(api.get(f"{RUNS}/{run['id']}/report.xml").get_data(as_text=True))
    never = {(s.name, c.name) for s in xml for c in s for r in c.result if r.message == "never ran"}
    assert {suite for suite, _ in never} == {"checkout-basic.declined", "checkout-basic.cancelled"}
    assert len(never) == 8
    html = api.get(f"{RUNS}/{run['id']}/report.html").get_data(as_text=True)
    assert html.count(">never ran</span>") == 2 and "<ol" in html
    assert "<style" not in html
    css = api.get("/static/css/certification-report.css")
    css.close()
    assert css.status_code == 200
    later = new_cart(in_run, managed_notice(in_run, 2))  # a closed run gives no more cases
    assert status(in_run, later)["scenario"]["source"] != "certification"


def test_the_report_is_marked_incomplete_until_every_case_is_decided(app: Flask, api: ApiClient) -> None:
    run = start(api)
    html = api.get(f"{RUNS}/{run['id']}/report.html")
    assert html.status_code == 200 and "Incomplete" in html.get_data(as_text=True)
    xml = JUnitXml.fromstring(api.get(f"{RUNS}/{run['id']}/report.xml").get_data(as_text=True))
    assert xml.failures == xml.tests == 12


# --- bad input ------------------------------------------------------------------------------------


def _refused(answer: Any, status_code: int) -> dict[str, Any]:
    assert answer.status_code == status_code, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"  # ProblemJson, as upstream pagoPA answers it
    assert answer.get_json()["status"] == status_code
    return dict(answer.get_json())


def _no_run_started(app: Flask, api: ApiClient) -> None:
    """A cart made now in the owner's tenant is chosen as usual, and the database holds no run."""
    from sqlalchemy import func, select

    from simulator.storage import tables as t

    with app.extensions["sandbox"].database.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.certification_runs)).scalar() == 0


def test_a_profile_that_fails_its_schema_is_refused_listing_every_problem(app: Flask, api: ApiClient) -> None:
    profile = {
        "version": 1,
        "id": "Mine",
        "title": "mine",
        "description": "x",
        "cases": [{"id": "ok", "title": "ok", "scenario": "happy-path", "checks": ["cart-wellformed"]}],
        "colour": "red",
    }

    problem = _refused(api.post(RUNS, json={"fiscalCode": MANAGED_EC, "profile": profile}), 422)

    assert problem["title"] == "Invalid certification profile"
    text = "\n".join(problem["problems"])
    assert len(problem["problems"]) == 3, text
    assert "'colour'" in text and "id: 'Mine'" in text and "cases[0].checks[0]" in text
    _no_run_started(app, api)


def test_a_profile_naming_an_unknown_scenario_is_refused(app: Flask, api: ApiClient) -> None:
    profile = {
        "version": 1,
        "id": "mine",
        "title": "mine",
        "description": "x",
        "cases": [
            {"id": "ok", "title": "ok", "scenario": "no-such-scenario", "checks": ["cart-well-formed"]}
        ],
    }
    problem = _refused(api.post(RUNS, json={"fiscalCode": MANAGED_EC, "profile": profile}), 422)
    assert problem["problems"] == ["cases[0].scenario: no loaded scenario has the id 'no-such-scenario'"]
    _no_run_started(app, api)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fiscalCode": MANAGED_EC, "profile": "checkout-everything"}, "profile"),
        ({"fiscalCode": MANAGED_EC}, "profile"),
        ({"fiscalCode": MANAGED_EC, "profile": 7}, "profile"),
        ({"fiscalCode": "RSSMRA80A01H501U", "profile": "checkout-basic"}, "fiscalCode"),
        ({"fiscalCode": "1234", "profile": "checkout-basic"}, "fiscalCode"),
        ({"profile": "checkout-basic"}, "fiscalCode"),
        (["checkout-basic"], "body"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_starts_nothing(
    app: Flask, api: ApiClient, body: Any, field: str
) -> None:
    problem = _refused(api.post(RUNS, json=body), 400)
    assert field in problem["detail"]
    _no_run_started(app, api)


def test_another_tenants_run_is_not_found(app: Flask, api: ApiClient) -> None:
    run = start(api)
    other = ApiClient(app.test_client(), "someone-else")
    for path in ("", "/report.xml", "/report.html"):
        _refused(other.get(f"{RUNS}/{run['id']}{path}"), 404)
    _refused(other.post(f"{RUNS}/{run['id']}/close"), 404)
    _refused(ApiClient(app.test_client(), run["tenant"]).get(f"{RUNS}/{run['id']}"), 404)
    _refused(api.get(f"{RUNS}/not-a-run-id"), 404)
    assert api.get(f"{RUNS}/{run['id']}").get_json()["closedAt"] is None  # nothing changed


def test_carts_created_at_once_take_different_cases(any_db_app: Flask, any_db_api: ApiClient) -> None:
    """Six carts at once in a run of three cases: three take one case each, three the usual choice."""
    import threading

    run = start(any_db_api)
    clients = [ApiClient(any_db_app.test_client(), run["tenant"]) for _ in range(6)]
    notices = [managed_notice(clients[0], n) for n in range(1, 7)]
    carts: list[str] = []
    lock = threading.Lock()

    def create(client: ApiClient, n: int) -> None:
        cart = new_cart(client, notices[n])
        with lock:
            carts.append(cart)

    threads = [threading.Thread(target=create, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    body = any_db_api.get(f"{RUNS}/{run['id']}").get_json()
    taken = [c["cartId"] for c in body["cases"]]
    assert len(carts) == 6 and None not in taken and len(set(taken)) == 3 and set(taken) <= set(carts)
    sources = [status(clients[0], cart)["scenario"]["source"] for cart in carts]
    assert sources.count("certification") == 3


def test_the_services_requests_are_read_on_the_run_tenants_clock(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    """The journal keeps the base clock, the payment's events the tenant's: a status query asked
    after the run's clock moved an hour is an hour after the outcome, too late; one asked before
    the move is in time."""
    run = start(api)
    in_run = ApiClient(app.test_client(), run["tenant"])
    notify = {"notifyUrl": "https://ec.test/notify"}
    late, in_time = (new_cart(in_run, managed_notice(in_run, n), sandbox=notify) for n in (1, 2))
    complete(in_run, late)
    complete(in_run, in_time)
    status(in_run, in_time)
    clock.advance(1)  # the base clock ticks: requests and moves of the tenant's clock are ordered
    assert in_run.post("/_sandbox/v1/clock/advance", json={"seconds": 3600}).status_code == 200
    clock.advance(1)
    status(in_run, late)

    ok, declined, _ = api.get(f"{RUNS}/{run['id']}").get_json()["cases"]

    asked = {c["id"]: {k["id"]: k["verdict"] for k in c["checks"]} for c in (ok, declined)}
    assert asked["ok"]["status-query-before-return"] == "failed"
    assert asked["declined"]["status-query-before-return"] == "passed"
