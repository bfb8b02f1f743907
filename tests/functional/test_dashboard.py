"""The dashboard's views through the Flask test client: the carts of the viewed tenant (and of no
other), the tenant switcher, the server-side filters, a cart's flow drawn as a diagram whose
arrows open their journal entries, the inspection pages and the languages."""

from __future__ import annotations

import re

from flask import Flask

from simulator.testing.pages_client import FlaskTransport, PagesClient
from tests.conftest import ApiClient
from tests.functional.control_factories import complete, new_cart, notice, synthetic_nav
from tests.functional.dashboard_factories import cart_in, dashboard, rows
from tests.functional.pages_factories import assert_only_this_site_may_frame


def test_the_dashboard_lists_the_viewed_tenants_carts_with_their_state_in_words(app: Flask) -> None:
    paid = cart_in(app, "team-a", 1)
    complete(ApiClient(app.test_client(), tenant="team-a"), paid, outcome="ok")
    open_cart = cart_in(app, "team-a", 2)
    elsewhere = cart_in(app, "team-b", 3)

    _, page = dashboard(app, "team-a")

    assert sorted(rows(page)) == sorted([open_cart, paid])  # same creation time: either order
    assert elsewhere not in page.html
    assert "Pagato" in page.text and "Aperto: nessun pagamento iniziato" in page.text
    assert "302000100000000001" in page.text and "happy-path" in page.text
    assert page.text_of("current-tenant") == "team-a"
    assert page.by_id("carts").attrs["data-stream"] == "/_sandbox/stream?tenant=team-a"  # what it listens to


def test_the_tenant_chosen_is_remembered_and_a_malformed_one_is_refused(app: Flask) -> None:
    mine = cart_in(app, "team-a")
    browser, _ = dashboard(app, "team-a")

    assert mine in rows(browser.get("/_sandbox/"))  # no ?tenant: the cookie remembers it
    refused = browser.get("/_sandbox/?tenant=not%20a%20tenant")
    assert refused.status == 400 and refused.heading == "Tenant non valido"
    assert browser.get("/_sandbox/?tenant=default").status == 200
    assert mine not in rows(browser.get("/_sandbox/"))


def test_filters_and_search_are_applied_on_the_server(app: Flask) -> None:
    api = ApiClient(app.test_client(), tenant="filters")
    paid = new_cart(api, notice(synthetic_nav(1)))
    complete(api, paid, outcome="ok")
    other_ec = new_cart(api, notice(synthetic_nav(2), fiscal_code="77777777777"))
    browser, _ = dashboard(app, "filters")

    assert rows(browser.get("/_sandbox/?state=PAID")) == [paid]
    assert rows(browser.get("/_sandbox/?state=OPEN")) == [other_ec]
    assert rows(browser.get("/_sandbox/?creditor=77777777777")) == [other_ec]
    assert rows(browser.get(f"/_sandbox/?q={synthetic_nav(1)}")) == [paid]
    assert rows(browser.get(f"/_sandbox/?q={paid[:8].upper()}")) == [paid]  # case does not matter
    nothing = browser.get("/_sandbox/?q=no-such-thing")
    assert rows(nothing) == [] and nothing.by_id("no-carts")
    assert set(rows(browser.get("/_sandbox/?state=BOGUS&creditor=12"))) == {paid, other_ec}  # ignored


def test_a_carts_flow_is_a_diagram_whose_arrows_open_their_request_and_response(app: Flask) -> None:
    cart = cart_in(app, "flow")
    complete(ApiClient(app.test_client(), tenant="flow"), cart, outcome="ok")
    browser, _ = dashboard(app, "flow")

    page = browser.get(f"/_sandbox/carts/{cart}")

    assert page.status == 200
    svg_links = [e.attrs["href"] for e in page.all if e.tag == "a" and "aria-label" in e.attrs]
    steps = [e for e in page.all if e.tag == "li" and e.attrs.get("id", "").startswith("step-")]
    assert len(svg_links) == len(steps) >= 10  # the ordered list is the diagram's equivalent
    listed = page.text_of("flow-steps")
    for expected in (
        "POST /checkout/ec/v2/carts → 302",
        "attempt.activated",
        "receipt.created",
        "attempt.closed",
    ):
        assert expected in listed, expected
    assert listed.index("POST /checkout/ec/v2/carts") < listed.index("authorization.requested")
    entry = browser.get(next(h for h in svg_links if h.startswith("/_sandbox/journal/")))
    assert entry.status == 200
    assert "POST http://localhost/checkout/ec/v2/carts" in entry.text_of("entry-request")
    assert "paymentNotices" in entry.text_of("request-body")
    assert entry.text_of("entry-status") == "302"


def test_another_tenants_cart_or_a_malformed_id_is_not_found(app: Flask) -> None:
    theirs = cart_in(app, "team-b")
    browser, _ = dashboard(app, "team-a")

    for path in (
        f"/_sandbox/carts/{theirs}",
        "/_sandbox/carts/not-a-cart",
        f"/_sandbox/carts/{theirs}/presenter",
    ):
        page = browser.get(path)
        assert page.status == 404, path
        assert page.heading == "Carrello non trovato"
        assert page.headers["Content-Type"].startswith("text/html")


