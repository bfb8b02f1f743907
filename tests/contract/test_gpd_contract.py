"""Every GPD answer of a realistic session (successes and 4xx) conforms to the official
``gpd.json`` (pagoPA's debt-position API, v1), validated with openapi-core."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.testing import MockRequest
from openapi_core.validation.response.exceptions import InvalidData

from simulator.services.clock import FixedClock
from tests.conftest import KEY, SPECS, START, ApiClient
from tests.functional.gpd_factories import BASE, ORG, iso, iuv_for, option, position_body, transfer

GPD_SPEC = SPECS / "openapi" / "gpd.json"

pytestmark = pytest.mark.contract

HOST = "http://localhost"
POSITIONS = "/organizations/{organizationfiscalcode}/debtpositions"
POSITION = POSITIONS + "/{iupd}"
PUBLISH = POSITION + "/publish"
INVALIDATE = POSITION + "/invalidate"
DAY = 24 * 3600


def load_spec() -> dict[str, Any]:
    """gpd.json, served from the test client's base URL.

    The path patterns are Java regexes (``[\\w*\\h-]+``); Python's ``re`` has no ``\\h``
    (horizontal whitespace), so it is spelled out as a class before openapi-core compiles them.
    """
    spec: dict[str, Any] = json.loads(GPD_SPEC.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": HOST + BASE}]

    def translate(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    node[key] = value.replace("\\h", " \\t\\xa0")
                else:
                    translate(value)
        elif isinstance(node, list):
            for item in node:
                translate(item)

    translate(spec)
    return spec


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> OpenAPI:
    return OpenAPI.from_dict(copy.deepcopy(spec))


class ContractClient:
    """Sends GPD calls and validates each answer against the spec; remembers what it checked."""

    def __init__(self, api: ApiClient, openapi: OpenAPI, spec: dict[str, Any]) -> None:
        self.api = api
        self.openapi = openapi
        self.spec = spec
        self.checked: set[tuple[str, str, int]] = set()

    def call(
        self,
        method: str,
        template: str,
        status: int,
        *,
        iupd: str = "",
        org: str = ORG,
        query: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        validate_request: bool = False,
    ) -> Any:
        path = BASE + template.format(organizationfiscalcode=org, iupd=iupd)
        url = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if body is not None:
            kwargs["json"] = body
        response = getattr(self.api, method)(url, **kwargs)
        assert response.status_code == status, response.get_data(as_text=True)

        documented = self.spec["paths"][template][method]["responses"]
        assert str(status) in documented, f"{method.upper()} {template} answered {status}, not in the spec"
        self.checked.add((method, template, status))
        request = MockRequest(
            HOST,
            method,
            path,
            args=query,
            headers={**self.api.headers, **(headers or {})},
            data=json.dumps(body).encode() if body is not None else None,
        )
        if validate_request:
            self.openapi.validate_request(request)
        if status != 401:  # the spec's 401 has no content: its status is all there is to check
            self.openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
        return response.get_json()


@pytest.fixture
def contract(api: ApiClient, openapi: OpenAPI, spec: dict[str, Any]) -> Iterator[ContractClient]:
    yield ContractClient(api, openapi, spec)


def full_body(iupd: str) -> dict[str, Any]:
    """A position using most optional fields: address, metadata, stamp, postal IBAN, retention."""
    stamp = {"hashDocument": "a" * 44, "stampType": "01", "provincialResidence": "RM"}
    transfers = [
        transfer("1", 8400, postalIban="IT60X0760103200000000123456", companyName="Comune di Roma"),
        transfer("2", 1600, iban=None, stamp=stamp, organizationFiscalCode="80078750587"),
        transfer("3", 500, transferMetadata=[{"key": "capitolo", "value": "1234"}]),
    ]
    opt = option(
        iuv_for(iupd),
        amount=10500,
        retentionDate=iso(START + timedelta(days=60)),
        fee=100,
        transfer=transfers,
        paymentOptionMetadata=[{"key": "anno", "value": "2026"}],
    )
    return position_body(
        iupd,
        type="G",
        fiscalCode="00488410010",
        fullName="ACME S.p.A.",
        streetName="Via Roma",
        civicNumber="1",
        postalCode="00100",
        city="Roma",
        province="RM",
        region="Lazio",
        country="IT",
        phone="+390600000000",
        payStandIn=False,
        switchToExpired=True,
        validityDate=iso(START + timedelta(days=1)),
        paymentOption=[opt],
    )


def test_a_creditor_session_answers_as_the_spec_says(contract: ContractClient, clock: FixedClock) -> None:
    c = contract
    publish = {"toPublish": "true"}

    # create: draft, published now, published later with every optional field
    c.call("post", POSITIONS, 201, body=position_body("DRAFT-1"), validate_request=True)
    c.call("post", POSITIONS, 201, query=publish, body=position_body("VALID-1"), validate_request=True)
    created = c.call("post", POSITIONS, 201, query=publish, body=full_body("FULL-1"), validate_request=True)
    assert created["status"] == "PUBLISHED"
    c.call("post", POSITIONS, 201, query=publish, body=position_body("PAID-1"))
    c.call("post", POSITIONS, 201, query=publish, body=position_body("INVALID-1"))

    # read and list
    assert c.call("get", POSITION, 200, iupd="FULL-1")["paymentOption"][0]["transfer"][1]["stamp"]
    c.call("get", POSITIONS, 200)
    c.call("get", POSITIONS, 200, query={"limit": "2", "page": "1", "orderby": "IUPD", "ordering": "ASC"})
    c.call("get", POSITIONS, 200, query={"status": "PUBLISHED", "due_date_from": "2026-03-01"})
    c.call("get", POSITIONS, 200, query={"page": "9"})

    # update, publish, invalidate, delete
    c.call("put", POSITION, 200, iupd="DRAFT-1", body=position_body("DRAFT-1", companyName="Comune di Bari"))
    c.call("put", POSITION, 200, iupd="VALID-1", query=publish, body=position_body("VALID-1"))
    assert c.call("post", PUBLISH, 200, iupd="DRAFT-1")["status"] == "VALID"
    assert c.call("post", INVALIDATE, 200, iupd="INVALID-1")["status"] == "INVALID"
    assert c.call("delete", POSITION, 200, iupd="DRAFT-1") == "The debt position was successfully deleted"

    # paid elsewhere (that path is not in gpd.json), then read as the spec describes it
    paid = c.api.post(
        f"{BASE}/organizations/{ORG}/paymentoptions/paids/3{iuv_for('PAID-1')}",
        json={"paymentMethod": "CASH", "pspCompany": "Poste Italiane", "idReceipt": "R-1", "fee": 100},
    )
    assert paid.status_code == 200
    assert c.call("get", POSITION, 200, iupd="PAID-1")["status"] == "PAID"
    c.call("get", POSITIONS, 200, query={"status": "PAID", "payment_date_from": "2026-03-02"})

    # 4xx answers
    c.call("post", POSITIONS, 409, body=position_body("VALID-1"))
    c.call("post", POSITIONS, 409, body=position_body("OTHER", iuv=iuv_for("VALID-1")))
    c.call("post", POSITIONS, 400, body=position_body("BAD", companyName="C" * 141))
    c.call("post", POSITIONS, 400, body={"iupd": "BAD"})
    c.call("get", POSITIONS, 400, query={"limit": "51"})
    c.call("get", POSITIONS, 400, query={"status": "FOO"})
    c.call("get", POSITION, 404, iupd="NOPE")
    c.call("put", POSITION, 404, iupd="NOPE", body=position_body("NOPE"))
    c.call("put", POSITION, 400, iupd="VALID-1", body=position_body("OTHER"))
    c.call("put", POSITION, 409, iupd="PAID-1", body=position_body("PAID-1"))
    c.call("delete", POSITION, 404, iupd="NOPE")
    c.call("delete", POSITION, 409, iupd="PAID-1")
    c.call("post", PUBLISH, 409, iupd="VALID-1")
    c.call("post", PUBLISH, 404, iupd="NOPE")
    c.call("post", INVALIDATE, 409, iupd="INVALID-1")
    c.call("post", INVALIDATE, 404, iupd="NOPE")

    # the clock moves: PUBLISHED -> VALID -> EXPIRED
    clock.advance(DAY)
    assert c.call("get", POSITION, 200, iupd="FULL-1")["status"] == "VALID"
    clock.advance(30 * DAY)
    assert c.call("get", POSITION, 200, iupd="FULL-1")["status"] == "EXPIRED"
    c.call("get", POSITIONS, 200, query={"status": "EXPIRED"})

    # the gateway refuses a call without subscription key
    no_key = {"Ocp-Apim-Subscription-Key": ""}
    for method, template in (
        ("get", POSITIONS),
        ("post", POSITIONS),
        ("get", POSITION),
        ("put", POSITION),
        ("delete", POSITION),
        ("post", PUBLISH),
        ("post", INVALIDATE),
    ):
        c.call(method, template, 401, iupd="VALID-1", headers=no_key)

    expected = {
        ("post", POSITIONS, 201),
        ("post", POSITIONS, 400),
        ("post", POSITIONS, 409),
        ("get", POSITIONS, 200),
        ("get", POSITIONS, 400),
        ("get", POSITION, 200),
        ("get", POSITION, 404),
        ("put", POSITION, 200),
        ("put", POSITION, 400),
        ("put", POSITION, 404),
        ("put", POSITION, 409),
        ("delete", POSITION, 200),
        ("delete", POSITION, 404),
        ("delete", POSITION, 409),
        ("post", PUBLISH, 200),
        ("post", PUBLISH, 404),
        ("post", PUBLISH, 409),
        ("post", INVALIDATE, 200),
        ("post", INVALIDATE, 404),
        ("post", INVALIDATE, 409),
    }
    assert expected <= c.checked


def test_the_contract_check_catches_an_answer_off_the_spec(contract: ContractClient, app: Flask) -> None:
    """The validator is not vacuous: a ProblemJson with a text status is refused."""
    request = MockRequest(HOST, "get", f"{BASE}/organizations/{ORG}/debtpositions/NOPE", headers=KEY)
    wrong = app.response_class(json.dumps({"title": "x", "status": "404"}), 404, mimetype="application/json")

    with pytest.raises(InvalidData, match="status"):
        contract.openapi.validate_response(request, WerkzeugOpenAPIResponse(wrong))


def test_a_payment_dated_in_year_1_is_still_an_rfc_3339_date_time(contract: ContractClient) -> None:
    contract.call("post", POSITIONS, 201, query={"toPublish": "true"}, body=position_body("OLD-1"))
    nav = "3" + iuv_for("OLD-1")
    paid = contract.api.post(
        f"{BASE}/organizations/{ORG}/paymentoptions/paids/{nav}", json={"paymentDate": "0001-01-01T00:00:00Z"}
    )
    assert paid.status_code == 200

    body = contract.call("get", POSITION, 200, iupd="OLD-1")

    assert body["paymentDate"] == "0001-01-01T00:00:00.000Z"
