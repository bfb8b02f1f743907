"""A creditor's station, written from ``paForNode.wsdl`` alone: the three operations the node
calls, answered from a YAML list of debts. It is what a technology partner's software does in
production, reduced to its contract, to copy and adapt.

- ``paVerifyPaymentNotice``: is the notice payable, for how much? (``paymentList``)
- ``paGetPayment`` / ``paGetPaymentV2``: the node activates it: the payment, its transfers, the debtor.
- ``paSendRT`` / ``paSendRTV2``: the receipt of a paid notice. Kept, and the debt marked paid; a
  second receipt of the same notice is answered ``PAA_RECEIPT_DUPLICATA``.
- ``paaInviaRT`` (modello 1, ``PaPerNodo.wsdl``): the RT of an RPT this station sent with
  ``nodoInviaRPT`` / ``nodoInviaCarrelloRPT``, in base64, kept by domain and IUV.

A refusal is an ``outcome`` KO with a ``fault`` bean (faultCode PAA_*, faultString, id,
description), never an HTTP error. Only a request that is not the SOAP of an operation gets a
SOAP Fault. XML is parsed with DTDs refused (defusedxml).
"""

from __future__ import annotations

import base64
import binascii
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from flask import Flask, Response, request

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PA_FOR_NODE = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"
PPT = "http://ws.pagamenti.telematici.gov/"
PAY_I = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"
OPERATIONS = {
    "paVerifyPaymentNotice": "paVerifyPaymentNoticeReq",
    "paGetPayment": "paGetPaymentReq",
    "paGetPaymentV2": "paGetPaymentV2Request",
    "paSendRT": "paSendRTReq",
    "paSendRTV2": "paSendRTV2Request",
}
RESPONSES = {
    "paVerifyPaymentNotice": "paVerifyPaymentNoticeRes",
    "paGetPayment": "paGetPaymentRes",
    "paGetPaymentV2": "paGetPaymentV2Response",
    "paSendRT": "paSendRTRes",
    "paSendRTV2": "paSendRTV2Response",
}


@dataclass
class Debt:
    fiscal_code: str
    notice_number: str
    amount: str  # euros, "120.50"
    description: str
    company_name: str
    due_date: str  # YYYY-MM-DD
    iban: str
    debtor_type: str = "F"
    debtor_id: str = "ANONIMO"
    debtor_name: str = "ANONIMO"
    status: str = "payable"  # payable | paid | expired | cancelled

    @classmethod
    def of(cls, item: dict[str, Any]) -> Debt:
        debtor = item.get("debtor") or {}
        return cls(
            fiscal_code=str(item["fiscalCode"]),
            notice_number=str(item["noticeNumber"]),
            amount=f"{float(item['amount']):.2f}",
            description=str(item["description"]),
            company_name=str(item["companyName"]),
            due_date=str(item["dueDate"]),
            iban=str(item["iban"]),
            debtor_type=str(debtor.get("type", "F")),
            debtor_id=str(debtor.get("fiscalCode", "ANONIMO")),
            debtor_name=str(debtor.get("fullName", "ANONIMO")),
            status=str(item.get("status", "payable")),
        )


@dataclass
class Ledger:
    """The debts, and the receipts received (raw XML of each ``receipt`` element)."""

    debts: dict[tuple[str, str], Debt]
    receipts: dict[tuple[str, str], str] = field(default_factory=dict)
    rts: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (domain, IUV) -> the RT
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, path: str | Path) -> Ledger:
        items = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["debts"]
        debts = [Debt.of(item) for item in items]
        return cls({(d.fiscal_code, d.notice_number): d for d in debts})


class Refusal(Exception):
    def __init__(self, fault_code: str, description: str) -> None:
        super().__init__(fault_code)
        self.fault_code = fault_code
        self.description = description


def create_app(ledger: Ledger, id_broker_pa: str, id_station: str) -> Flask:
    app = Flask(__name__)
    app.config["LEDGER"] = ledger

    @app.post("/")
    def soap() -> Response:
        operation = request.headers.get("SOAPAction", "").strip().strip('"')
        if operation == "paaInviaRT":
            return _paa_invia_rt(ledger)
        if operation not in OPERATIONS:
            return _soap_fault("soapenv:Client", f"unknown SOAPAction {operation[:60]!r}")
        try:
            root = fromstring(request.get_data(), forbid_dtd=True)
        except (DefusedXmlException, ET.ParseError):
            return _soap_fault("soapenv:Client", "the request is not XML this station accepts")
        message = root.find(f"{{{SOAP_ENV}}}Body/{{{PA_FOR_NODE}}}{OPERATIONS[operation]}")
        if message is None:
            return _soap_fault("soapenv:Client", f"the Body does not hold a {OPERATIONS[operation]}")
        try:
            if message.findtext("idBrokerPA") != id_broker_pa or message.findtext("idStation") != id_station:
                raise Refusal("PAA_STAZIONE_INT_ERRATA", "this is not the station the request names")
            with ledger.lock:
                body = _answer(ledger, operation, message)
        except Refusal as refusal:
            body = _fault_bean(refusal)
        return _respond(operation, "<outcome>{}</outcome>{}".format(*body))

    return app


