"""Small builders of GPD request bodies (PaymentPositionModel) for the functional and contract tests."""

from __future__ import annotations

import copy
import zlib
from datetime import datetime, timedelta
from typing import Any

from tests.conftest import START

ORG = "77777777777"
OTHER_ORG = "80078750587"
BASE = "/gpd/debt-positions-service/v1"
IBAN = "IT60X0542811101000000123456"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def positions_url(org: str = ORG) -> str:
    return f"{BASE}/organizations/{org}/debtpositions"


def position_url(iupd: str, org: str = ORG) -> str:
    return f"{positions_url(org)}/{iupd}"


def paid_url(nav: str, org: str = ORG) -> str:
    return f"{BASE}/organizations/{org}/paymentoptions/paids/{nav}"


def transfer(id_transfer: str = "1", amount: int = 10000, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idTransfer": id_transfer,
        "amount": amount,
        "remittanceInformation": f"Quota {id_transfer}",
        "category": "9/0101108TS/",
        "iban": IBAN,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def option(iuv: str = "01000000000000001", amount: int = 10000, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "iuv": iuv,
        "amount": amount,
        "description": "Tassa rifiuti 2026",
        "isPartialPayment": False,
        "dueDate": iso(START + timedelta(days=30)),
        "transfer": [transfer(amount=amount)],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def position_body(iupd: str = "IUPD-0001", *, iuv: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A valid PaymentPositionModel with one option of 100.00 EUR due in 30 days.

    ``iuv`` picks the option's IUV (by default derived from the IUPD so that positions built with
    different IUPDs never clash); any keyword replaces a top-level field, ``None`` removes it.
    """
    body: dict[str, Any] = {
        "iupd": iupd,
        "type": "F",
        "fiscalCode": "RSSMRA80A01H501U",
        "fullName": "Mario Rossi",
        "email": "mario.rossi@example.com",
        "switchToExpired": False,
        "companyName": "Comune di Roma",
        "officeName": "Ufficio Tributi",
        "paymentOption": [option(iuv or iuv_for(iupd))],
    }
    body.update(overrides)
    return copy.deepcopy({k: v for k, v in body.items() if v is not None})


def iuv_for(iupd: str) -> str:
    """A 17-digit IUV that depends only on the IUPD."""
    return f"01{zlib.crc32(iupd.encode()):015d}"


# --- calls and checks shared by the GPD tests --------------------------------------------

REQUEST_DATA_ERROR = "Error in the debt position request data"


def create(api: Any, body: dict[str, Any], *, publish: bool = False, org: str = ORG) -> dict[str, Any]:
    """Create a position through the API and return the answered PaymentPositionModel."""
    url = positions_url(org) + ("?toPublish=true" if publish else "")
    response = api.post(url, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


def get(api: Any, iupd: str, org: str = ORG) -> dict[str, Any]:
    response = api.get(position_url(iupd, org))
    assert response.status_code == 200, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


def listed(api: Any, query: str = "", org: str = ORG) -> list[str]:
    """The IUPDs a list call answers, in order."""
    response = api.get(positions_url(org) + (f"?{query}" if query else ""))
    assert response.status_code == 200, response.get_data(as_text=True)
    return [p["iupd"] for p in response.get_json()["payment_position_list"]]


def assert_problem(response: Any, status: int, title: str | None = None, detail: str | None = None) -> None:
    """A ProblemJson answer: ``{title, status, detail}`` with the HTTP status repeated."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert isinstance(body, dict), body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body.get("detail"), str) and body["detail"]
    if title is not None:
        assert body["title"] == title
    if detail is not None:
        assert detail in body["detail"], body["detail"]
