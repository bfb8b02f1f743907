"""Station mode: an EC with its own station is verified, activated and sent its receipt over SOAP
(paForNode), the reference station in examples/ answering; every way the station can fail
becomes the node's fault code on the pages, the cart and the timeline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import xmlschema
from flask import Flask

from examples.station.app import Ledger
from simulator.notify.transport import RequestsTransport
from simulator.services.delivery import Notifier
from simulator.testing.pages_client import pay
from tests.conftest import ApiClient
from tests.functional.pages_factories import OK_URL, browser, create_cart
from tests.functional.station_factories import (
    EC,
    EXPIRED,
    PAYABLE,
    UNKNOWN,
    reference_station,
    serving,
    set_station,
    station_notice,
)

SPEC = "../shared/specs/pagopa-api/wsdl/xsd/paForNode.xsd"


@pytest.fixture
def station(api: ApiClient) -> Iterator[tuple[str, Ledger]]:
    with reference_station() as (url, ledger):
        response = set_station(api, url)
        assert response.status_code == 200, response.get_data(as_text=True)
        yield url, ledger


def deliver(app: Flask) -> int:
    return Notifier(app.extensions["sandbox"], RequestsTransport()).deliver_due()


def station_calls(api: ApiClient, cart_id: str) -> list[dict[str, Any]]:
    timeline = api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["timeline"]
    return [e["data"] for e in timeline if e["type"] == "station.called"]


def fault_of(api: ApiClient, cart_id: str) -> dict[str, Any]:
    return dict(api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["fault"])


def test_a_citizen_pays_a_station_notice_and_the_station_gets_its_receipt(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    _, ledger = station
    cart_id = create_cart(api, station_notice())

    checkout = pay(browser(app), f"/c/{cart_id}")

    assert checkout.outcome == 0
    assert checkout.exit_url == OK_URL
    assert deliver(app) == 1
    received = ledger.receipts[(EC, PAYABLE)]
    receipt = ET.fromstring(received)
    assert receipt.findtext("noticeNumber") == PAYABLE
    assert receipt.findtext("paymentAmount") == "120.50"  # the station's amount, not the cart's
    assert ledger.debts[(EC, PAYABLE)].status == "paid"
    [delivery] = api.get("/_sandbox/v1/deliveries?event=paSendRTV2").get_json()["deliveries"]
    assert (delivery["event"], delivery["status"]) == ("paSendRTV2", "delivered")
    detail = api.get(f"/_sandbox/v1/deliveries/{delivery['id']}").get_json()
    assert "paSendRTV2Request" in detail["soapBody"]
    journal = api.get("/_sandbox/v1/journal").get_json()
    sent = [e for e in journal["entries"] if e.get("direction") == "out"]
    assert any("paVerifyPaymentNoticeReq" in (e.get("requestBody") or "") for e in sent)
    assert any("paGetPaymentV2Response" in (e.get("responseBody") or "") for e in sent)


def test_the_receipt_sent_validates_against_the_official_xsd(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    from pathlib import Path

    schema = xmlschema.XMLSchema(str(Path(__file__).parents[2] / SPEC))
    pay(browser(app), f"/c/{create_cart(api, station_notice())}")
    [delivery] = api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]
    body = api.get(f"/_sandbox/v1/deliveries/{delivery['id']}").get_json()["soapBody"]
    message = ET.fromstring(body).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]  # type: ignore[index]
    schema.validate(message)


def test_a_version_1_station_gets_paGetPayment_and_paSendRT(app: Flask, api: ApiClient) -> None:
    with reference_station() as (url, ledger):
        set_station(api, url, version=1)
        checkout = pay(browser(app), f"/c/{create_cart(api, station_notice())}")
        assert checkout.outcome == 0
        assert deliver(app) == 1
    [delivery] = api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]
    assert (delivery["event"], delivery["status"]) == ("paSendRT", "delivered")
    assert (EC, PAYABLE) in ledger.receipts


@pytest.mark.parametrize(
    ("number", "detail"),
    [(UNKNOWN, "PAA_PAGAMENTO_SCONOSCIUTO"), (EXPIRED, "PAA_PAGAMENTO_SCADUTO")],
)
def test_a_station_refusal_is_the_node_fault_with_the_paa_code(
    app: Flask, api: ApiClient, station: tuple[str, Ledger], number: str, detail: str
) -> None:
    cart_id = create_cart(api, station_notice(number))

    checkout = pay(browser(app), f"/c/{cart_id}")

    assert checkout.outcome is None
    assert "fault" in checkout.last.elements
    assert fault_of(api, cart_id)["faultCode"] == detail
    [call] = station_calls(api, cart_id)
    assert (call["operation"], call["faultCode"], call["stationFaultCode"]) == (
        "paVerifyPaymentNotice",
        "PPT_ERRORE_EMESSO_DA_PAA",
        detail,
    )


def _station_answering(body: bytes, status: int = 200, content_type: str = "text/xml") -> Any:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response(f"{status} X", [("Content-Type", content_type)])
        return [body]

    return app


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>Service Unavailable</body></html>", "text/html"),
        (b"not xml at all", "text/plain"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<soapenv:Body>&b;</soapenv:Body></soapenv:Envelope>",
            "text/xml",
        ),
        (
            b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
            b'<pafn:paVerifyPaymentNoticeRes xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">'
            b"<outcome>MAYBE</outcome></pafn:paVerifyPaymentNoticeRes></soapenv:Body></soapenv:Envelope>",
            "text/xml",
        ),
    ],
    ids=["html", "not-xml", "entity-bomb", "schema-invalid"],
)
def test_an_answer_that_is_not_a_valid_soap_response_is_errore_response(
    app: Flask, api: ApiClient, body: bytes, content_type: str
) -> None:
    with serving(_station_answering(body, content_type=content_type)) as url:
        set_station(api, url)
        cart_id = create_cart(api, station_notice())
        checkout = pay(browser(app), f"/c/{cart_id}")
    assert checkout.outcome is None
    assert fault_of(api, cart_id) == {
        "faultCodeCategory": "DOMAIN_UNKNOWN",
        "faultCode": "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
    }
    assert "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE" in checkout.last.text_of("fault")


def test_an_unreachable_station_is_irraggiungibile(app: Flask, api: ApiClient) -> None:
    with serving(_station_answering(b"")) as url:
        pass  # the port is free again: nobody answers there
    set_station(api, url)
    cart_id = create_cart(api, station_notice())

    checkout = pay(browser(app), f"/c/{cart_id}")

    assert checkout.outcome is None
    assert fault_of(api, cart_id)["faultCode"] == "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"


@pytest.mark.parametrize(
    ("station", "field"),
    [
        ({"url": "ftp://station.example/", "idBrokerPA": "1", "idStation": "1_01"}, "station.url"),
        ({"url": "javascript:alert(1)", "idBrokerPA": "1", "idStation": "1_01"}, "station.url"),
        ({"url": "http://localhost/", "idBrokerPA": "1", "idStation": "1_01"}, "station.url"),
        (
            {"url": "https://s.example/", "idBrokerPA": "1", "idStation": "1_01", "version": 3},
            "station.version",
        ),
        ({"url": "https://s.example/", "idStation": "1_01"}, "station.idBrokerPA"),
        ({"url": "https://s.example/", "idBrokerPA": "a b", "idStation": "1_01"}, "station.idBrokerPA"),
    ],
)
def test_a_bad_station_is_refused_naming_the_field_and_changes_nothing(
    api: ApiClient, station: dict[str, Any], field: str
) -> None:
    response = api.put(f"/_sandbox/v1/organizations/{EC}", json={"station": station})

    assert response.status_code == 400, response.get_data(as_text=True)
    assert field in response.get_data(as_text=True)
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["station"] is None


def test_the_station_is_shown_without_its_password_and_removed_with_null(api: ApiClient) -> None:
    set_station(api, "https://station.example/pa", password="s3cretPass")

    shown = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["station"]
    assert shown["hasPassword"] is True and "password" not in shown
    assert api.put(f"/_sandbox/v1/organizations/{EC}", json={"notificationUrl": None}).status_code == 200
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["station"]["idStation"] == "77777777777_01"
    api.put(f"/_sandbox/v1/organizations/{EC}", json={"station": None})
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["station"] is None


def test_a_station_slower_than_the_timeout_is_timeout_and_nothing_hangs(
    settings: Any, clock: Any, tmp_path: Any
) -> None:
    import time

    from simulator.app import create_app
    from tests.conftest import ApiClient as Client

    app = create_app(
        settings.with_(database_url=f"sqlite:///{tmp_path / 'slow.sqlite3'}", station_timeout_seconds=0.3),
        clock=clock,
    )
    api = Client(app.test_client())

    def slow(environ: Any, start_response: Any) -> list[bytes]:
        time.sleep(1.5)
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [b""]

    try:
        with serving(slow) as url:
            set_station(api, url)
            cart_id = create_cart(api, station_notice())
            checkout = pay(browser(app), f"/c/{cart_id}")
        assert checkout.outcome is None
        assert fault_of(api, cart_id)["faultCode"] == "PPT_STAZIONE_INT_PA_TIMEOUT"
    finally:
        app.extensions["sandbox"].close()


def test_a_receipt_the_station_refuses_is_retried_until_it_takes_it(app: Flask, api: ApiClient) -> None:
    from examples.station.app import Ledger as StationLedger
    from examples.station.app import create_app as station_app
    from tests.functional.station_factories import BROKER, DEBTS, STATION_ID

    ledger = StationLedger.load(DEBTS)
    inner = station_app(ledger, BROKER, STATION_ID)
    refusals = [0]

    def refusing_once(environ: Any, start_response: Any) -> Any:
        if environ.get("HTTP_SOAPACTION", "").strip('"') == "paSendRTV2" and refusals[0] == 0:
            refusals[0] += 1
            start_response("200 OK", [("Content-Type", "text/xml")])
            return [
                b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                b'<p:paSendRTV2Response xmlns:p="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">'
                b"<outcome>KO</outcome><fault><faultCode>PAA_SYSTEM_ERROR</faultCode>"
                b"<faultString>down</faultString><id>station</id></fault>"
                b"</p:paSendRTV2Response></s:Body></s:Envelope>"
            ]
        return inner(environ, start_response)

    with serving(refusing_once) as url:
        set_station(api, url)
        assert pay(browser(app), f"/c/{create_cart(api, station_notice())}").outcome == 0
        assert deliver(app) == 1
        [first] = api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]
        assert first["status"] == "pending" and "PAA_SYSTEM_ERROR" in first["lastError"]
        assert (EC, PAYABLE) not in ledger.receipts
        api.post("/_sandbox/v1/clock/advance", json={"seconds": 3600})
        assert deliver(app) == 1
    [again] = api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]
    assert (again["status"], again["attemptCount"]) == ("delivered", 2)
    assert (EC, PAYABLE) in ledger.receipts


def test_the_receipt_duplicated_scenario_sends_it_twice_and_the_station_keeps_one(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    _, ledger = station
    cart_id = create_cart(api, station_notice())
    assert (
        api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "receipt-duplicated"}).status_code
        == 200
    )

    assert pay(browser(app), f"/c/{cart_id}").outcome == 0
    assert deliver(app) == 2

    rows = api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]
    assert [(r["event"], r["status"]) for r in rows] == [("paSendRTV2", "delivered")] * 2
    assert list(ledger.receipts) == [(EC, PAYABLE)]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<html><body>Bad gateway</body></html>"),
        (200, b"not xml"),
        (
            500,
            b"<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body><s:Fault/></s:Body></s:Envelope>",
        ),
        (204, b""),
    ],
    ids=["html", "not-xml", "soap-fault", "empty"],
)
def test_a_receipt_answer_that_is_not_the_stations_ok_keeps_it_pending(
    app: Flask, api: ApiClient, station: tuple[str, Ledger], status: int, body: bytes
) -> None:
    from simulator.notify.transport import MockTransport, Response

    assert pay(browser(app), f"/c/{create_cart(api, station_notice())}").outcome == 0
    transport = MockTransport(lambda _request: Response(status, body))

    assert Notifier(app.extensions["sandbox"], transport).deliver_due() == 1

    [request] = transport.requests
    assert request.headers["SOAPAction"] == '"paSendRTV2"'
    [row] = api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]
    assert row["status"] == "pending", row
    assert row["lastError"]


def test_a_receipt_the_sandbox_cannot_build_valid_is_never_sent_and_the_timeline_says_why(app: Flask) -> None:
    from dataclasses import replace

    from simulator.domain.station import Station
    from simulator.services import station as station_service
    from tests.unit.receipt_factories import receipt

    invalid = replace(receipt(), notice_number="12")  # stNoticeNumber is 18 digits
    target = Station("https://station.example/pa", "77777777777", "77777777777_01")
    with app.extensions["sandbox"].unit("default") as unit:
        sent = station_service.enqueue_receipt(unit, target, invalid, at=unit.now, cart_id=None)
        events = list(unit._events)

    assert sent is None
    assert [(e.type.value, e.data["outcome"]) for e in events] == [("station.called", "NOT_SENT")]
    assert "paForNode.xsd" in str(events[0].data["reason"])


def test_a_notice_typed_on_the_pages_shows_the_stations_data_and_is_paid_there(
    app: Flask, api: ApiClient, station: tuple[str, Ledger]
) -> None:
    _, ledger = station
    pages = browser(app)
    form = pages.get("/inserisci-dati-avviso")
    shown = pages.submit(form, "notice-form", {"billCode": PAYABLE, "cf": EC})

    assert shown.path == "/dati-pagamento"
    assert "120,50" in shown.html and "TARI 2026 - prima rata" in shown.html
    result = pay(pages, f"/{EC}{PAYABLE}")
    assert result.outcome == 0
    assert deliver(app) == 1
    assert (EC, PAYABLE) in ledger.receipts
