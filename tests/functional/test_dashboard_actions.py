"""Steering from the dashboard: each form calls the sandbox's own use cases (what the sandbox API
then reports proves it), every POST needs this browser's CSRF token, a final cart refuses to
change, and another tenant's cart or delivery is out of reach — all without changing anything."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from simulator.testing.pages_client import FlaskTransport, Page, PagesClient
from tests.conftest import ApiClient
from tests.functional.control_factories import (
    MANAGED_EC,
    complete,
    events_of,
    managed_notice,
    new_cart,
    notice,
    status,
    synthetic_nav,
)
from tests.functional.dashboard_factories import cart_in, dashboard


def cart_page(app: Flask, tenant: str, cart: str) -> tuple[PagesClient, Page]:
    browser, _ = dashboard(app, tenant)
    page = browser.get(f"/_sandbox/carts/{cart}")
    assert page.status == 200
    return browser, page


def api_of(app: Flask, tenant: str) -> ApiClient:
    return ApiClient(app.test_client(), tenant=tenant)


def test_choosing_a_scenario_mid_flow_runs_the_cart_with_it(app: Flask) -> None:
    cart = cart_in(app, "steer")
    browser, page = cart_page(app, "steer", cart)

    done = browser.submit(page, "scenario-form", {"scenario": "card-declined"})

    assert done.path == f"/_sandbox/carts/{cart}?done=scenario" and done.by_id("done")
    assert done.text_of("cart-scenario") == "card-declined"
    answer = status(api_of(app, "steer"), cart)
    assert answer["scenario"]["id"] == "card-declined" and answer["scenario"]["source"] == "api"


def test_complete_and_cancel_end_the_payment_as_asked(app: Flask) -> None:
    paid, cancelled = cart_in(app, "steer", 1), cart_in(app, "steer", 2)
    browser, page = cart_page(app, "steer", paid)
    browser.submit(page, "complete-form", {"outcome": "ok"})
    page = browser.get(f"/_sandbox/carts/{cancelled}")
    browser.submit(page, "cancel-form")

    api = api_of(app, "steer")
    assert status(api, paid)["state"] == "PAID"
    assert status(api, cancelled)["state"] == "CANCELLED"
    assert "attempt.cancelled" in events_of(status(api, cancelled))
    assert browser.get(f"/_sandbox/carts/{paid}").by_id("cart-state").attrs["data-state"] == "PAID"


@pytest.mark.parametrize("form", ["complete-form", "cancel-form", "scenario-form"])
def test_a_final_cart_refuses_every_change_with_a_clear_page(app: Flask, form: str) -> None:
    cart = cart_in(app, "final")
    complete(api_of(app, "final"), cart, outcome="ok")
    before = status(api_of(app, "final"), cart)
    browser, page = cart_page(app, "final", cart)
    assert page.by_id("final-note")

    refused = browser.submit(page, form, {"scenario": "card-declined", "outcome": "declined"})

    assert refused.status == 409
    assert refused.heading == "Il carrello è concluso"
    assert "PAID" in refused.text_of("error-detail")
    assert status(api_of(app, "final"), cart) == before


@pytest.mark.parametrize("token", ["stale-or-forged", None])
def test_a_stale_or_missing_csrf_token_changes_nothing(app: Flask, token: str | None) -> None:
    cart = cart_in(app, "csrf")
    browser, page = cart_page(app, "csrf", cart)
    data: dict[str, Any] = dict(page.form("complete-form").fields)
    data["outcome"] = "ok"
    if token is None:
        del data["csrf_token"]
    else:
        data["csrf_token"] = token

    refused = browser.post(f"/_sandbox/carts/{cart}/complete", data)

    assert refused.status == 400 and refused.heading == "Modulo scaduto"
    assert status(api_of(app, "csrf"), cart)["state"] == "OPEN"


def test_a_token_from_another_browser_session_is_refused(app: Flask) -> None:
    cart = cart_in(app, "csrf")
    _, page = cart_page(app, "csrf", cart)
    other = PagesClient(FlaskTransport(app.test_client()))  # a fresh cookie: a forged cross-site post
    other.get("/_sandbox/?tenant=csrf")

    refused = other.post(f"/_sandbox/carts/{cart}/complete", dict(page.form("complete-form").fields))

    assert refused.status == 400
    assert status(api_of(app, "csrf"), cart)["state"] == "OPEN"


def test_another_tenants_cart_cannot_be_steered(app: Flask) -> None:
    theirs = cart_in(app, "team-b")
    mine = cart_in(app, "team-a", 2)
    browser, page = cart_page(app, "team-a", mine)
    token = page.form("complete-form").fields["csrf_token"]

    for action in ("complete", "cancel", "scenario"):
        refused = browser.post(
            f"/_sandbox/carts/{theirs}/{action}", {"csrf_token": token, "scenario": "card-declined"}
        )
        assert refused.status == 404, action
        assert refused.heading == "Carrello non trovato"
    answer = status(api_of(app, "team-b"), theirs)
    assert answer["state"] == "OPEN" and answer["scenario"]["id"] == "happy-path"


def test_a_notice_paid_offline_from_the_dashboard_is_paid_with_its_receipt(app: Flask) -> None:
    api = api_of(app, "offline")
    paying = managed_notice(api, 1)
    browser, page = dashboard(app, "offline")

    done = browser.submit(
        page, "pay-offline-form", {"fiscalCode": MANAGED_EC, "noticeNumber": paying["noticeNumber"]}
    )
    again = browser.submit(
        done, "pay-offline-form", {"fiscalCode": MANAGED_EC, "noticeNumber": paying["noticeNumber"]}
    )

    assert done.path == "/_sandbox/?done=paid"
    answer = api.get(f"/_sandbox/v1/notices/{MANAGED_EC}/{paying['noticeNumber']}").get_json()
    assert answer["status"] == "PAID"
    assert again.status == 409 and again.heading == "Il nodo ha rifiutato l'operazione"


def test_bad_input_on_the_tools_is_a_400_page_and_changes_nothing(app: Flask) -> None:
    browser, page = dashboard(app, "tools")
    token = page.form("clock-form").fields["csrf_token"]

    for path, data in (
        ("/_sandbox/clock/advance", {"seconds": "-5"}),
        ("/_sandbox/clock/advance", {"seconds": "a lot"}),
        ("/_sandbox/notices/pay", {"fiscalCode": "123", "noticeNumber": "1"}),
        ("/_sandbox/notices/pay", {}),
        ("/_sandbox/reset", {}),  # the confirmation box unticked
    ):
        refused = browser.post(path, {"csrf_token": token, **data})
        assert refused.status == 400, (path, data, refused.heading)
        assert refused.heading == "Dati non validi"
    assert api_of(app, "tools").get("/_sandbox/v1/clock").get_json()["offsetSeconds"] == 0


def test_advancing_the_clock_and_resetting_act_on_the_viewed_tenant_only(app: Flask) -> None:
    mine, theirs = cart_in(app, "team-a"), cart_in(app, "team-b", 2)
    browser, page = dashboard(app, "team-a")

    page = browser.submit(page, "clock-form", {"seconds": "3600"})
    assert page.path == "/_sandbox/?done=clock"
    assert api_of(app, "team-a").get("/_sandbox/v1/clock").get_json()["offsetSeconds"] == 3600
    assert api_of(app, "team-b").get("/_sandbox/v1/clock").get_json()["offsetSeconds"] == 0

    page = browser.submit(page, "reset-form")
    assert page.path == "/_sandbox/?done=reset"
    assert api_of(app, "team-a").get(f"/_sandbox/v1/carts/{mine}").status_code == 404
    assert status(api_of(app, "team-b"), theirs)["state"] == "OPEN"


def test_a_notification_is_redelivered_from_the_cart_and_not_across_tenants(app: Flask) -> None:
    api = api_of(app, "notify")
    api.post("/_sandbox/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "fiscalCode": "15376371009"})
    cart = new_cart(api, notice(synthetic_nav(1)))
    complete(api, cart, outcome="ok")
    first = api.get(f"/_sandbox/v1/deliveries?cart={cart}").get_json()["deliveries"]
    browser, page = cart_page(app, "notify", cart)
    token = page.form("complete-form").fields["csrf_token"]

    done = browser.post(f"/_sandbox/deliveries/{first[0]['id']}/redeliver", {"csrf_token": token})
    outsider, outsider_page = dashboard(app, "someone-else")
    refused = outsider.post(
        f"/_sandbox/deliveries/{first[0]['id']}/redeliver",
        {"csrf_token": outsider_page.form("clock-form").fields["csrf_token"]},
    )

    assert done.path == f"/_sandbox/carts/{cart}?done=redeliver"
    after = api.get(f"/_sandbox/v1/deliveries?cart={cart}").get_json()["deliveries"]
    assert len(after) == len(first) + 1
    assert any(d.get("redeliveryOf") == first[0]["id"] for d in after)
    assert refused.status == 404


def test_the_cart_opens_as_the_citizen_sees_it(app: Flask) -> None:
    cart = cart_in(app, "citizen")
    browser, page = cart_page(app, "citizen", cart)

    citizen = browser.get(page.href("open-as-citizen"))

    assert page.href("open-as-citizen") == f"/c/{cart}"
    assert citizen.status == 200 and citizen.path in ("/dati-pagamento", "/inserisci-email")
