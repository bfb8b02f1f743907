"""Builders for the scenario and control-API tests: carts made through the real cart API (with a
scenario asked for by header or body), headless completion, the status query, and what an EC
then reads back from GPD."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flask import Flask

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.testing.pages_client import Page, PagesClient
from tests.conftest import ApiClient
from tests.functional.gpd_factories import OTHER_ORG, create, get, position_body
from tests.functional.pages_factories import CANCEL_URL, EMAIL, ERROR_URL, OK_URL, WAITING_URL

MANAGED_EC = OTHER_ORG  # an EC whose positions the tests create: GPD knows its notices
SYNTHETIC_EC = "15376371009"  # no positions: its notices are synthetic
URLS = {"ok": OK_URL, "cancel": CANCEL_URL, "error": ERROR_URL, "waiting": WAITING_URL, None: None}


def synthetic_nav(n: int) -> str:
    return f"30200010000{n:07d}"


def managed_notice(api: ApiClient, n: int, amount: int = 10_000) -> dict[str, Any]:
    """A VALID GPD position of MANAGED_EC with one option; the cart notice paying it."""
    iuv = f"0200000000000{n:04d}"
    body = position_body(f"IUPD-S{n}", iuv=iuv)
    body["paymentOption"][0]["amount"] = amount
    body["paymentOption"][0]["transfer"][0]["amount"] = amount
    create(api, body, publish=True, org=MANAGED_EC)
    return notice("3" + iuv, MANAGED_EC, amount=amount)


def notice(nav: str, fiscal_code: str = SYNTHETIC_EC, amount: int = 12_050) -> dict[str, Any]:
    return {
        "noticeNumber": nav,
        "fiscalCode": fiscal_code,
        "amount": amount,
        "companyName": "Comune di Prova",
        "description": "TARI 2026 - rata unica",
    }


def cart_body(*notices: dict[str, Any], version: int = 2, **over: Any) -> dict[str, Any]:
    urls = {"returnOkUrl": OK_URL, "returnCancelUrl": CANCEL_URL, "returnErrorUrl": ERROR_URL}
    if version >= 2:
        urls["returnWaitingUrl"] = WAITING_URL
    body: dict[str, Any] = {
        "paymentNotices": list(notices) or [notice(synthetic_nav(1))],
        "returnUrls": urls,
        "emailNotice": "mario.rossi@example.com",
        "idCart": "EC-CART-42",
    }
    body.update(over)
    return body


def new_cart(
    api: ApiClient,
    *notices: dict[str, Any],
    scenario: str | None = None,
    version: int = 2,
    **over: Any,
) -> str:
    """A cart through ``POST /checkout/ec/v{version}/carts`` (``scenario``: the X-Sandbox-Scenario
    header); returns its id."""
    headers = {"X-Sandbox-Scenario": scenario} if scenario else {}
    response = api.post(
        f"/checkout/ec/v{version}/carts", json=cart_body(*notices, version=version, **over), headers=headers
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"]).split("/carts/")[1].split("/")[0]


def status(api: ApiClient, cart_id: str) -> dict[str, Any]:
    response = api.get(f"/_sandbox/v1/carts/{cart_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def complete(api: ApiClient, cart_id: str, **body: Any) -> dict[str, Any]:
    """``POST /_sandbox/v1/carts/{id}/complete``; the 200 answer."""
    response = api.post(f"/_sandbox/v1/carts/{cart_id}/complete", json=body or None)
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


def events_of(answer: dict[str, Any]) -> list[str]:
    return [e["type"] for e in answer["timeline"]]


def gpd_receipts(api: ApiClient, org: str) -> list[dict[str, Any]]:
    """The EC's receipts of the last three months (none: GPD's 400 "Not enough elements")."""
    response = api.get(f"/gpd/payments-receipts-service/v1/payments/{org}/receipts")
    if response.status_code == 400 and response.get_json()["title"] == "Not enough elements":
        return []
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.get_json()["results"])


def option_status(api: ApiClient, n: int) -> tuple[str, str]:
    """(position status, option status) of the managed position made by ``managed_notice(n)``."""
    position = get(api, f"IUPD-S{n}", org=MANAGED_EC)
    return position["status"], position["paymentOption"][0]["status"]


def to_summary(pages: PagesClient, start: str, card: str = "4242424242424242") -> Page:
    """From a cart's or notice's first page to the summary, paying by card with the first PSP."""
    page = pages.get(start)
    if page.path == "/dati-pagamento":
        page = pages.get(page.href("continue"))
    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})
    page = pages.submit(page, "method-form", button="method-CP")
    page = pages.submit(
        page, "card-form", {"number": card, "expirationDate": "12/30", "cvv": "123", "name": "M R"}
    )
    page = pages.submit(page, "psp-form", button="psp-DEMOPSP001")
    assert page.path == "/riepilogo-pagamento", (page.path, page.heading)
    return page


def app_with(settings: Settings, clock: FixedClock, tmp_path: Path, **changes: Any) -> Flask:
    """Another sandbox on its own database, with some settings changed."""
    database = f"sqlite:///{tmp_path / f'sandbox-{uuid.uuid4().hex[:8]}.sqlite3'}"
    return create_app(settings.with_(database_url=database, **changes), clock=clock)
