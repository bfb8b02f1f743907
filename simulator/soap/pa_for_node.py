"""The paForNode messages (``paForNode.wsdl``): what the node sends a creditor's station and what
it reads from the answers. Only the message's root is namespaced: the XSD leaves
``elementFormDefault`` unqualified. Every message sent and every answer read is checked against
``paForNode.xsd``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from simulator.domain.money import euro_decimal
from simulator.domain.receipt_xml import PA_FOR_NODE
from simulator.soap.envelope import local_name
from simulator.soap.safe_xml import text_of
from simulator.soap.schemas import first_error

__all__ = [
    "REQUEST_OF",
    "RESPONSE_OF",
    "Addressing",
    "Answer",
    "FaultBean",
    "InvalidMessage",
    "PaymentData",
    "VerifyData",
    "check",
    "get_payment_request",
    "payment_data",
    "read_answer",
    "verify_data",
    "verify_request",
]

PREFIX = "pafn"
REQUEST_OF = {
    "paVerifyPaymentNotice": "paVerifyPaymentNoticeReq",
    "paGetPayment": "paGetPaymentReq",
    "paGetPaymentV2": "paGetPaymentV2Request",
    "paSendRT": "paSendRTReq",
    "paSendRTV2": "paSendRTV2Request",
}
RESPONSE_OF = {
    "paVerifyPaymentNotice": "paVerifyPaymentNoticeRes",
    "paGetPayment": "paGetPaymentRes",
    "paGetPaymentV2": "paGetPaymentV2Response",
    "paSendRT": "paSendRTRes",
    "paSendRTV2": "paSendRTV2Response",
}


class InvalidMessage(ValueError):
    """A message that is not the one expected, or that its XSD refuses (why: ``str(exc)``)."""


@dataclass(frozen=True, slots=True)
class Addressing:
    """Who the message is about and for: the EC, its broker and its station."""

    id_pa: str
    id_broker_pa: str
    id_station: str


@dataclass(frozen=True, slots=True)
class FaultBean:
    fault_code: str
    fault_string: str
    id: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    outcome: str  # OK or KO
    fault: FaultBean | None
    message: ET.Element


@dataclass(frozen=True, slots=True)
class VerifyData:
    amount: int | None  # euro cents; None when the station lists no payment option
    description: str | None
    company_name: str | None
    due_date: date | None


@dataclass(frozen=True, slots=True)
class PaymentData:
    creditor_reference_id: str
    amount: int
    description: str
    company_name: str | None
    due_date: date | None


# --- requests ---------------------------------------------------------------------------------------


def verify_request(to: Addressing, fiscal_code: str, nav: str) -> str:
    root = _root("paVerifyPaymentNotice", to)
    _qr_code(root, fiscal_code, nav)
    return check(_text(root))


def get_payment_request(
    operation: str, to: Addressing, fiscal_code: str, nav: str, amount: int | None
) -> str:
    """paGetPayment or paGetPaymentV2 (same fields) of notice ``nav``."""
    root = _root(operation, to)
    _qr_code(root, fiscal_code, nav)
    if amount is not None:
        ET.SubElement(root, "amount").text = euro_decimal(amount)
    return check(_text(root))


def check(message_xml: str) -> str:
    """``message_xml`` as given, or InvalidMessage when paForNode.xsd refuses it."""
    error = first_error(ET.fromstring(message_xml))  # our own bytes: no untrusted input here
    if error is not None:
        raise InvalidMessage(error)
    return message_xml


def _root(operation: str, to: Addressing) -> ET.Element:
    root = ET.Element(f"{PREFIX}:{REQUEST_OF[operation]}", {f"xmlns:{PREFIX}": PA_FOR_NODE})
    ET.SubElement(root, "idPA").text = to.id_pa
    ET.SubElement(root, "idBrokerPA").text = to.id_broker_pa
    ET.SubElement(root, "idStation").text = to.id_station
    return root


def _qr_code(root: ET.Element, fiscal_code: str, nav: str) -> None:
    qr = ET.SubElement(root, "qrCode")
    ET.SubElement(qr, "fiscalCode").text = fiscal_code
    ET.SubElement(qr, "noticeNumber").text = nav


def _text(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")


# --- answers ----------------------------------------------------------------------------------------


def read_answer(operation: str, message: ET.Element) -> Answer:
    """The station's answer to ``operation``: its outcome and fault bean, once the message proved
    to be the operation's response and valid against paForNode.xsd (else InvalidMessage)."""
    expected = RESPONSE_OF[operation]
    if message.tag != f"{{{PA_FOR_NODE}}}{expected}":
        raise InvalidMessage(f"expected {expected}, got {local_name(message.tag)}")
    error = first_error(message)
    if error is not None:
        raise InvalidMessage(error)
    fault = message.find("fault")
    bean = None
    if fault is not None:
        bean = FaultBean(
            fault_code=text_of(fault, "faultCode") or "",
            fault_string=text_of(fault, "faultString") or "",
            id=text_of(fault, "id") or "",
            description=text_of(fault, "description"),
        )
    return Answer(outcome=text_of(message, "outcome") or "", fault=bean, message=message)


def verify_data(answer: Answer) -> VerifyData:
    message = answer.message
    option = message.find("paymentList/paymentOptionDescription")
    return VerifyData(
        amount=_cents(text_of(option, "amount")) if option is not None else None,
        description=text_of(message, "paymentDescription")
        or (text_of(option, "detailDescription") if option is not None else None),
        company_name=text_of(message, "companyName"),
        due_date=_date(text_of(option, "dueDate")) if option is not None else None,
    )


def payment_data(answer: Answer) -> PaymentData:
    """The payment a successful paGetPayment(V2) answer describes (InvalidMessage without one)."""
    data = answer.message.find("data")
    if data is None:
        raise InvalidMessage("outcome OK without data")
    amount = _cents(text_of(data, "paymentAmount"))
    if amount is None:
        raise InvalidMessage("data has no paymentAmount")
    return PaymentData(
        creditor_reference_id=text_of(data, "creditorReferenceId") or "",
        amount=amount,
        description=text_of(data, "description") or "",
        company_name=text_of(data, "companyName"),
        due_date=_date(text_of(data, "dueDate")),
    )


def _cents(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(Decimal(text) * 100)
    except InvalidOperation:
        return None


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
