"""SOAP 1.1 envelopes: wrapping a message for the wire, and finding the message (or the SOAP
Fault) in one that arrived."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from simulator.soap.safe_xml import NotXml, parse, text_of

__all__ = [
    "CONTENT_TYPE",
    "SOAP_ENV",
    "NotSoap",
    "SoapFaultReceived",
    "local_name",
    "open_envelope",
    "soap_fault",
    "unwrap",
    "wrap",
]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class NotSoap(ValueError):
    """Not a SOAP 1.1 envelope with one message in its Body (why: ``str(exc)``)."""


@dataclass(frozen=True)
class SoapFaultReceived(Exception):
    """The peer answered with a SOAP Fault instead of a message."""

    faultcode: str
    faultstring: str


def wrap(message_xml: str) -> bytes:
    """``message_xml`` (one element, no XML declaration) in a SOAP 1.1 envelope, UTF-8."""
    return (
        f'{_DECLARATION}<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
        f"<soapenv:Header/><soapenv:Body>{message_xml}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def unwrap(data: bytes) -> ET.Element:
    """The message element inside the envelope's Body. Raises ``NotSoap`` (also for bytes that
    are not XML) or ``SoapFaultReceived``."""
    return open_envelope(data)[1]


def open_envelope(data: bytes) -> tuple[ET.Element, ET.Element]:
    """(the Envelope, the message in its Body): ``unwrap`` keeping the envelope for its Header."""
    try:
        root = parse(data)
    except NotXml as exc:
        raise NotSoap(str(exc)) from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise NotSoap(f"the root element is {local_name(root.tag)!r}, not a SOAP 1.1 Envelope")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise NotSoap("the envelope has no Body")
    children = list(body)
    if len(children) != 1:
        raise NotSoap(f"the Body holds {len(children)} elements, not one message")
    message = children[0]
    if message.tag == f"{{{SOAP_ENV}}}Fault":
        raise SoapFaultReceived(text_of(message, "faultcode") or "", text_of(message, "faultstring") or "")
    return root, message


def soap_fault(faultcode: str, faultstring: str) -> bytes:
    """A SOAP 1.1 Fault envelope (``faultcode`` qualified with the envelope's prefix, e.g.
    ``soapenv:Client``)."""
    return wrap(
        f"<soapenv:Fault><faultcode>{escape(faultcode)}</faultcode>"
        f"<faultstring>{escape(faultstring)}</faultstring></soapenv:Fault>"
    )


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]
