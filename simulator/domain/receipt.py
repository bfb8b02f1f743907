"""The payment receipt (ctReceiptV2 of paForNode.xsd) and how one is built from a paid option.

A receipt is what the EC receives with ``paSendRTV2`` and reads back from the GPD receipts
service. ``build_receipt`` is the one entry point: the checkout calls it after ``pay_option``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum

from simulator.domain.debt_position import DebtPosition, OptionStatus, Payment, Stamp, Transfer
from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.italian_time import italian_date

# The XSD's text limits (stText35/70/140/210, stText16, ctMetadata's 15 entries). GPD accepts
# some longer values than a receipt may carry, so the builder fits them rather than emit a
# receipt the EC's schema validation would refuse.
TEXT_16, TEXT_35, TEXT_70, TEXT_140, TEXT_210 = 16, 35, 70, 140, 210
MAX_METADATA = 15
_XSD_EMAIL = re.compile(r"[a-zA-Z0-9_.+\-]+@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*")

Metadata = tuple[tuple[str, str], ...]


class SubjectType(Enum):
    """stEntityUniqueIdentifierType: a natural (F) or legal (G) person."""

    F = "F"
    G = "G"


class Outcome(Enum):
    OK = "OK"
    KO = "KO"


@dataclass(frozen=True, slots=True)
class Subject:
    """ctSubject: the debtor or the payer."""

    type: SubjectType
    fiscal_code: str
    full_name: str
    street_name: str | None = None
    civic_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state_province_region: str | None = None
    country: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptTransfer:
    """ctTransferPAReceiptV2: one beneficiary's share, credited to an IBAN or paid as a stamp."""

    id_transfer: int
    amount: int
    fiscal_code_pa: str
    remittance_information: str
    transfer_category: str
    iban: str | None = None
    stamp: Stamp | None = None
    company_name: str | None = None
    metadata: Metadata = ()


@dataclass(frozen=True, slots=True)
class Receipt:
    """ctReceiptV2. Amounts are euro cents; ``payment_date_time`` is an aware datetime."""

    receipt_id: str
    notice_number: str
    fiscal_code: str
    creditor_reference_id: str
    payment_amount: int
    description: str
    company_name: str
    debtor: Subject
    transfers: tuple[ReceiptTransfer, ...]
    id_psp: str
    psp_company_name: str
    id_channel: str
    channel_description: str
    payment_date_time: datetime
    application_date: date
    transfer_date: date
    outcome: Outcome = Outcome.OK
    office_name: str | None = None
    payer: Subject | None = None
    payment_method: str | None = None
    payment_note: str | None = None
    fee: int = 0
    metadata: Metadata = ()

    @property
    def iuv(self) -> str:
        return self.creditor_reference_id


@dataclass(frozen=True, slots=True)
class PaymentFacts:
    """What the payment flow knows when a payment succeeds: who took it, how, when, for how much.

    ``receipt_id`` is the node's receiptId (the payment token); ``payment_note`` the cart's idCart.
    """

    receipt_id: str
    paid_at: datetime
    id_psp: str
    psp_company_name: str
    id_channel: str
    channel_description: str = "NA"
    payment_method: str | None = None
    fee: int = 0
    payer: Subject | None = None
    payment_note: str | None = None

    def gpd_payment(self) -> Payment:
        """The same facts as GPD records them on the paid option (for ``pay_option``)."""
        return Payment(
            payment_date=self.paid_at,
            payment_method=self.payment_method,
            psp_company=self.psp_company_name,
            id_receipt=self.receipt_id,
            fee=self.fee,
        )


def build_receipt(position: DebtPosition, nav: str, facts: PaymentFacts) -> Receipt:
    """The receipt of the option ``nav`` of ``position``, which must already be paid.

    Texts are fitted to the XSD's limits; the application date is the Italian calendar day of
    the payment and the transfer date the day after, as the node reports them.
    """
    option = position.option_by_nav(nav)
    org = position.organization_fiscal_code
    if option is None:
        raise DebtPositionError(GpdReason.OPTION_NOT_FOUND, org=org, nav=nav)
    if option.status is OptionStatus.PO_UNPAID:
        raise ValueError(f"option {nav} of {org} is not paid: call pay_option before build_receipt")
    if facts.paid_at.tzinfo is None:
        raise ValueError("PaymentFacts.paid_at must be an aware datetime")
    day = italian_date(facts.paid_at)
    return Receipt(
        receipt_id=facts.receipt_id,
        notice_number=option.nav,
        fiscal_code=org,
        creditor_reference_id=option.iuv,
        payment_amount=option.amount,
        description=_fit(option.description, TEXT_140),
        company_name=_fit(position.company_name, TEXT_140),
        office_name=_fit_optional(position.office_name, TEXT_140),
        debtor=fit_subject(
            Subject(
                type=SubjectType(position.debtor.type),
                fiscal_code=position.debtor.fiscal_code,
                full_name=position.debtor.full_name,
                street_name=position.debtor.street_name,
                civic_number=position.debtor.civic_number,
                postal_code=position.debtor.postal_code,
                city=position.debtor.city,
                state_province_region=position.debtor.province,
                country=position.debtor.country,
                email=position.debtor.email,
            )
        ),
        transfers=tuple(_transfer(t, org) for t in option.transfers),
        id_psp=_fit(facts.id_psp, TEXT_35),
        psp_company_name=_fit(facts.psp_company_name, TEXT_70),
        id_channel=_fit(facts.id_channel, TEXT_35),
        channel_description=_fit(facts.channel_description, TEXT_35),
        payer=None if facts.payer is None else fit_subject(facts.payer),
        payment_method=_fit_optional(facts.payment_method, TEXT_35),
        payment_note=_fit_optional(facts.payment_note, TEXT_210),
        fee=facts.fee,
        payment_date_time=facts.paid_at,
        application_date=day,
        transfer_date=day + timedelta(days=1),
        metadata=_fit_metadata(option.metadata),
    )


def fit_subject(subject: Subject) -> Subject:
    """A subject within ctSubject's limits; an e-mail the XSD's pattern refuses is left out."""
    email = subject.email if subject.email and _XSD_EMAIL.fullmatch(subject.email) else None
    return replace(
        subject,
        fiscal_code=_fit(subject.fiscal_code, TEXT_16),
        full_name=_fit(subject.full_name, TEXT_70),
        street_name=_fit_optional(subject.street_name, TEXT_70),
        civic_number=_fit_optional(subject.civic_number, TEXT_16),
        postal_code=_fit_optional(subject.postal_code, TEXT_16),
        city=_fit_optional(subject.city, TEXT_35),
        state_province_region=_fit_optional(subject.state_province_region, TEXT_35),
        country=subject.country or None,
        email=email,
    )


def _transfer(transfer: Transfer, org: str) -> ReceiptTransfer:
    return ReceiptTransfer(
        id_transfer=int(transfer.id_transfer),
        amount=transfer.amount,
        fiscal_code_pa=transfer.organization_fiscal_code or org,
        remittance_information=_fit(transfer.remittance_information, TEXT_140),
        transfer_category=_fit(transfer.category, TEXT_140),
        iban=transfer.iban or None,
        stamp=transfer.stamp,
        company_name=_fit_optional(transfer.company_name, TEXT_140),
        metadata=_fit_metadata(transfer.metadata),
    )


def _fit(text: str, limit: int) -> str:
    return text[:limit]


def _fit_optional(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None


def _fit_metadata(items: Metadata) -> Metadata:
    return tuple((k[:TEXT_140], v[:TEXT_140]) for k, v in items if k and v)[:MAX_METADATA]
