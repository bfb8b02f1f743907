"""The node's SOAP port for creditors (``NodoPerPa.wsdl``, modello 1): reading a
``nodoInviaRPT`` / ``nodoInviaCarrelloRPT`` with its header, decoding and validating each RPT
against ``PagInf_RPT_RT_6_2_0.xsd``, writing the answers (``esito`` OK with the ``url``, or KO with
the node's ``faultBean``), and the ``paaInviaRT`` the node sends the station with the RT."""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

from simulator.soap.envelope import SOAP_ENV, local_name, wrap
from simulator.soap.safe_xml import NotXml, parse, text_of
from simulator.soap.schemas import RPT_XSD, first_error

__all__ = [
    "COPY_RT",
    "OPERATIONS",
    "PPT",
    "PPT_HEAD",
    "CopyRequest",
    "Refusal",
    "RptItem",
    "Submission",
    "answer",
    "answer_refusal",
    "copy_answer",
    "paa_invia_rt",
    "paa_invia_rt_refusal",
    "read_copy_request",
    "read_rpt",
    "read_submission",
    "rt_of_paa_invia_rt",
]

PPT = "http://ws.pagamenti.telematici.gov/"
PPT_HEAD = "http://ws.pagamenti.telematici.gov/ppthead"
COPY_RT = "nodoChiediCopiaRT"
OPERATIONS = ("nodoInviaRPT", "nodoInviaCarrelloRPT", COPY_RT)
MAX_RPTS = 5  # tipoListaRPT: 1 to 5 elementoListaRPT


class Refusal(Exception):
    """The node's KO: a faultBean's code and description."""

    def __init__(self, fault_code: str, description: str) -> None:
        super().__init__(f"{fault_code}: {description}")
        self.fault_code = fault_code
        self.description = description


@dataclass(frozen=True, slots=True)
class RptItem:
    domain: str
    iuv: str
    ccp: str
    rpt: bytes  # the decoded RPT document


@dataclass(frozen=True, slots=True)
class Submission:
    operation: str
    id_broker_pa: str
    id_station: str
    password: str
    items: tuple[RptItem, ...]
    cart_id: str | None = None  # identificativoCarrello (nodoInviaCarrelloRPT only)


@dataclass(frozen=True, slots=True)
class CopyRequest:
    """nodoChiediCopiaRT: the station asking again for the RT of one RPT."""

    id_broker_pa: str
    id_station: str
    password: str
    domain: str
    iuv: str
    ccp: str


def read_copy_request(message: ET.Element) -> CopyRequest:
    """The request's fields as ``NodoPerPa.wsdl`` types them (else Refusal PPT_SINTASSI_EXTRAXSD,
    as production's converter answers a request that fails its XSD)."""
    password = text_of(message, "password") or ""
    if not 8 <= len(password) <= 15:
        raise Refusal("PPT_SINTASSI_EXTRAXSD", "password holds 8 to 15 characters")
    return CopyRequest(
        id_broker_pa=_required(message, "identificativoIntermediarioPA"),
        id_station=_required(message, "identificativoStazioneIntermediarioPA"),
        password=password,
        domain=_required(message, "identificativoDominio"),
        iuv=_required(message, "identificativoUnivocoVersamento"),
        ccp=_required(message, "codiceContestoPagamento"),
    )


def read_submission(operation: str, envelope: ET.Element, message: ET.Element) -> Submission:
    """The request's header and body (Refusal PPT_SINTASSI_EXTRAXSD when a field is missing)."""
    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    if operation == "nodoInviaRPT":
        head = _header(header, "intestazionePPT")
        items: tuple[RptItem, ...] = (
            RptItem(
                _required(head, "identificativoDominio"),
                _required(head, "identificativoUnivocoVersamento"),
                _required(head, "codiceContestoPagamento"),
                _decode(_required(message, "rpt")),
            ),
        )
        cart_id = None
    else:
        head = _header(header, "intestazioneCarrelloPPT")
        elements = message.findall("listaRPT/elementoListaRPT")
        if not 1 <= len(elements) <= MAX_RPTS:
            raise Refusal("PPT_SINTASSI_EXTRAXSD", f"listaRPT holds 1 to {MAX_RPTS} elementoListaRPT")
        items = tuple(
            RptItem(
                _required(e, "identificativoDominio"),
                _required(e, "identificativoUnivocoVersamento"),
                _required(e, "codiceContestoPagamento"),
                _decode(_required(e, "rpt")),
            )
            for e in elements
        )
        cart_id = _required(head, "identificativoCarrello")
    return Submission(
        operation=operation,
        id_broker_pa=_required(head, "identificativoIntermediarioPA"),
        id_station=_required(head, "identificativoStazioneIntermediarioPA"),
        password=text_of(message, "password") or "",
        items=items,
        cart_id=cart_id,
    )


def read_rpt(item: RptItem) -> ET.Element:
    """The RPT element, valid against its XSD (else Refusal PPT_SINTASSI_XSD)."""
    try:
        root = parse(item.rpt)
    except NotXml as exc:
        raise Refusal("PPT_SINTASSI_XSD", f"RPT {item.iuv}: {exc}") from None
    error = first_error(root, RPT_XSD)
    if error is not None:
        raise Refusal("PPT_SINTASSI_XSD", f"RPT {item.iuv}: {error}"[:500])
    return root


