"""Every checkout page, in every state a person can meet it, passes axe-core's WCAG 2.1 A and AA
rules in Chromium (styles and fonts loaded, so colour contrast is checked too): in Italian, and in
English for the pages of the payment flow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from simulator.domain.errors import PaymentFault
from simulator.domain.payment import FaultCategory
from simulator.services import payments
from tests.browser.conftest import LiveServer
from tests.browser.steps import (
    create_cart,
    open_cart,
    pay_without_browser,
    submit_card,
    submit_email,
    to_card,
    to_methods,
    to_psps,
    to_summary,
)
from tests.functional.pages_factories import EC, NAV

Axe = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="axe-playwright-python is not installed (pip install -e '.[browser]'): audits skipped",
).Axe

WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],  # details for violations only: the rules run are the same
}
AXE = Axe()
RETURN_URLS = {
    "returnOkUrl": "https://ec.example/esito?stato=ok",
    "returnCancelUrl": "https://ec.example/esito?stato=annullato",
    "returnErrorUrl": "https://ec.example/esito?stato=errore",
    "returnWaitingUrl": "https://ec.example/esito?stato=attesa",
}
CHALLENGE_CARD = "4000 0000 0000 3006"
DENIED_CARD = "4000 0000 0000 0028"
PENDING_CARD = "4000 0000 0000 0176"


@dataclass(frozen=True, slots=True)
class Visit:
    """Where a state is reached from: the browser tab, the live sandbox, pytest's monkeypatch."""

    page: Any
    server: LiveServer
    monkeypatch: pytest.MonkeyPatch

    def go(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def cart(self, version: int = 1, email: str | None = "mario.rossi@example.com") -> str:
        return create_cart(self.server.url, RETURN_URLS, version=version, email=email)


@dataclass(frozen=True, slots=True)
class State:
    """One page in one state: how to reach it, and the path and element that prove it was reached."""

    name: str
    reach: Callable[[Visit], None]
    path: str
    shows: str  # a CSS selector found only in this state


# --- reaching each state ---------------------------------------------------------------------------


def home(v: Visit) -> None:
    v.go("/")


def qr_form(v: Visit) -> None:
    v.go("/leggi-codice-qr")


def qr_with_error(v: Visit) -> None:
    qr_form(v)
    v.page.fill("#qrCode", "non è un codice QR")
    v.page.click("#submit")


def notice_form(v: Visit) -> None:
    v.go("/inserisci-dati-avviso")


def notice_form_with_errors(v: Visit) -> None:
    notice_form(v)
    v.page.fill("#billCode", "12345")
    v.page.click("#submit")


def payment_details(v: Visit) -> None:
    notice_form(v)
    v.page.fill("#billCode", NAV)
    v.page.fill("#cf", EC)
    v.page.click("#submit")


def email(v: Visit) -> None:
    open_cart(v.page, v.cart())


def email_mismatch(v: Visit) -> None:
    open_cart(v.page, v.cart(email=None))
    submit_email(v.page, confirm="altro@example.com")


def methods(v: Visit) -> None:
    to_methods(v.page, v.cart())


def card(v: Visit) -> None:
    to_card(v.page, v.cart())


def card_with_errors(v: Visit) -> None:
    to_card(v.page, v.cart())
    submit_card(v.page, number="4242 4242 4242 4241", expiry="13/30", cvv="12", holder="")


def psps(v: Visit) -> None:
    to_psps(v.page, v.cart())


def summary(v: Visit) -> None:
    to_summary(v.page, v.cart())


def cancel_confirmation(v: Visit) -> None:
    summary(v)
    v.page.click("#cancel")


def challenge(v: Visit) -> None:
    to_summary(v.page, v.cart(), CHALLENGE_CARD)
    v.page.click("#pay")


def challenge_with_error(v: Visit) -> None:
    challenge(v)
    v.page.wait_for_url("**/verifica-3ds")
    v.page.click("#submit")


def paid_with(number: str, version: int = 1) -> Callable[[Visit], None]:
    def reach(v: Visit) -> None:
        to_summary(v.page, v.cart(version), number)
        v.page.click("#pay")

    return reach


def cancelled(v: Visit) -> None:
    cancel_confirmation(v)
    v.page.wait_for_url("**/annulla")
    v.page.click("#confirm-cancel")


def error_page(v: Visit) -> None:
    v.go("/errore")


def session_expired(v: Visit) -> None:
    v.go("/sessione-scaduta")


def not_found(v: Visit) -> None:
    v.go("/pagina-che-non-esiste")


def cart_not_found(v: Visit) -> None:
    v.go("/c/00000000-0000-0000-0000-000000000000")


def already_paid(v: Visit) -> None:
    pay_without_browser(v.server.url, f"/{EC}{NAV}")
    payment_details(v)


def technical_fault(v: Visit) -> None:
    def failing_verify(*args: object, **kwargs: object) -> None:
        raise PaymentFault(FaultCategory.DOMAIN_UNKNOWN, "PPT_STAZIONE_INT_PA_TIMEOUT")

    v.monkeypatch.setattr(payments, "verify", failing_verify)
    payment_details(v)


HOP = "/ecommerce/checkout/v1/carts/00000000-0000-0000-0000-000000000000/redirect"


def redirect_hop(v: Visit) -> None:
    """The hop's page as it stands before it leaves: the cart page answers 204, so it stays."""
    v.page.route("**/c/**", lambda route: route.fulfill(status=204))
    v.go(HOP + "?clientId=CHECKOUT_CART")


def csrf_refused(v: Visit) -> None:
    notice_form(v)
    v.page.locator("input[name=csrf_token]").evaluate("field => { field.value = 'forged'; }")
    v.page.fill("#billCode", NAV)
    v.page.fill("#cf", EC)
    v.page.click("#submit")


FLOW = [
    State("home", home, "/", "#entry-choices"),
    State("notice-form", notice_form, "/inserisci-dati-avviso", "#notice-form"),
    State("notice-form-errors", notice_form_with_errors, "/inserisci-dati-avviso", "#billCode-error"),
    State("payment-details", payment_details, "/dati-pagamento", "#notice-details"),
    State("email", email, "/inserisci-email", "#email-form"),
    State("email-mismatch", email_mismatch, "/inserisci-email", "#confirmEmail-error"),
    State("methods", methods, "/scegli-metodo", "#method-form"),
    State("card", card, "/inserisci-carta", "#card-form"),
    State("card-errors", card_with_errors, "/inserisci-carta", "#error-summary"),
    State("psps", psps, "/lista-psp", "#psp-form"),
    State("summary", summary, "/riepilogo-pagamento", "#pay-form"),
    State("cancel-confirmation", cancel_confirmation, "/annulla", "#cancel-form"),
    State("3ds", challenge, "/verifica-3ds", "#otp-form"),
    State("3ds-error", challenge_with_error, "/verifica-3ds", "#otp-error"),
    State("outcome-0-paid", paid_with("4242 4242 4242 4242"), "/esito", "#outcome[data-outcome='0']"),
    State("outcome-2-denied", paid_with(DENIED_CARD), "/esito", "#outcome[data-outcome='2']"),
    State("outcome-17-pending", paid_with(PENDING_CARD, 2), "/esito", "#outcome[data-outcome='17']"),
    State("cancelled", cancelled, "/annullato", "#terminal[data-ending='cancelled']"),
]
OTHERS = [
    State("qr-form", qr_form, "/leggi-codice-qr", "#qr-form"),
    State("qr-error", qr_with_error, "/leggi-codice-qr", "#qrCode-error"),
    State("error", error_page, "/errore", "#terminal[data-ending='error']"),
    State("session-expired", session_expired, "/sessione-scaduta", "#terminal[data-ending='expired']"),
    State("not-found", not_found, "/pagina-che-non-esiste", "#http-error"),
    State("cart-not-found", cart_not_found, "/c/00000000-0000-0000-0000-000000000000", "#http-error"),
    State(
        "fault-already-paid",
        already_paid,
        "/inserisci-dati-avviso",
        "#fault[data-category='PAYMENT_DUPLICATED']",
    ),
    State("fault-with-code", technical_fault, "/inserisci-dati-avviso", "#fault-code"),
    State("csrf-refused", csrf_refused, "/inserisci-dati-avviso", "#http-error"),
    State("redirect-hop", redirect_hop, HOP, "#redirect"),
]
CASES = [pytest.param(s, "it", id=f"it-{s.name}") for s in FLOW + OTHERS] + [
    pytest.param(s, "en", id=f"en-{s.name}") for s in FLOW
]


def audit(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations on the page as it stands."""
    return list(AXE.run(page, options=WCAG_21_AA).response["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """Each violation's rule, impact and help, then each failing element's target and what to fix."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            fix = [line.strip() for line in node.get("failureSummary", "").splitlines() if line.strip()]
            lines.append(f"    {target}: {fix[0] if fix else ''} {'; '.join(fix[1:])}".rstrip())
    return "\n".join(lines)


@pytest.mark.parametrize(("state", "language"), CASES)
def test_each_page_state_has_no_wcag_21_aa_violation(
    page: Any, live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, state: State, language: str
) -> None:
    visit = Visit(page, live_server, monkeypatch)
    if language != "it":
        visit.go(f"/?lang={language}")
    state.reach(visit)
    page.locator(state.shows).first.wait_for(state="attached")
    page.wait_for_load_state("load")
    assert page.url.split("?")[0] == live_server.url + state.path
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("#sandbox-banner").is_visible()

    violations = audit(page)

    assert violations == [], (
        f"{state.name} ({language}) has accessibility violations:\n{describe(violations)}"
    )


def test_the_audit_reports_a_violation_with_its_rule_and_element(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    page.locator("main").evaluate("main => main.insertAdjacentHTML('beforeend', '<input id=\"unlabelled\">')")

    violations = audit(page)

    assert [v["id"] for v in violations] == ["label"]
    report = describe(violations)
    assert report.startswith("label [critical] Form elements must have labels")
    assert "    #unlabelled: Fix any of the following: Element does not have" in report, report


def test_a_click_after_tabbing_to_the_skip_link_still_reaches_its_target(
    page: Any, live_server: LiveServer
) -> None:
    page.goto(live_server.url + "/")
    main_top = page.locator("main").bounding_box()["y"]

    page.keyboard.press("Tab")  # the skip link shows; clicking elsewhere hides it again

    skip_link = page.locator("#skip-link")
    assert skip_link.evaluate("link => link === document.activeElement")
    assert skip_link.bounding_box()["height"] > 20
    assert page.locator("main").bounding_box()["y"] == main_top  # shown over the page, not pushing it
    page.click("#choose-manual")
    page.wait_for_url("**/inserisci-dati-avviso")
