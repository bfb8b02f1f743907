"""Modello 1 through WISP: a station's nodoInviaCarrelloRPT / nodoInviaRPT becomes a cart; the
answer's url leads to the checkout pages; after paying, the citizen lands on the station's
redirect URL with idSession and esito, and the station receives the RT with paaInviaRT; what the
node refuses is an esito KO with its faultBean, what is not SOAP a SOAP Fault."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import xmlschema
from flask import Flask

from examples.station.app import Ledger
from simulator.notify.transport import RequestsTransport
from simulator.services.delivery import Notifier
from simulator.testing.pages_client import pay
from tests.conftest import KEY, ApiClient
from tests.functional.pages_factories import browser
from tests.functional.rpt_factories import invia_carrello, invia_rpt, post_soap, rpt
from tests.functional.station_factories import EC, reference_station, set_station

PAY_I = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"
RETURN = "https://portale.example/pagopa/ritorno"
IUV_A, IUV_B = "02000000000000456", "02000000000000789"


@pytest.fixture
def station(api: ApiClient) -> Iterator[tuple[str, Ledger]]:
    with reference_station() as (url, ledger):
        response = set_station(api, url, redirectUrl=RETURN, password="pwdpwd123")
        assert response.status_code == 200, response.get_data(as_text=True)
        yield url, ledger


def answer_of(response: Any, name: str) -> ET.Element:
    body = ET.fromstring(response.get_data())
    found = body.find(
        f"{{http://schemas.xmlsoap.org/soap/envelope/}}Body/{{http://ws.pagamenti.telematici.gov/}}{name}"
    )
    assert found is not None, response.get_data(as_text=True)
    return found


def cart_of(app: Flask, url: str) -> str:
    """Follow the WISP url as a browser does, to the cart it leads to."""
    parts = urlsplit(url)
    assert parts.path == "/wisp-converter/redirect/api/v1/payments"
    hop = app.test_client().get(f"{parts.path}?{parts.query}")
    assert hop.status_code == 302, hop.get_data(as_text=True)
    return str(hop.headers["Location"]).split("/carts/")[1].split("/")[0]


def test_a_cart_of_rpts_is_paid_on_the_pages_and_the_station_gets_its_rts(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    _, ledger = station
    request = invia_carrello(
        [(IUV_A, "CCP-A", rpt(IUV_A, "CCP-A")), (IUV_B, "CCP-B", rpt(IUV_B, "CCP-B", "10.50"))]
    )

    response = post_soap(app.test_client(), "nodoInviaCarrelloRPT", request)

    assert response.status_code == 200
    result = answer_of(response, "nodoInviaCarrelloRPTRisposta")
    assert result.findtext("esitoComplessivoOperazione") == "OK", response.get_data(as_text=True)
    url = result.findtext("url") or ""
    session_id = parse_qs(urlsplit(url).query)["sessionId"][0]
    cart_id = cart_of(app, url)
    assert session_id.startswith("77777777777_")
    assert api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["totalAmount"] == 5550

    checkout = pay(browser(app), f"/c/{cart_id}")

    assert checkout.outcome == 0
    assert checkout.exit_url == f"{RETURN}?idSession={session_id}&esito=OK"
    assert Notifier(app.extensions["sandbox"], RequestsTransport()).deliver_due() == 2
    schema = xmlschema.XMLSchema("simulator/soap/xsd/rpt/PagInf_RPT_RT_6_2_0.xsd")
    for iuv, paid in ((IUV_A, "45.00"), (IUV_B, "10.50")):
        rt = ledger.rts[(EC, iuv)]
        schema.validate(rt)
        root = ET.fromstring(rt)
        assert root.findtext(f"{{{PAY_I}}}datiPagamento/{{{PAY_I}}}codiceEsitoPagamento") == "0"
        assert root.findtext(f"{{{PAY_I}}}datiPagamento/{{{PAY_I}}}importoTotalePagato") == paid
    events = {d["event"]: d["status"] for d in api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]}
    assert events == {"paaInviaRT": "delivered"}
    assert ledger.receipts == {}  # a modello 1 station is never sent paSendRT


def test_a_cancelled_payment_returns_with_esito_error_and_sends_no_rt(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    response = post_soap(app.test_client(), "nodoInviaRPT", invia_rpt(IUV_A, "CCP-A", rpt(IUV_A, "CCP-A")))
    result = answer_of(response, "nodoInviaRPTRisposta")
    assert result.findtext("esito") == "OK", response.get_data(as_text=True)
    url = result.findtext("url") or ""
    session_id = parse_qs(urlsplit(url).query)["sessionId"][0]

    checkout = pay(browser(app), f"/c/{cart_of(app, url)}", cancel=True)

    assert checkout.exit_url == f"{RETURN}?idSession={session_id}&esito=ERROR"
    assert Notifier(app.extensions["sandbox"], RequestsTransport()).deliver_due() == 0


def _leave(client: Any, exit_url: str | None) -> str | None:
    """Where the citizen's last button leads once past the sandbox's own pages (a fault page's
    button leads to /errore, whose button leads to the EC)."""
    for _ in range(5):
        if exit_url is None or client.external(exit_url):
            break
        link = client.get(exit_url).elements.get("exit")
        exit_url = link.attrs.get("href") if link is not None else None
    return exit_url


def _ko(response: Any, name: str = "nodoInviaCarrelloRPTRisposta") -> tuple[str | None, str | None]:
    assert response.status_code == 200, response.get_data(as_text=True)
    result = answer_of(response, name)
    esito = result.findtext("esito") or result.findtext("esitoComplessivoOperazione")
    assert esito == "KO", response.get_data(as_text=True)
    assert result.find("url") is None
    return result.findtext("fault/faultCode"), result.findtext("fault/description")


@pytest.mark.parametrize(
    ("request_body", "code"),
    [
        (
            invia_carrello([(IUV_A, "C", rpt(IUV_A, "C", total="1.00"))], password="wrongpass1"),
            "PPT_AUTENTICAZIONE",
        ),
        (invia_carrello([(IUV_A, "C", b"<not-an-rpt/>")]), "PPT_SINTASSI_XSD"),
        (invia_carrello([(IUV_A, "C", b"plain text")]), "PPT_SINTASSI_XSD"),
        (invia_carrello([(IUV_A, "C", rpt(IUV_A, "C", amount="45"))]), "PPT_SINTASSI_XSD"),
        (
            invia_carrello([(IUV_A, "C", rpt(IUV_A, "C", domain="12345678901"))], domain="12345678901"),
            "PPT_DOMINIO_SCONOSCIUTO",
        ),
        (
            invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))], station="77777777777_99"),
            "PPT_STAZIONE_INT_PA_SCONOSCIUTA",
        ),
        (
            invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))], broker="99999999999"),
            "PPT_INTERMEDIARIO_PA_SCONOSCIUTO",
        ),
        (invia_carrello([(IUV_A, "OTHER", rpt(IUV_A, "C"))]), "PPT_SEMANTICA"),
    ],
    ids=[
        "password",
        "not-an-rpt",
        "not-xml",
        "amount-format",
        "domain",
        "station",
        "broker",
        "header-mismatch",
    ],
)
def test_a_refused_cart_is_esito_ko_with_the_nodes_fault_and_stores_nothing(
    app: Flask, api: ApiClient, station: tuple[str, Ledger], request_body: bytes, code: str
) -> None:
    response = post_soap(app.test_client(), "nodoInviaCarrelloRPT", request_body)

    assert _ko(response)[0] == code
    # nothing was stored: the same cart, well formed, is accepted afterwards
    good = invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))])
    again = post_soap(app.test_client(), "nodoInviaCarrelloRPT", good)
    assert answer_of(again, "nodoInviaCarrelloRPTRisposta").findtext("esitoComplessivoOperazione") == "OK"


def test_a_cart_id_sent_twice_is_refused_as_duplicate(app: Flask, station: tuple[str, Ledger]) -> None:
    body = invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))])
    first = post_soap(app.test_client(), "nodoInviaCarrelloRPT", body)
    assert answer_of(first, "nodoInviaCarrelloRPTRisposta").findtext("esitoComplessivoOperazione") == "OK"

    second = post_soap(app.test_client(), "nodoInviaCarrelloRPT", body)

    assert _ko(second)[0] == "PPT_ID_CARRELLO_DUPLICATO"
    single = post_soap(app.test_client(), "nodoInviaRPT", invia_rpt(IUV_B, "C", rpt(IUV_B, "C")))
    assert answer_of(single, "nodoInviaRPTRisposta").findtext("esito") == "OK"
    again = post_soap(app.test_client(), "nodoInviaRPT", invia_rpt(IUV_B, "C", rpt(IUV_B, "C")))
    assert _ko(again, "nodoInviaRPTRisposta")[0] == "PPT_RPT_DUPLICATA"


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><e>&c;</e>'
)


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("nodoInviaCarrelloRPT", b"this is not XML"),
        ("nodoInviaCarrelloRPT", BOMB),
        ("nodoInviaCarrelloRPT", b'<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><e>&x;</e>'),
        ("nodoInviaCarrelloRPT", b"<Envelope><Body/></Envelope>"),
        ("nodoChiediInformativaPA", invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))])),
        ("nodoInviaRPT", invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))])),
        ("", invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))])),
    ],
    ids=[
        "not-xml",
        "entity-bomb",
        "external-entity",
        "not-soap",
        "unknown-operation",
        "wrong-action",
        "no-action",
    ],
)
def test_what_is_not_a_soap_request_of_a_known_operation_is_a_soap_fault(
    app: Flask, api: ApiClient, action: str, body: bytes
) -> None:
    response = post_soap(app.test_client(), action, body)

    assert response.status_code == 500
    assert response.content_type.startswith("text/xml")
    text = response.get_data(as_text=True)
    assert "<faultcode>soapenv:Client</faultcode>" in text
    assert "root:" not in text  # nothing was read from the file system
    assert api.get("/_sandbox/v1/journal").status_code == 200


def test_the_authenticated_port_wants_the_subscription_key(app: Flask, station: tuple[str, Ledger]) -> None:
    body = invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))])
    path = "/nodo-auth/nodo-per-pa/v1"

    assert post_soap(app.test_client(), "nodoInviaCarrelloRPT", body, path=path).status_code == 401
    accepted = post_soap(app.test_client(), "nodoInviaCarrelloRPT", body, path=path, **KEY)
    assert answer_of(accepted, "nodoInviaCarrelloRPTRisposta").findtext("esitoComplessivoOperazione") == "OK"


def test_an_unknown_wisp_session_is_not_found(app: Flask) -> None:
    response = app.test_client().get("/wisp-converter/redirect/api/v1/payments?sessionId=77777777777_nope")

    assert response.status_code == 404


def test_the_password_is_not_kept_in_the_journal(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    post_soap(app.test_client(), "nodoInviaCarrelloRPT", invia_carrello([(IUV_A, "C", rpt(IUV_A, "C"))]))

    entries = api.get("/_sandbox/v1/journal?path=/nodo").get_json()["entries"]
    assert entries and all("pwdpwd123" not in (e.get("requestBody") or "") for e in entries)
    assert "<password>[redacted]</password>" in entries[0]["requestBody"]


def test_every_built_in_scenario_ends_at_the_station_with_its_esito_and_an_rt_only_when_paid(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    """The return URL carries esito OK exactly when the payment succeeded (ERROR for any other end),
    and the station gets an RT exactly when the payment's receipt exists (a delayed or lost receipt
    delays or loses the RT too)."""
    _, ledger = station
    listed = api.get("/_sandbox/v1/scenarios").get_json()["scenarios"]
    scenarios = [s["id"] for s in listed]
    refusals = {
        s["id"]: s["station"]["receipt"]["times"] for s in listed if "receipt" in s.get("station", {})
    }
    notifier = Notifier(app.extensions["sandbox"], RequestsTransport())
    seen: dict[str, tuple[int | None, str | None]] = {}
    for n, scenario in enumerate(scenarios):
        iuv = f"0200000000{n:07d}"
        answer = post_soap(app.test_client(), "nodoInviaRPT", invia_rpt(iuv, "C", rpt(iuv, "C")))
        url = answer_of(answer, "nodoInviaRPTRisposta").findtext("url") or ""
        cart_id = cart_of(app, url)
        chosen = api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": scenario})
        assert chosen.status_code == 200, chosen.get_data(as_text=True)
        session_id = parse_qs(urlsplit(url).query)["sessionId"][0]

        client = browser(app)
        checkout = pay(client, f"/c/{cart_id}")
        notifier.deliver_due()
        for _ in range(refusals.get(scenario, 0)):  # the scenario refuses the RT first: retried
            assert api.post("/_sandbox/v1/clock/advance", json={"seconds": 3600}).status_code == 200
            notifier.deliver_due()

        exit_url = _leave(client, checkout.exit_url)
        esito = parse_qs(urlsplit(exit_url).query).get("esito", [None])[0] if exit_url else None
        seen[scenario] = (checkout.outcome, esito)
        if exit_url is not None and exit_url.startswith(RETURN):
            assert parse_qs(urlsplit(exit_url).query)["idSession"] == [session_id], scenario
            assert esito == ("OK" if checkout.outcome == 0 else "ERROR"), (scenario, exit_url)
        timeline = api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["timeline"]
        receipted = any(e["type"] == "receipt.created" for e in timeline)
        assert ((EC, iuv) in ledger.rts) == receipted, scenario  # an RT exactly when a receipt exists
        assert not receipted or checkout.outcome == 0, scenario
    assert seen["happy-path"] == (0, "OK")
    assert seen["card-declined"][1] == "ERROR"
    assert seen["notice-expired"] == (None, "ERROR")  # the fault page's way out
    assert any(esito == "ERROR" for _, esito in seen.values())
