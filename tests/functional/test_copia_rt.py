"""nodoChiediCopiaRT: a modello 1 station asks the node again for the RT of one RPT (domain, IUV,
CCP) and gets the very RT it was sent with paaInviaRT, in base64; an RPT without an RT yet is
PPT_RT_NONDISPONIBILE, one the node never had PPT_RT_SCONOSCIUTA, a caller the node does not
know its own fault, and a request that fails the WSDL's types PPT_SINTASSI_EXTRAXSD."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from examples.station.app import Ledger
from simulator.notify.transport import RequestsTransport
from simulator.services.delivery import Notifier
from simulator.testing.pages_client import pay
from tests.conftest import ApiClient
from tests.functional.pages_factories import browser
from tests.functional.rpt_factories import chiedi_copia_rt, invia_carrello, invia_rpt, post_soap, rpt
from tests.functional.station_factories import EC, reference_station, set_station
from tests.functional.test_modello1 import RETURN, answer_of, cart_of

IUV_A, IUV_B = "02000000000000456", "02000000000000789"
COPY = "nodoChiediCopiaRT"


@pytest.fixture
def station(api: ApiClient) -> Iterator[Ledger]:
    with reference_station() as (url, ledger):
        assert set_station(api, url, redirectUrl=RETURN, password="pwdpwd123").status_code == 200
        yield ledger


def start(app: Flask, operation: str, body: bytes) -> str:
    """The cart a nodoInviaRPT / nodoInviaCarrelloRPT made."""
    answer = answer_of(post_soap(app.test_client(), operation, body), f"{operation}Risposta")
    return cart_of(app, answer.findtext("url") or "")


def copy_of(app: Flask, body: bytes) -> Any:
    response = post_soap(app.test_client(), COPY, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/xml")
    return answer_of(response, "nodoChiediCopiaRTRisposta")


def fault_code(app: Flask, body: bytes) -> str | None:
    answer = copy_of(app, body)
    assert answer.find("rt") is None
    return answer.findtext("fault/faultCode")


def test_the_copy_of_a_paid_rpts_rt_is_the_rt_the_station_received(
    app: Flask, api: ApiClient, station: Ledger
) -> None:
    items = [(IUV_A, "CCP-A", rpt(IUV_A, "CCP-A")), (IUV_B, "CCP-B", rpt(IUV_B, "CCP-B", "10.50"))]
    cart_id = start(app, "nodoInviaCarrelloRPT", invia_carrello(items))
    assert pay(browser(app), f"/c/{cart_id}").outcome == 0
    assert Notifier(app.extensions["sandbox"], RequestsTransport()).deliver_due() == 2

    for iuv, ccp in ((IUV_A, "CCP-A"), (IUV_B, "CCP-B")):
        answer = copy_of(app, chiedi_copia_rt(iuv, ccp))

        assert answer.find("fault") is None
        assert answer.findtext("tipoFirma") == ""
        assert base64.b64decode(answer.findtext("rt") or "", validate=True) == station.rts[(EC, iuv)]


def test_an_rpt_not_paid_yet_has_no_rt_available(app: Flask, station: Ledger) -> None:
    start(app, "nodoInviaRPT", invia_rpt(IUV_A, "CCP-A", rpt(IUV_A, "CCP-A")))

    assert fault_code(app, chiedi_copia_rt(IUV_A, "CCP-A")) == "PPT_RT_NONDISPONIBILE"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (chiedi_copia_rt(IUV_B, "CCP-A"), "PPT_RT_SCONOSCIUTA"),
        (chiedi_copia_rt(IUV_A, "CCP-OTHER"), "PPT_RT_SCONOSCIUTA"),
        (chiedi_copia_rt(IUV_A, "CCP-A", password="wrongpass1"), "PPT_AUTENTICAZIONE"),
        (chiedi_copia_rt(IUV_A, "CCP-A", station="77777777777_99"), "PPT_STAZIONE_INT_PA_SCONOSCIUTA"),
        (chiedi_copia_rt(IUV_A, "CCP-A", domain="12345678901"), "PPT_DOMINIO_SCONOSCIUTO"),
        (chiedi_copia_rt(IUV_A, "CCP-A", password="short"), "PPT_SINTASSI_EXTRAXSD"),
        (chiedi_copia_rt("", "CCP-A"), "PPT_SINTASSI_EXTRAXSD"),
        (chiedi_copia_rt(IUV_A, "C" * 36), "PPT_SINTASSI_EXTRAXSD"),
    ],
    ids=[
        "unknown-iuv",
        "unknown-ccp",
        "password",
        "station",
        "domain",
        "short-password",
        "no-iuv",
        "long-ccp",
    ],
)
def test_a_copy_the_node_cannot_give_is_its_fault_and_never_the_rt(
    app: Flask, api: ApiClient, station: Ledger, body: bytes, code: str
) -> None:
    cart_id = start(app, "nodoInviaRPT", invia_rpt(IUV_A, "CCP-A", rpt(IUV_A, "CCP-A")))
    assert pay(browser(app), f"/c/{cart_id}").outcome == 0
    Notifier(app.extensions["sandbox"], RequestsTransport()).deliver_due()

    assert fault_code(app, body) == code
    assert copy_of(app, chiedi_copia_rt(IUV_A, "CCP-A")).find("rt") is not None  # the right one is there


@pytest.mark.parametrize(
    "body",
    [
        b"not XML",
        b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>',
        invia_rpt(IUV_A, "CCP-A", rpt(IUV_A, "CCP-A")),
    ],
    ids=["not-xml", "external-entity", "another-operation"],
)
def test_what_is_not_a_nodoChiediCopiaRT_is_a_soap_fault(app: Flask, station: Ledger, body: bytes) -> None:
    response = post_soap(app.test_client(), COPY, body)

    assert response.status_code == 500  # SOAP 1.1 carries a Fault with HTTP 500
    assert response.content_type.startswith("text/xml")
    text = response.get_data(as_text=True)
    assert "<faultcode>soapenv:Client</faultcode>" in text
    assert "Traceback" not in text and "root:" not in text


def test_a_delayed_receipt_makes_its_rt_available_once_its_time_has_come(
    app: Flask, api: ApiClient, station: Ledger
) -> None:
    """The RT exists once the node made it (production: once the converter has it), before the
    station has taken it."""
    cart_id = start(app, "nodoInviaRPT", invia_rpt(IUV_A, "CCP-A", rpt(IUV_A, "CCP-A")))
    chosen = api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "receipt-delayed"})
    assert chosen.status_code == 200
    assert pay(browser(app), f"/c/{cart_id}").outcome == 0
    assert fault_code(app, chiedi_copia_rt(IUV_A, "CCP-A")) == "PPT_RT_NONDISPONIBILE"

    assert api.post("/_sandbox/v1/clock/advance", json={"seconds": 180}).status_code == 200
    answer = copy_of(app, chiedi_copia_rt(IUV_A, "CCP-A"))

    assert answer.find("fault") is None
    assert (EC, IUV_A) not in station.rts  # nothing delivered it yet
    Notifier(app.extensions["sandbox"], RequestsTransport()).deliver_due()
    assert base64.b64decode(answer.findtext("rt") or "") == station.rts[(EC, IUV_A)]


def test_the_password_of_a_copy_request_is_not_kept_in_the_journal(
    app: Flask, api: ApiClient, station: Ledger
) -> None:
    post_soap(app.test_client(), COPY, chiedi_copia_rt(IUV_A, "CCP-A"))

    [entry] = api.get("/_sandbox/v1/journal?path=/nodo").get_json()["entries"]
    assert "pwdpwd123" not in entry["requestBody"]
    assert "PPT_RT_SCONOSCIUTA" in entry["responseBody"]