def test_the_journal_page_filters_and_the_dashboard_never_journals_itself(app: Flask) -> None:
    api = ApiClient(app.test_client(), tenant="journal")
    cart = new_cart(api, notice(synthetic_nav(1)))
    api.get("/_sandbox/v1/carts/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12)  # a 404 that matched a path
    browser, _ = dashboard(app, "journal")
    for _ in range(3):
        browser.get("/_sandbox/")

    everything = browser.get("/_sandbox/journal")
    only_404 = browser.get("/_sandbox/journal?status=404")
    for_cart = browser.get(f"/_sandbox/journal?cart={cart}")

    assert "/_sandbox/?" not in everything.text and "GET /_sandbox/ " not in everything.text
    assert "POST /checkout/ec/v2/carts" in everything.text
    assert "/_sandbox/v1/carts/00000000" in only_404.text and "POST /checkout" not in only_404.text
    assert "POST /checkout/ec/v2/carts" in for_cart.text and "00000000" not in for_cart.text
    assert browser.get("/_sandbox/journal/999999").status == 404


def test_requests_that_matched_nothing_are_listed_with_the_closest_valid_path(app: Flask) -> None:
    api = ApiClient(app.test_client(), tenant="typos")
    api.post("/checkout/ec/v2/cart", json={})  # a missing "s"
    api.put("/_sandbox/v1/clock/advance", json={"seconds": 1})  # the wrong method
    api.get("/_sandbox/v1/carts/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12)  # matched: cart not found
    browser, _ = dashboard(app, "typos")

    page = browser.get("/_sandbox/unmatched")

    table = page.text_of("unmatched-table")
    assert "POST /checkout/ec/v2/cart 404 POST /checkout/ec/v<int:version>/carts" in table
    assert "PUT /_sandbox/v1/clock/advance 405 POST /_sandbox/v1/clock/advance" in table
    assert "00000000" not in table


def test_notifications_show_every_delivery_attempt(app: Flask) -> None:
    api = ApiClient(app.test_client(), tenant="notify")
    subscribed = api.post(
        "/_sandbox/v1/webhooks", json={"url": "http://127.0.0.1:9/refused", "fiscalCode": "15376371009"}
    )
    assert subscribed.status_code == 201, subscribed.get_data(as_text=True)
    cart = new_cart(api, notice(synthetic_nav(1)))
    complete(api, cart, outcome="ok")
    browser, _ = dashboard(app, "notify")

    page = browser.get("/_sandbox/notifications")
    cart_page = browser.get(f"/_sandbox/carts/{cart}")

    assert "attempt.closed" in page.text and "http://127.0.0.1:9/refused" in page.text
    assert "Nessun tentativo ancora." in page.text  # no worker in tests: nothing was sent yet
    assert "attempt.closed" in cart_page.text_of("cart-deliveries")
    assert "pending" in browser.get("/_sandbox/notifications?status=pending").text
    assert "attempt.closed" not in browser.get("/_sandbox/notifications?status=delivered").text


def test_every_view_speaks_english_when_asked(app: Flask) -> None:
    cart = cart_in(app, "english")
    browser = PagesClient(FlaskTransport(app.test_client()))
    page = browser.get("/_sandbox/?tenant=english&lang=en")

    assert page.heading == "Carts and payments" and "Open: no payment started" in page.text
    for path in (
        f"/_sandbox/carts/{cart}",
        "/_sandbox/journal",
        "/_sandbox/notifications",
        "/_sandbox/unmatched",
    ):
        shown = browser.get(path)
        assert shown.status == 200 and 'lang="en"' in shown.html, path
    assert browser.get(f"/_sandbox/carts/{cart}").text_of("flow-title") == "The flow"


def test_dashboard_pages_carry_the_security_headers_and_no_inline_script(app: Flask) -> None:
    cart = cart_in(app, "default")
    client = app.test_client()
    for path in ("/_sandbox/", f"/_sandbox/carts/{cart}", "/_sandbox/journal", "/_sandbox/demo-notice"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-src 'self'" in response.headers["Content-Security-Policy"]
        assert_only_this_site_may_frame(response)
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path  # scripts only from files


def test_the_dashboard_reads_every_backend(any_db_app: Flask) -> None:
    cart = cart_in(any_db_app, "backend")
    complete(ApiClient(any_db_app.test_client(), tenant="backend"), cart, outcome="ok")
    browser, page = dashboard(any_db_app, "backend")

    assert rows(page) == [cart]
    assert any(e.tag == "option" and e.attrs.get("value") == "backend" for e in page.all)  # the switcher
    shown = browser.get(f"/_sandbox/carts/{cart}")
    assert shown.status == 200 and shown.by_id("cart-state").attrs["data-state"] == "PAID"
    assert "receipt.created" in shown.text_of("flow-steps")