def _answer(ledger: Ledger, operation: str, message: ET.Element) -> tuple[str, str]:
    if operation in ("paSendRT", "paSendRTV2"):
        return _receipt(ledger, message)
    debt = _payable(ledger, message.findtext("qrCode/fiscalCode"), message.findtext("qrCode/noticeNumber"))
    if operation == "paVerifyPaymentNotice":
        return "OK", (
            "<paymentList><paymentOptionDescription>"
            f"<amount>{debt.amount}</amount><options>EQ</options><dueDate>{debt.due_date}</dueDate>"
            "<allCCP>false</allCCP></paymentOptionDescription></paymentList>"
            f"<paymentDescription>{escape(debt.description)}</paymentDescription>"
            f"<fiscalCodePA>{debt.fiscal_code}</fiscalCodePA>"
            f"<companyName>{escape(debt.company_name)}</companyName>"
        )
    company = f"<companyName>{escape(debt.company_name)}</companyName>"
    transfer_company = company if operation == "paGetPaymentV2" else ""
    return "OK", (
        f"<data><creditorReferenceId>{debt.notice_number[1:]}</creditorReferenceId>"
        f"<paymentAmount>{debt.amount}</paymentAmount><dueDate>{debt.due_date}</dueDate>"
        f"<description>{escape(debt.description)}</description>{company}"
        "<debtor><uniqueIdentifier>"
        f"<entityUniqueIdentifierType>{debt.debtor_type}</entityUniqueIdentifierType>"
        f"<entityUniqueIdentifierValue>{escape(debt.debtor_id)}</entityUniqueIdentifierValue>"
        f"</uniqueIdentifier><fullName>{escape(debt.debtor_name)}</fullName></debtor>"
        "<transferList><transfer><idTransfer>1</idTransfer>"
        f"<transferAmount>{debt.amount}</transferAmount><fiscalCodePA>{debt.fiscal_code}</fiscalCodePA>"
        f"{transfer_company}<IBAN>{debt.iban}</IBAN>"
        f"<remittanceInformation>{escape(debt.description)}</remittanceInformation>"
        "<transferCategory>9/0101100IM/</transferCategory></transfer></transferList></data>"
    )


def _payable(ledger: Ledger, fiscal_code: str | None, notice_number: str | None) -> Debt:
    debt = ledger.debts.get((fiscal_code or "", notice_number or ""))
    if debt is None:
        raise Refusal("PAA_PAGAMENTO_SCONOSCIUTO", "no debt with this notice number")
    refusals = {
        "paid": ("PAA_PAGAMENTO_DUPLICATO", "already paid"),
        "expired": ("PAA_PAGAMENTO_SCADUTO", "the notice expired"),
        "cancelled": ("PAA_PAGAMENTO_ANNULLATO", "the notice was cancelled"),
    }
    if debt.status in refusals:
        raise Refusal(*refusals[debt.status])
    return debt


def _receipt(ledger: Ledger, message: ET.Element) -> tuple[str, str]:
    receipt = message.find("receipt")
    key = (message.findtext("receipt/fiscalCode") or "", message.findtext("receipt/noticeNumber") or "")
    if receipt is None or key not in ledger.debts:
        raise Refusal("PAA_PAGAMENTO_SCONOSCIUTO", "a receipt for no known debt")
    if key in ledger.receipts:
        raise Refusal("PAA_RECEIPT_DUPLICATA", "this receipt was already received")
    ledger.receipts[key] = ET.tostring(receipt, encoding="unicode")
    ledger.debts[key].status = "paid"
    return "OK", ""


def _paa_invia_rt(ledger: Ledger) -> Response:
    """Modello 1: keep the RT (decoded, checked to be an RT of a domain and IUV)."""
    try:
        root = fromstring(request.get_data(), forbid_dtd=True)
        encoded = root.findtext(f"{{{SOAP_ENV}}}Body/{{{PPT}}}paaInviaRT/rt") or ""
        rt = base64.b64decode("".join(encoded.split()), validate=True)
        rt_root = fromstring(rt, forbid_dtd=True)
    except (DefusedXmlException, ET.ParseError, binascii.Error, ValueError):
        return _soap_fault("soapenv:Client", "the request is not a paaInviaRT with an RT")
    domain = rt_root.findtext(f"{{{PAY_I}}}dominio/{{{PAY_I}}}identificativoDominio") or ""
    iuv = rt_root.findtext(f"{{{PAY_I}}}datiPagamento/{{{PAY_I}}}identificativoUnivocoVersamento") or ""
    with ledger.lock:
        duplicate = (domain, iuv) in ledger.rts
        ledger.rts.setdefault((domain, iuv), rt)
    inner = "<esito>OK</esito>"
    if duplicate:
        inner = (
            "<fault><faultCode>PAA_RT_DUPLICATA</faultCode><faultString>PAA_RT_DUPLICATA</faultString>"
            "<id>station</id></fault><esito>KO</esito>"
        )
    body = (
        f'<ppt:paaInviaRTRisposta xmlns:ppt="{PPT}">'
        f"<paaInviaRTRisposta>{inner}</paaInviaRTRisposta></ppt:paaInviaRTRisposta>"
    )
    return _envelope(body, 200)


def _fault_bean(refusal: Refusal) -> tuple[str, str]:
    return "KO", (
        f"<fault><faultCode>{refusal.fault_code}</faultCode><faultString>{refusal.fault_code}</faultString>"
        f"<id>station</id><description>{escape(refusal.description)}</description></fault>"
    )


def _respond(operation: str, inner: str) -> Response:
    name = RESPONSES[operation]
    return _envelope(f'<pafn:{name} xmlns:pafn="{PA_FOR_NODE}">{inner}</pafn:{name}>', 200)


def _soap_fault(code: str, text: str) -> Response:
    return _envelope(
        f"<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{escape(text)}</faultstring></soapenv:Fault>",
        500,
    )


def _envelope(body: str, status: int) -> Response:
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
    return Response(xml, status, content_type="text/xml; charset=utf-8")
