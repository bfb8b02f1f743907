"""Receipts: recording one when a notice is paid, and reading them as the GPD receipts service does.

The payment flow calls ``record_paid_notice``: the node remembers the notice paid (a second
payment of it is refused from then on) and its receipt reaches the EC as the scenario's ``receipt``
step says: at once (``pay_notice``: the GPD option PO_PAID and the receipt, in the caller's unit),
later (``deliver_due_receipts``, when a unit of the tenant opens after its time), twice (the
second delivery refused with PAA_RECEIPT_DUPLICATA), or never. GPD learns of a payment only
through its receipt, so a lost receipt leaves the option unpaid.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from simulator.domain import debt_position as dp
from simulator.domain.errors import DebtPositionError, GpdReason, PaymentFault
from simulator.domain.events import EventType
from simulator.domain.italian_time import xsd_date_time
from simulator.domain.payment import AttemptNotice, FaultCategory
from simulator.domain.receipt import PaymentFacts, Receipt, build_receipt
from simulator.domain.receipt_records import PaidNotice, ReceiptRow
from simulator.domain.receipt_xml import render_receipt
from simulator.scenario.model import ReceiptMode, ReceiptStep
from simulator.services import outbound, station, wisp
from simulator.services.unit import Unit
from simulator.storage.documents import from_document, to_document
from simulator.storage.errors import Duplicate

PAID = "PAID"  # a receipt the EC may read: the option is paid on GPD
DUPLICATE_RECEIPT = "PAA_RECEIPT_DUPLICATA"

# Where a paid notice's receipt stands (paid_notices.receipt).
DELIVERED, DUE, LOST, REFUSED = "delivered", "due", "lost", "refused"

# What a synthetic notice (an EC the sandbox holds no positions for) pays and how its receipt reads.
SYNTHETIC_DUE_IN = timedelta(days=30)
SYNTHETIC_IBAN = "IT60X0542811101000000123456"
SYNTHETIC_CATEGORY = "9/0101108TS/"
ANONYMOUS = "ANONIMO"  # pagoPA's identifier for a debtor nobody named


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


def record_receipt(unit: Unit, receipt: Receipt) -> ReceiptRow:
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
        unit.receipts.insert(row)
    except Duplicate:
        raise DebtPositionError(
            GpdReason.RECEIPT_DUPLICATED, org=receipt.fiscal_code, iuv=receipt.iuv
        ) from None
    return row


def pay_notice(unit: Unit, organization: str, nav: str, facts: PaymentFacts) -> Receipt:
    """A successful payment of notice ``nav``: the option turns PO_PAID (the position PAID or
    PARTIALLY_PAID) and its receipt is recorded, both in ``unit``.

    Raises ``DebtPositionError`` with OPTION_NOT_FOUND, OPTION_ALREADY_PAID, OPTION_NOT_PAYABLE
    or RECEIPT_DUPLICATED; the caller's transaction then rolls everything back.
    """
    position = unit.positions.by_nav(organization, nav)
    if position is None:
        raise DebtPositionError(GpdReason.OPTION_NOT_FOUND, org=organization, nav=nav)
    paid = dp.pay_option(position, nav, facts.gpd_payment())
    unit.positions.save(paid)
    receipt = build_receipt(paid, nav, facts)
    record_receipt(unit, receipt)
    return receipt


# --- a paid notice and its receipt's delivery -----------------------------------------------------


def record_paid_notice(
    unit: Unit,
    notice: AttemptNotice,
    facts: PaymentFacts,
    step: ReceiptStep,
    *,
    attempt_id: str,
    cart_id: str | None,
) -> None:
    """The node saw ``notice`` paid (``facts.paid_at``): remember it, and deliver its receipt as
    ``step`` says. Delivered at once, a refusal (the option no longer payable) raises and the
    caller's payment rolls back whole; delivered later, it is recorded as lost instead."""
    due_at = facts.paid_at + step.delay if step.delay and step.mode is not ReceiptMode.LOST else None
    state = LOST if step.mode is ReceiptMode.LOST else DUE if due_at is not None else DELIVERED
    row = PaidNotice(
        fiscal_code=notice.fiscal_code,
        nav=notice.nav,
        iuv=notice.iuv,
        attempt_id=attempt_id,
        cart_id=cart_id,
        paid_at=facts.paid_at,
        receipt=state,
        receipt_due_at=due_at,
        duplicate=step.mode is ReceiptMode.DUPLICATE,
        document={"notice": to_document(notice), "facts": to_document(facts)},
    )
    try:
        row_id = unit.receipts.insert_paid_notice(row)
    except Duplicate:
        raise PaymentFault(FaultCategory.PAYMENT_DUPLICATED, "PPT_PAGAMENTO_DUPLICATO") from None
    where = {"cart_id": cart_id, "attempt_id": attempt_id}
    if state == LOST:
        unit.record(
            EventType.RECEIPT_LOST,
            at=facts.paid_at,
            **where,
            fiscalCode=notice.fiscal_code,
            iuv=notice.iuv,
            nav=notice.nav,
        )
    elif state == DUE:
        unit.record(
            EventType.RECEIPT_DELAYED,
            at=facts.paid_at,
            **where,
            fiscalCode=notice.fiscal_code,
            iuv=notice.iuv,
            nav=notice.nav,
            dueAt=due_at,
        )
    else:
        _deliver(unit, replace(row, id=row_id), facts.paid_at, lenient=False)


