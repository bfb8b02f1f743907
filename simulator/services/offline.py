"""The proposal's status query and offline payment: an EC asks whether a notice is paid (and gets
its receipt) without trusting the browser; a test pays a notice "at a bank counter", with the
same faults the node gives and the same receipt and notification an online payment produces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simulator.domain import debt_position as dp
from simulator.domain import payment as pay
from simulator.domain import psps
from simulator.domain.codes import parse_fiscal_code, parse_nav
from simulator.domain.errors import InvalidInput
from simulator.domain.payment import AttemptNotice
from simulator.domain.receipt import PaymentFacts
from simulator.domain.receipt_records import OFFLINE_PREFIX, PaidNotice, ReceiptRow
from simulator.scenario.model import ReceiptStep
from simulator.services import receipts
from simulator.services.notice_lookup import NoticeRequest, lookup
from simulator.services.unit import Unit

__all__ = ["OFFLINE_PREFIX", "NoticeStatus", "ReceiptSummary", "notice_status", "pay_offline"]
DEFAULT_CHANNEL = "counter"
OFFLINE_METHOD = "PO"  # pagoPA's "paid at the PSP" (a counter, an ATM, a home-banking payment)
UNKNOWN_FAULT = "PAA_PAGAMENTO_SCONOSCIUTO"


@dataclass(frozen=True, slots=True)
class NoticeStatus:
    """``status``: PAID, PAYABLE, ONGOING, EXPIRED, CANCELED or UNKNOWN."""

    fiscal_code: str
    nav: str
    iuv: str
    status: str
    receipt: ReceiptRow | None = None
    paid: PaidNotice | None = None

    @property
    def channel(self) -> str | None:
        if self.paid is None:
            return None
        return "offline" if self.paid.attempt_id.startswith(OFFLINE_PREFIX) else "online"

    @property
    def summary(self) -> ReceiptSummary | None:
        """The receipt as the status query shows it (amount, fee, PSP: as the node saw it paid)."""
        if self.receipt is None:
            return None
        notice = self.paid.document.get("notice", {}) if self.paid else {}
        facts = self.paid.document.get("facts", {}) if self.paid else {}
        return ReceiptSummary(
            receipt_id=self.receipt.receipt_id,
            payment_date=self.receipt.payment_date,
            amount=notice.get("amount"),
            fee=facts.get("fee"),
            psp_id=facts.get("id_psp"),
            channel=self.channel,
        )


@dataclass(frozen=True, slots=True)
class ReceiptSummary:
    receipt_id: str
    payment_date: datetime
    amount: int | None
    fee: int | None
    psp_id: str | None
    channel: str | None


_STATUS_OF_VIEW = {
    dp.PayerView.PAYABLE: "PAYABLE",
    dp.PayerView.UNKNOWN: "UNKNOWN",
    dp.PayerView.EXPIRED: "EXPIRED",
    dp.PayerView.CANCELLED: "CANCELED",
    dp.PayerView.DUPLICATED: "PAID",
}


def notice_status(unit: Unit, fiscal_code: str, nav: str) -> NoticeStatus:
    """Where a notice stands (the proposal's status query), as of the unit's now."""
    fiscal_code = parse_fiscal_code(fiscal_code)
    parsed = parse_nav(nav)
    return _status(unit, fiscal_code, parsed.value, parsed.iuv)


def _status(unit: Unit, fiscal_code: str, nav: str, iuv: str) -> NoticeStatus:
    position = unit.positions.by_nav(fiscal_code, nav)
    option = position.option_by_nav(nav) if position is not None else None
    iuv = option.iuv if option is not None else iuv
    receipt = unit.receipts.get(fiscal_code, iuv)
    paid = unit.receipts.paid_notice(fiscal_code, nav)
    if receipt is not None or paid is not None:
        status = "PAID"
    elif unit.checkout.lock_holder(fiscal_code, nav, unit.now) is not None:
        status = "ONGOING"
    elif unit.positions.any_for(fiscal_code):
        status = _STATUS_OF_VIEW[dp.payer_view(position, nav, unit.now)]
    else:
        status = "PAYABLE"  # a synthetic notice: any NAV of an EC without positions
    return NoticeStatus(fiscal_code, nav, iuv, status, receipt, paid)


def pay_offline(
    unit: Unit,
    fiscal_code: str,
    nav: str,
    *,
    channel: str | None = None,
    psp_id: str | None = None,
    fee: int = 0,
) -> NoticeStatus:
    """Pay a notice of a GPD position elsewhere than on Checkout: the node records it paid, the
    option turns PO_PAID and the receipt reaches the EC (and its notification), in the unit.
    Faults as verify gives them: unknown, expired, invalidated, already paid, or held by a live
    payment attempt."""
    fiscal_code = parse_fiscal_code(fiscal_code)
    nav = parse_nav(nav).value
    if fee < 0:
        raise InvalidInput("fee", "must be at least 0")
    psp = _psp(psp_id)
    if not unit.positions.any_for(fiscal_code):
        # Only a GPD position can be paid elsewhere: a synthetic notice exists only in a cart.
        raise pay.fault(UNKNOWN_FAULT)
    info = lookup(unit, NoticeRequest(fiscal_code, nav))
    receipt_id = unit.ids.hex()
    facts = PaymentFacts(
        receipt_id=receipt_id,
        paid_at=unit.now,
        id_psp=psp.id,
        psp_company_name=psp.name,
        id_channel=psp.channel_id,
        channel_description=channel or DEFAULT_CHANNEL,
        payment_method=OFFLINE_METHOD,
        fee=fee,
    )
    notice = AttemptNotice(
        fiscal_code=info.fiscal_code,
        nav=info.nav,
        iuv=info.iuv,
        amount=info.amount,
        description=info.description,
        company_name=info.company_name,
        payment_token=receipt_id,
    )
    receipts.record_paid_notice(
        unit, notice, facts, ReceiptStep(), attempt_id=OFFLINE_PREFIX + receipt_id, cart_id=None
    )
    return _status(unit, fiscal_code, nav, info.iuv)


def _psp(psp_id: str | None) -> psps.Psp:
    if psp_id is None:
        return psps.CATALOGUE[0]
    found = psps.psp_by_id(psp_id)
    if found is None:
        raise InvalidInput("psp", f"unknown PSP {psp_id[:40]!r}")
    return found
