"""The SOAP wire format: hostile XML is refused before anything is expanded or fetched, envelopes
round-trip, and the node's messages are what paForNode.xsd allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.soap import pa_for_node as pfn
from simulator.soap.envelope import NotSoap, SoapFaultReceived, soap_fault, unwrap, wrap
from simulator.soap.safe_xml import NotXml, parse

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>'
)


def test_an_entity_bomb_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotXml, match="DTDs and entities are not accepted"):
        parse(BOMB)


def test_an_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]><x>&e;</x>'.encode()

    with pytest.raises(NotXml) as raised:
        parse(document)
    assert "TOP-SECRET" not in str(raised.value)


@pytest.mark.parametrize("data", [b"", b"   ", b"not xml", b"<a><b></a>", b"<a/>" + b" " * 1_000_001])
def test_what_is_not_xml_is_one_clear_error(data: bytes) -> None:
    with pytest.raises(NotXml):
        parse(data)


def test_an_envelope_round_trips_its_message() -> None:
    message = unwrap(wrap('<m:ping xmlns:m="urn:x"><a>1</a></m:ping>'))

    assert message.tag == "{urn:x}ping" and message.findtext("a") == "1"


@pytest.mark.parametrize(
    "data",
    [
        b"<Envelope/>",
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"/>',
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
        BOMB,
    ],
)
def test_what_is_not_one_message_in_an_envelope_is_not_soap(data: bytes) -> None:
    with pytest.raises(NotSoap):
        unwrap(data)


def test_a_soap_fault_is_raised_with_its_code_and_string() -> None:
    with pytest.raises(SoapFaultReceived) as raised:
        unwrap(soap_fault("soapenv:Server", "down <for> maintenance"))

    assert (raised.value.faultcode, raised.value.faultstring) == ("soapenv:Server", "down <for> maintenance")


def test_the_requests_the_node_sends_are_valid_and_bad_ones_are_refused() -> None:
    to = pfn.Addressing("77777777777", "77777777777", "77777777777_01")

    assert "paVerifyPaymentNoticeReq" in pfn.verify_request(to, "77777777777", "302000000000000123")
    assert "<amount>120.50</amount>" in pfn.get_payment_request(
        "paGetPaymentV2", to, "77777777777", "302000000000000123", 12050
    )
    with pytest.raises(pfn.InvalidMessage):
        pfn.verify_request(to, "7777", "302000000000000123")  # stFiscalCodePA is 11 digits
