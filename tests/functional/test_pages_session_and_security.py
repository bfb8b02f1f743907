"""The checkout session and the pages' defences: CSRF tokens, a second "Paga", the back button,
expiry by the tenant clock, stale forms, security headers, and no card number kept anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.storage.tables import page_sessions
from simulator.testing.pages_client import Card, Page, PagesClient, RawResponse, pay
from tests.conftest import ApiClient
from tests.functional.pages_factories import (
    CANCEL_URL,
    EC,
    EMAIL,
    ERROR_URL,
    NAV,
    OK_URL,
    assert_only_this_site_may_frame,
    assert_page_frame,
    browser,
    create_cart,
    notice,
    receipts_of,
)


def to_summary(pages: PagesClient, start: str, card: str = "4242424242424242") -> Page:
    page = pages.get(start)
    if page.path == "/dati-pagamento":
        page = pages.get(page.href("continue"))
    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})
    page = pages.submit(page, "method-form", button="method-CP")
    page = pages.submit(
        page, "card-form", {"number": card, "expirationDate": "12/30", "cvv": "123", "name": "M R"}
    )
    page = pages.submit(page, "psp-form", button="psp-DEMOPSP001")
    assert page.path == "/riepilogo-pagamento"
    return page


# --- CSRF ---------------------------------------------------------------------------------------


def test_a_form_posted_with_a_forged_token_is_refused_and_changes_nothing(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api, email=None)}")

    refused = pages.submit(
        page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL, "csrf_token": "forged"}
    )

    assert refused.status == 400
    assert refused.heading == "La richiesta non è valida"
    assert_page_frame(refused)
    assert pages.get("/scegli-metodo").path == "/inserisci-email"  # the email was not kept


def test_a_form_posted_without_a_token_is_refused(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    pages.get(f"/c/{create_cart(api)}")

    refused = pages.post("/inserisci-email", {"email": EMAIL, "confirmEmail": EMAIL})

    assert refused.status == 400


def test_paga_without_a_token_charges_nothing(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    to_summary(pages, f"/c/{create_cart(api)}")

    refused = pages.post("/riepilogo-pagamento", {})

    assert refused.status == 400
    assert receipts_of(api) == []


def test_a_token_from_another_browser_is_refused(app: Flask, api: ApiClient) -> None:
    mine, theirs = browser(app), browser(app)
    their_token = theirs.get("/inserisci-dati-avviso").form("notice-form").fields["csrf_token"]
    mine.get("/inserisci-dati-avviso")

    refused = mine.post("/inserisci-dati-avviso", {"billCode": NAV, "cf": EC, "csrf_token": their_token})

    assert refused.status == 400


def test_the_csrf_page_speaks_english_when_asked(app: Flask) -> None:
    pages = browser(app)
    pages.get("/?lang=en")

    refused = pages.post("/inserisci-dati-avviso", {"billCode": NAV, "cf": EC})

    assert refused.status == 400
    assert refused.heading == "The request is not valid"


# --- never twice --------------------------------------------------------------------------------


def test_pressing_paga_twice_charges_once_and_shows_the_outcome_again(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{create_cart(api)}")

    first = pages.submit(summary, "pay-form")
    second = pages.submit(summary, "pay-form")  # the same form, posted again

    assert first.path == second.path == "/esito"
    assert first.by_id("outcome").attrs["data-outcome"] == "0"
    assert second.by_id("outcome").attrs["data-outcome"] == "0"
    assert len(receipts_of(api)) == 1


def test_a_second_paga_racing_the_first_is_refused_by_the_service(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{create_cart(api)}")
    stale = app.test_client()  # another tab whose session state still says "not paid"
    with pages.transport.client.session_transaction() as cookie:  # type: ignore[attr-defined]
        sid, csrf = cookie["sid"], cookie["csrf"]
    with stale.session_transaction() as other:
        other["sid"], other["csrf"] = sid, csrf
    pages.submit(summary, "pay-form")
    from simulator.services import page_sessions

    with app.extensions["sandbox"].unit("default") as unit:
        loaded = page_sessions.load(unit, sid)
        assert loaded is not None
        loaded.data.update(ending=None, outcome=None)  # as the racing request read it
        page_sessions.save(unit, loaded)

    again = stale.post("/riepilogo-pagamento", data={"csrf_token": csrf}, follow_redirects=True)

    assert again.status_code == 200
    assert b'data-outcome="0"' in again.data
    assert len(receipts_of(api)) == 1


def test_the_back_button_after_paying_shows_the_outcome_not_the_summary(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{create_cart(api)}")
    pages.submit(summary, "pay-form")

    for path in (
        "/riepilogo-pagamento",
        "/lista-psp",
        "/inserisci-carta",
        "/scegli-metodo",
        "/inserisci-email",
    ):
        assert pages.get(path).path == "/esito", path
    assert len(receipts_of(api)) == 1


def test_cancelling_after_paying_is_not_possible(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{create_cart(api)}")
    pages.submit(summary, "pay-form")

    after = pages.post("/annulla", {"csrf_token": summary.form("pay-form").fields["csrf_token"]})

    assert after.path == "/esito"
    assert len(receipts_of(api)) == 1


def test_pages_served_to_a_browser_are_never_cached(app: Flask, api: ApiClient) -> None:
    page = browser(app).get(f"/c/{create_cart(api)}")

    assert page.headers["Cache-Control"] == "no-store"


# --- expiry ------------------------------------------------------------------------------------------


def test_an_idle_session_expires_by_the_tenant_clock(app: Flask, api: ApiClient, clock: FixedClock) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/{EC}{NAV}")
    clock.advance(11 * 60)

    page = pages.submit(summary, "pay-form")

    assert page.path == "/sessione-scaduta"
    assert page.heading == "La sessione è scaduta"
    assert page.href("exit") == "/"
    assert receipts_of(api) == []
    assert_page_frame(page)


def test_an_expired_session_leaves_its_notice_to_the_payment_token(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    pages = browser(app)
    to_summary(pages, f"/{EC}{NAV}")
    clock.advance(11 * 60)
    assert pages.get("/riepilogo-pagamento").path == "/sessione-scaduta"

    ongoing = browser(app).get(f"/{EC}{NAV}")  # the token lives 900 s from the activation
    clock.advance(4 * 60)
    again = pay(browser(app), f"/{EC}{NAV}")

    assert ongoing.status == 409 and ongoing.heading == "C'è già un pagamento in corso, riprova più tardi"
    assert again.outcome == 0


def test_the_tenant_clock_moved_by_the_sandbox_api_expires_sessions(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{create_cart(api)}")
    assert api.post("/_sandbox/v1/clock/advance", json={"seconds": 3600}).status_code == 200

    page = pages.submit(summary, "pay-form")

    assert page.path == "/sessione-scaduta"
    assert page.href("exit") == ERROR_URL  # expired -> the cart's error URL


def test_a_stale_form_after_the_cart_expired_gets_the_expired_page(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api)}")
    clock.advance(10 * 60)

    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})

    assert page.path == "/sessione-scaduta"


def test_a_mid_flow_page_without_a_session_gets_the_expired_page(app: Flask) -> None:
    for path in ("/dati-pagamento", "/inserisci-email", "/scegli-metodo", "/riepilogo-pagamento", "/esito"):
        page = browser(app).get(path)
        assert page.path == "/sessione-scaduta", path
        assert page.status == 200


def test_skipping_ahead_goes_back_to_the_first_missing_step(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    pages.get(f"/c/{create_cart(api, email=None)}")

    assert pages.get("/riepilogo-pagamento").path == "/inserisci-email"
    assert pages.get("/verifica-3ds").path == "/inserisci-email"
    assert pages.get("/annullato").path == "/inserisci-email"


def test_the_outcome_page_before_paying_goes_back_to_the_summary(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    to_summary(pages, f"/c/{create_cart(api)}")

    assert pages.get("/esito").path == "/riepilogo-pagamento"


# --- nothing sensitive kept, headers ------------------------------------------------------------------


def test_neither_the_card_number_nor_the_cvv_is_kept(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{create_cart(api)}", card="4000000000003006")
    pages.submit(summary, "pay-form")

    with app.extensions["sandbox"].database.engine.connect() as conn:
        stored = " ".join(str(row.data) for row in conn.execute(select(page_sessions)))
    assert "4000000000003006" not in stored and "3006" in stored  # last 4 digits only
    assert "cvv" not in stored.lower()
    with pages.transport.client.session_transaction() as cookie:  # type: ignore[attr-defined]
        assert set(cookie) <= {"sid", "tenant", "csrf", "lang"}


def test_pages_carry_a_strict_content_security_policy_and_security_headers(app: Flask) -> None:
    response = app.test_client().get("/")

    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert_only_this_site_may_frame(response)
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    assert "<script" not in html and "<style" not in html and " style=" not in html


def test_error_pages_and_static_files_carry_the_headers_too(app: Flask) -> None:
    client = app.test_client()
    for path in ("/non-esiste", "/static/css/sandbox.css"):
        with client.get(path) as response:  # closes the static file it streams
            assert_only_this_site_may_frame(response)
            assert response.headers["X-Content-Type-Options"] == "nosniff"


def assert_security_headers(response: TestResponse) -> None:
    assert_only_this_site_may_frame(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_redirect_hop_is_a_page_with_the_banner_the_headers_and_a_link(
    app: Flask, api: ApiClient
) -> None:
    cart_id = create_cart(api)
    hop = f"/ecommerce/checkout/v1/carts/{cart_id}/redirect?clientId=CHECKOUT_CART"

    response = app.test_client().get(hop)

    assert response.status_code == 200
    assert_security_headers(response)
    page = Page.parse(RawResponse(200, dict(response.headers), response.get_data(as_text=True)), hop)
    assert_page_frame(page)
    target = f"http://localhost/c/{cart_id}?clientId=CHECKOUT_CART"
    assert page.href("continue") == target
    assert page.text_of("redirect-body")
    assert any(
        e.tag == "meta" and e.attrs.get("content") == f"0; URL={target}" for e in page.all
    )  # it still leaves at once
    assert any(e.tag == "link" and "sandbox.css" in e.attrs.get("href", "") for e in page.all)


def test_the_redirect_hops_language_link_switches_it_and_the_pages_after_it(
    app: Flask, api: ApiClient
) -> None:
    pages = browser(app)
    hop = pages.get(f"/ecommerce/checkout/v1/carts/{create_cart(api)}/redirect?clientId=CHECKOUT_CART")
    assert hop.heading == "Ti stiamo portando al pagamento"

    english = pages.get(hop.href("lang-switch"))

    assert english.heading == "Taking you to the payment"
    assert pages.get(english.href("continue").removeprefix("http://localhost")).heading == "Enter your email"


def test_the_redirect_hop_keeps_its_parameters_inside_its_link(app: Flask) -> None:
    hop = "/ecommerce/checkout/v1/carts/x%3B%20URL%3Djavascript:alert(1)/redirect?clientId=a%26b%3Dc"

    page = Page.parse(RawResponse(200, {}, app.test_client().get(hop).get_data(as_text=True)), hop)

    assert (
        page.href("continue")
        == "http://localhost/c/x%3B%20URL%3Djavascript%3Aalert%281%29?clientId=a%26b%3Dc"
    )


def test_error_pages_of_every_kind_carry_the_security_headers(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "pages.home", broken)
    client = app.test_client()
    for response in (
        client.get("/"),  # 500
        client.post("/"),  # 405
        client.get("/c/not-a-cart"),  # 400
        client.post("/inserisci-dati-avviso", data={}),  # 400 CSRF
        client.get("/sessione-scaduta"),
    ):
        assert response.mimetype == "text/html"
        assert_security_headers(response)


def session_cookie(response: TestResponse) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("sandbox_checkout=")]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def test_the_session_cookie_is_secure_only_when_the_page_is_served_over_https(app: Flask) -> None:
    plain = app.test_client().get("/inserisci-dati-avviso")
    https = app.test_client().get("/inserisci-dati-avviso", base_url="https://sandbox.example")

    assert "Secure" not in session_cookie(plain)  # plain HTTP on localhost: a Secure cookie would be lost
    assert "; Secure" in session_cookie(https)
    assert "HttpOnly" in session_cookie(https) and "SameSite=Lax" in session_cookie(https)


CART = {
    "paymentNotices": [notice()],
    "returnUrls": {"returnOkUrl": OK_URL, "returnCancelUrl": CANCEL_URL, "returnErrorUrl": ERROR_URL},
}


def test_a_forwarded_https_is_believed_only_when_the_proxy_is_trusted(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "pay.sandbox.example"}
    untrusted = create_app(settings.with_(database_url=f"sqlite:///{tmp_path / 'a.db'}"), clock=clock)
    trusted = create_app(
        settings.with_(database_url=f"sqlite:///{tmp_path / 'b.db'}", trust_proxy=True), clock=clock
    )
    try:
        ignored = untrusted.test_client().get("/inserisci-dati-avviso", headers=forwarded)
        believed = trusted.test_client().get("/inserisci-dati-avviso", headers=forwarded)
        created = trusted.test_client().post("/checkout/ec/v1/carts", json=CART, headers=forwarded)
    finally:
        untrusted.extensions["sandbox"].close()
        trusted.extensions["sandbox"].close()

    assert "Secure" not in session_cookie(ignored)
    assert "; Secure" in session_cookie(believed)
    assert created.headers["Location"].startswith("https://pay.sandbox.example/ecommerce/checkout/v1/carts/")


def test_trusting_a_proxy_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).trust_proxy is False
    assert Settings.from_env({"PAGOPA_SANDBOX_TRUST_PROXY": "1"}).trust_proxy is True


def test_the_api_surfaces_keep_their_json_errors(app: Flask, api: ApiClient) -> None:
    for path in ("/_sandbox/v1/non-esiste", "/ecommerce/checkout/v1/carts/nope", "/gpd/non-esiste"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "application/json", path
        assert "Content-Security-Policy" not in response.headers


def test_an_unexpected_error_on_a_page_is_a_page_without_a_trace(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("boom: secret internals")

    monkeypatch.setitem(app.view_functions, "pages.home", broken)

    response = app.test_client().get("/")

    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Si è verificato un errore imprevisto" in text
    assert "Traceback" not in text and "boom" not in text
    assert "AMBIENTE DI PROVA" in text


def test_a_wrong_method_on_a_page_is_an_html_405(app: Flask) -> None:
    response = app.test_client().post("/")

    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "Operazione non consentita" in response.get_data(as_text=True)


def test_a_card_pays_with_any_valid_unlisted_number(app: Flask, api: ApiClient) -> None:
    assert pay(browser(app), f"/c/{create_cart(api)}", card=Card("5555555555554444")).outcome == 0


def test_a_payment_whose_attempt_was_reset_away_ends_on_the_error_page(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{create_cart(api)}")
    assert api.post("/_sandbox/v1/reset").status_code == 204

    page = pages.submit(summary, "pay-form")

    assert page.path == "/errore"
    assert page.heading == "Si è verificato un errore imprevisto"
    assert page.href("exit") == ERROR_URL
    assert receipts_of(api) == []