def deliver_due_receipts(unit: Unit) -> None:
    """Deliver every receipt of the tenant whose time has come by the unit's now (each dated when
    it was due): part of what a unit settles when it opens."""
    for row in unit.receipts.due(unit.now):
        assert row.receipt_due_at is not None
        _deliver(unit, row, row.receipt_due_at, lenient=True)


def _deliver(unit: Unit, row: PaidNotice, at: datetime, *, lenient: bool) -> None:
    notice = from_document(AttemptNotice, row.document["notice"])
    facts = from_document(PaymentFacts, row.document["facts"])
    where = {"cart_id": row.cart_id, "attempt_id": row.attempt_id}
    assert row.id is not None
    try:
        with unit.savepoint():
            receipt = _send(unit, notice, facts)
    except DebtPositionError as exc:
        if not lenient:
            raise
        unit.receipts.set_receipt_state(row.id, REFUSED)
        unit.record(
            EventType.RECEIPT_LOST,
            at=at,
            **where,
            fiscalCode=notice.fiscal_code,
            iuv=notice.iuv,
            nav=notice.nav,
            reason=exc.detail,
        )
        return
    unit.receipts.set_receipt_state(row.id, DELIVERED)
    event = unit.record(
        EventType.RECEIPT_CREATED,
        at=at,
        **where,
        fiscalCode=notice.fiscal_code,
        iuv=notice.iuv,
        nav=notice.nav,
        receiptId=receipt.receipt_id,
    )
    attempt = unit.checkout.attempt(row.attempt_id)
    cart = unit.checkout.cart(row.cart_id) if row.cart_id else None
    outbound.receipt_created(unit, event, row, attempt, cart)
    own_station = station.station_of(unit, notice.fiscal_code)
    scenario_id = attempt.scenario.scenario_id if attempt is not None and attempt.scenario else None
    for _ in range(2 if row.duplicate else 1):  # "receipt: duplicate": the station gets it twice
        if cart is not None and cart.wisp is not None:  # modello 1: the RT, with paaInviaRT
            wisp.enqueue_rt(unit, cart, receipt, at=at, scenario_id=scenario_id)
        elif own_station is not None:  # the node sends it to the EC's station (paSendRT/V2)
            station.enqueue_receipt(
                unit, own_station, receipt, at=at, cart_id=row.cart_id, scenario_id=scenario_id
            )
    if row.duplicate:  # delivered again: the EC's side refuses it, one receipt stays stored
        try:
            record_receipt(unit, receipt)
        except DebtPositionError as exc:
            unit.record(
                EventType.RECEIPT_DUPLICATED,
                at=at,
                **where,
                fiscalCode=notice.fiscal_code,
                iuv=notice.iuv,
                nav=notice.nav,
                faultCode=DUPLICATE_RECEIPT,
                detail=exc.detail,
            )


def _send(unit: Unit, notice: AttemptNotice, facts: PaymentFacts) -> Receipt:
    """The receipt reaches GPD: a managed option turns PO_PAID; a synthetic notice's receipt is
    built from the notice alone."""
    if notice.synthetic:
        paid = dp.pay_option(synthetic_position(notice, facts.paid_at), notice.nav, facts.gpd_payment())
        receipt = build_receipt(paid, notice.nav, facts)
        record_receipt(unit, receipt)
        return receipt
    return pay_notice(unit, notice.fiscal_code, notice.nav, facts)


def synthetic_position(notice: AttemptNotice, now: datetime) -> dp.DebtPosition:
    """The position a synthetic notice stands for, only to build its receipt (never stored: storing
    it would turn its EC into a managed one)."""
    transfer = dp.Transfer(
        id_transfer="1",
        amount=notice.amount,
        remittance_information=notice.description,
        category=SYNTHETIC_CATEGORY,
        iban=SYNTHETIC_IBAN,
    )
    option = dp.PaymentOption(
        iuv=notice.iuv,
        nav=notice.nav,
        amount=notice.amount,
        description=notice.description,
        is_partial_payment=False,
        due_date=now + SYNTHETIC_DUE_IN,
        transfers=(transfer,),
    )
    return dp.DebtPosition(
        organization_fiscal_code=notice.fiscal_code,
        iupd=f"SYNTHETIC-{notice.iuv}",
        debtor=dp.Debtor(type="F", fiscal_code=ANONYMOUS, full_name=ANONYMOUS),
        company_name=notice.company_name,
        options=(option,),
        status=dp.PositionStatus.VALID,
        validity_date=now,
    )
