"""Receipts: recording one when a notice is paid, and reading them as the GPD receipts service does.

The checkout's payment flow calls ``pay_notice`` (mark the option paid and record its receipt, in
the caller's transaction) or, when it has already marked the option paid, ``build_receipt`` +
``record_receipt``. A second receipt for the same IUV is refused (the node's PAA_RECEIPT_DUPLICATA).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.domain import debt_position as dp
from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.italian_time import xsd_date_time
from simulator.domain.receipt import PaymentFacts, Receipt, build_receipt
from simulator.domain.receipt_xml import render_receipt
from simulator.services.context import Sandbox
from simulator.storage.store import Duplicate, ReceiptRow, Tx

PAID = "PAID"  # a receipt the EC may read: the option is paid on GPD


@dataclass(frozen=True, slots=True)
class ReceiptQuery:
    page: int = 0
    size: int = 20
    debtor: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    debtor_or_iuv: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptsPage:
    """One page of the list: items are the wire documents (ReceiptModelResponse)."""

    page: int
    items: list[dict[str, Any]]
    total_pages: int


def list_item(receipt: Receipt) -> dict[str, Any]:
    """ReceiptModelResponse, as the receipts service lists it: ``debtor`` is the debtor's fiscal
    code and ``paymentDateTime`` the receipt's own text (Italian time, no offset)."""
    return {
        "organizationFiscalCode": receipt.fiscal_code,
        "iuv": receipt.iuv,
        "debtor": receipt.debtor.fiscal_code,
        "paymentDateTime": xsd_date_time(receipt.payment_date_time),
        "status": PAID,
    }


def record_receipt(tx: Tx, tenant: str, receipt: Receipt) -> ReceiptRow:
    """Store a receipt (its XML and its list item); a second one for the IUV raises
    ``DebtPositionError(RECEIPT_DUPLICATED)`` and leaves the transaction usable."""
    row = ReceiptRow(
        organization=receipt.fiscal_code,
        iuv=receipt.iuv,
        receipt_id=receipt.receipt_id,
        debtor=receipt.debtor.fiscal_code,
        payment_date=receipt.payment_date_time,
        xml=render_receipt(receipt),
        document=list_item(receipt),
    )
    try:
        tx.insert_receipt(tenant, row)
    except Duplicate:
        raise DebtPositionError(
            GpdReason.RECEIPT_DUPLICATED, org=receipt.fiscal_code, iuv=receipt.iuv
        ) from None
    return row


def pay_notice(tx: Tx, tenant: str, organization: str, nav: str, facts: PaymentFacts) -> Receipt:
    """A successful payment of notice ``nav``: the option turns PO_PAID (the position PAID or
    PARTIALLY_PAID) and its receipt is recorded, both in ``tx``.

    Raises ``DebtPositionError`` with OPTION_NOT_FOUND, OPTION_ALREADY_PAID, OPTION_NOT_PAYABLE
    or RECEIPT_DUPLICATED; the caller's transaction then rolls everything back.
    """
    position = tx.position_by_nav(tenant, organization, nav)
    if position is None:
        raise DebtPositionError(GpdReason.OPTION_NOT_FOUND, org=organization, nav=nav)
    paid = dp.pay_option(position, nav, facts.gpd_payment())
    tx.save_position(tenant, paid)
    receipt = build_receipt(paid, nav, facts)
    record_receipt(tx, tenant, receipt)
    return receipt


def find_receipts(sandbox: Sandbox, tenant: str, organization: str, query: ReceiptQuery) -> ReceiptsPage:
    """A page of an EC's receipts, newest payment first."""
    with sandbox.store.transaction() as tx:
        found = tx.list_receipts(
            tenant,
            organization,
            page=query.page,
            size=query.size,
            debtor=query.debtor,
            date_from=query.date_from,
            date_to=query.date_to,
            debtor_or_iuv=query.debtor_or_iuv,
        )
    total_pages = -(-found.total // query.size)
    return ReceiptsPage(query.page, [row.document for row in found.items], total_pages)


def receipt_xml(sandbox: Sandbox, tenant: str, organization: str, iuv: str) -> str:
    """The stored paSendRTV2Request of one IUV; RECEIPT_NOT_FOUND when there is none."""
    with sandbox.store.transaction() as tx:
        row = tx.receipt(tenant, organization, iuv)
    if row is None:
        raise DebtPositionError(GpdReason.RECEIPT_NOT_FOUND, org=organization, iuv=iuv)
    return row.xml