def answer(operation: str, *, url: str | None = None, refusal: Refusal | None = None) -> bytes:
    """nodoInviaRPTRisposta / nodoInviaCarrelloRPTRisposta: OK with the url, or KO with the fault."""
    esito = "esito" if operation == "nodoInviaRPT" else "esitoComplessivoOperazione"
    fault = _fault_bean(refusal) if refusal is not None else ""
    outcome = "KO" if refusal is not None else "OK"
    link = f"<url>{escape(url)}</url>" if url is not None and refusal is None else ""
    redirect = "<redirect>1</redirect>" if operation == "nodoInviaRPT" and link else ""
    name = f"{operation}Risposta"
    return wrap(
        f'<ppt:{name} xmlns:ppt="{PPT}">{fault}<{esito}>{outcome}</{esito}>{redirect}{link}</ppt:{name}>'
    )


def copy_answer(*, rt: str | None = None, refusal: Refusal | None = None) -> bytes:
    """nodoChiediCopiaRTRisposta: ``tipoFirma`` empty and the RT in base64 (``rt``, as the station
    received it), or only the faultBean."""
    body = (
        _fault_bean(refusal) if refusal is not None else f"<tipoFirma></tipoFirma><rt>{escape(rt or '')}</rt>"
    )
    name = f"{COPY_RT}Risposta"
    return wrap(f'<ppt:{name} xmlns:ppt="{PPT}">{body}</ppt:{name}>')


def rt_of_paa_invia_rt(body: str) -> tuple[str, str, str] | None:
    """(IUV, CCP, RT in base64) of a paaInviaRT the node wrote, or None when it is not one."""
    try:
        root = parse(body.encode())
    except NotXml:
        return None
    head = root.find(f"{{{SOAP_ENV}}}Header/{{{PPT_HEAD}}}intestazionePPT")
    rt = root.findtext(f"{{{SOAP_ENV}}}Body/{{{PPT}}}paaInviaRT/rt")
    if head is None or rt is None:
        return None
    return (
        text_of(head, "identificativoUnivocoVersamento") or "",
        text_of(head, "codiceContestoPagamento") or "",
        rt,
    )


def answer_refusal(message: ET.Element) -> str | None:
    """Why the node's answer to a nodoInviaRPT / nodoInviaCarrelloRPT refused it (its faultBean's
    code and description), or None when its esito is OK."""
    if text_of(message, "esito") == "OK" or text_of(message, "esitoComplessivoOperazione") == "OK":
        return None
    code = text_of(message, "fault/faultCode") or "KO"
    description = text_of(message, "fault/description")
    return f"{code} ({description})" if description else code


def paa_invia_rt(
    *, id_broker_pa: str, id_station: str, domain: str, iuv: str, ccp: str, rt_xml: str
) -> bytes:
    """The paaInviaRT the node sends the station: the header intestazionePPT, and the RT in base64."""
    rt = base64.b64encode(rt_xml.encode()).decode("ascii")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" '
        f'xmlns:ppt="{PPT}" xmlns:ppthead="{PPT_HEAD}"><soapenv:Header><ppthead:intestazionePPT>'
        f"<identificativoIntermediarioPA>{escape(id_broker_pa)}</identificativoIntermediarioPA>"
        f"<identificativoStazioneIntermediarioPA>{escape(id_station)}</identificativoStazioneIntermediarioPA>"
        f"<identificativoDominio>{escape(domain)}</identificativoDominio>"
        f"<identificativoUnivocoVersamento>{escape(iuv)}</identificativoUnivocoVersamento>"
        f"<codiceContestoPagamento>{escape(ccp)}</codiceContestoPagamento>"
        "</ppthead:intestazionePPT></soapenv:Header><soapenv:Body><ppt:paaInviaRT>"
        f"<tipoFirma></tipoFirma><rt>{rt}</rt></ppt:paaInviaRT></soapenv:Body></soapenv:Envelope>"
    ).encode()


def paa_invia_rt_refusal(message: ET.Element) -> str | None:
    """Why a paaInviaRTRisposta does not take the RT, or None when its esito is OK."""
    if message.tag != f"{{{PPT}}}paaInviaRTRisposta":
        return f"expected paaInviaRTRisposta, got {local_name(message.tag)}"
    result = message.find("paaInviaRTRisposta")
    if result is None:
        return "paaInviaRTRisposta has no paaInviaRTRisposta"
    if text_of(result, "esito") == "OK":
        return None
    return f"KO {text_of(result, 'fault/faultCode') or '?'}"


def _fault_bean(refusal: Refusal) -> str:
    return (
        f"<fault><faultCode>{escape(refusal.fault_code)}</faultCode>"
        f"<faultString>{escape(refusal.fault_code)}</faultString><id>NodoDeiPagamentiSPC</id>"
        f"<description>{escape(refusal.description)}</description></fault>"
    )


def _header(header: ET.Element | None, name: str) -> ET.Element:
    found = header.find(f"{{{PPT_HEAD}}}{name}") if header is not None else None
    if found is None:
        raise Refusal("PPT_SINTASSI_EXTRAXSD", f"the SOAP Header has no {name}")
    return found


def _required(parent: ET.Element, name: str) -> str:
    value = text_of(parent, name)
    if not value:
        raise Refusal("PPT_SINTASSI_EXTRAXSD", f"{name} is missing")
    if len(value) > 35 and name != "rpt":
        raise Refusal("PPT_SINTASSI_EXTRAXSD", f"{name} is longer than 35 characters")
    return value


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise Refusal("PPT_SINTASSI_EXTRAXSD", "rpt is not base64") from None
