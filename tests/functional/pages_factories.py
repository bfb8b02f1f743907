"""Builders for the checkout pages' tests: carts created through the real cart API, a headless
browser over the Flask test client, and what every page must show."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from simulator.testing.pages_client import FlaskTransport, Page, PagesClient
from tests.conftest import ApiClient

EC = "15376371009"  # an EC with no debt positions: its notices are synthetic, payable at once
NAV = "302000100000009424"
OTHER_NAV = "302123456789012356"
EMAIL = "mario.rossi@example.com"
OK_URL = "https://ec.example/esito?stato=ok&id=42"
CANCEL_URL = "https://ec.example/esito?stato=annullato"
ERROR_URL = "https://ec.example/esito?stato=errore"
WAITING_URL = "https://ec.example/esito?stato=attesa"
BANNER = "AMBIENTE DI PROVA"


def browser(app: Flask, tenant: str | None = None) -> PagesClient:
    headers = {"X-Sandbox-Tenant": tenant} if tenant else {}
    return PagesClient(FlaskTransport(app.test_client(), headers))


def notice(number: str = NAV, fiscal_code: str = EC, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "noticeNumber": number,
        "fiscalCode": fiscal_code,
        "amount": 12050,
        "companyName": "Comune di Prova",
        "description": "TARI 2026 - rata unica",
    }
    body.update(over)
    return body


def create_cart(
    api: ApiClient, *notices: dict[str, Any], version: int = 1, email: str | None = EMAIL, **over: Any
) -> str:
    """A cart through ``POST /checkout/ec/v{version}/carts``; returns its id."""
    urls = {"returnOkUrl": OK_URL, "returnCancelUrl": CANCEL_URL, "returnErrorUrl": ERROR_URL}
    if version >= 2:
        urls["returnWaitingUrl"] = WAITING_URL
    body: dict[str, Any] = {"paymentNotices": list(notices) or [notice()], "returnUrls": urls}
    if email is not None:
        body["emailNotice"] = email
    body.update(over)
    response = api.post(f"/checkout/ec/v{version}/carts", json=body)
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"]).split("/carts/")[1].split("/")[0]


def assert_page_frame(page: Page) -> None:
    """What every page has: one h1, the title built on it, the test banner, no pagoPA logo."""
    assert len(page.h1) == 1, (page.path, page.h1)
    assert page.title.startswith(page.h1[0] + " - pagoPA"), (page.title, page.h1)
    assert BANNER in page.text_of("sandbox-banner") or "TEST ENVIRONMENT" in page.text_of("sandbox-banner")
    assert page.by_id("skip-link").attrs["href"] == "#main"
    assert "main" in page.elements
    for element in page.all:
        if element.tag in ("img", "svg", "image", "object", "embed", "link"):
            reference = " ".join(element.attrs.values()).lower()
            assert "logo" not in reference and "pagopa" not in reference.replace("pagopa-sandbox", ""), (
                element
            )


def receipts_of(api: ApiClient, org: str = EC) -> list[dict[str, Any]]:
    """The EC's receipts of the last three months (none: GPD's 400 "Not enough elements")."""
    response = api.get(f"/gpd/payments-receipts-service/v1/payments/{org}/receipts")
    if response.status_code == 400 and response.get_json()["title"] == "Not enough elements":
        return []
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["results"])


def assert_only_this_site_may_frame(response: TestResponse) -> None:
    """The sandbox may frame its own pages (the presenter view); any other site is refused: the
    only source frame-ancestors names is 'self', and X-Frame-Options says SAMEORIGIN."""
    csp = response.headers["Content-Security-Policy"]
    ancestors = [d.split()[1:] for d in csp.split(";") if d.split()[:1] == ["frame-ancestors"]]
    assert ancestors == [["'self'"]], csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
