"""What the browser tests do against the live sandbox: create carts as an EC does (plain HTTP, the
real cart API), and walk the checkout pages in Chromium, by element id so the same steps work in
Italian and in English."""

from __future__ import annotations

from typing import Any

import requests

from simulator.testing.pages_client import PagesClient, RequestsTransport, pay
from tests.conftest import KEY
from tests.functional.pages_factories import EC, EMAIL, NAV

TIMEOUT = 10.0
CARD = "4242 4242 4242 4242"


def create_cart(
    base_url: str,
    return_urls: dict[str, str],
    *,
    tenant: str | None = None,
    email: str | None = EMAIL,
    version: int = 1,
    number: str = NAV,
) -> str:
    """``POST /checkout/ec/v{version}/carts`` over HTTP, as an EC's server does; returns the 302's
    Location (the gateway's redirect hop)."""
    body: dict[str, Any] = {
        "paymentNotices": [
            {
                "noticeNumber": number,
                "fiscalCode": EC,
                "amount": 12050,
                "companyName": "Comune di Prova",
                "description": "TARI 2026 - rata unica",
            }
        ],
        "returnUrls": return_urls,
    }
    if email is not None:
        body["emailNotice"] = email
    headers = {"X-Sandbox-Tenant": tenant} if tenant else {}
    response = requests.post(
        f"{base_url}/checkout/ec/v{version}/carts",
        json=body,
        headers=headers,
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text
    return str(response.headers["Location"])


def receipts(base_url: str, org: str = EC, tenant: str | None = None) -> list[dict[str, Any]]:
    """The GPD receipts of ``org`` (last three months), as the EC's PT reads them: none is GPD's 400
    "Not enough elements"."""
    headers = {**KEY, **({"X-Sandbox-Tenant": tenant} if tenant else {})}
    response = requests.get(
        f"{base_url}/gpd/payments-receipts-service/v1/payments/{org}/receipts",
        headers=headers,
        timeout=TIMEOUT,
    )
    if response.status_code == 400 and response.json()["title"] == "Not enough elements":
        return []
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def pay_without_browser(base_url: str, start: str) -> None:
    """A whole payment by links and forms over HTTP (no browser), e.g. to make a notice paid."""
    transport = RequestsTransport(base_url)
    try:
        result = pay(PagesClient(transport), start)
    finally:
        transport.session.close()
    assert result.outcome == 0, result.last.html


# --- in the browser --------------------------------------------------------------------------------


def open_cart(page: Any, location: str) -> None:
    """From the cart API's Location: the redirect hop's meta refresh leads to the email page."""
    page.goto(location)
    page.wait_for_url("**/inserisci-email")


def submit_email(page: Any, email: str = EMAIL, confirm: str | None = None) -> None:
    page.fill("#email", email)
    page.fill("#confirmEmail", email if confirm is None else confirm)
    page.click("#submit")


def to_methods(page: Any, location: str) -> None:
    open_cart(page, location)
    submit_email(page)
    page.wait_for_url("**/scegli-metodo")


def to_card(page: Any, location: str) -> None:
    to_methods(page, location)
    page.click("#method-CP")
    page.wait_for_url("**/inserisci-carta")


def submit_card(
    page: Any, number: str = CARD, expiry: str = "12/30", cvv: str = "123", holder: str = "Mario Rossi"
) -> None:
    page.fill("#number", number)
    page.fill("#expirationDate", expiry)
    page.fill("#cvv", cvv)
    page.fill("#name", holder)
    page.click("#submit")


def to_psps(page: Any, location: str, number: str = CARD) -> None:
    to_card(page, location)
    submit_card(page, number)
    page.wait_for_url("**/lista-psp")


def to_summary(page: Any, location: str, number: str = CARD) -> None:
    to_psps(page, location, number)
    page.locator("#psps button").first.click()
    page.wait_for_url("**/riepilogo-pagamento")
