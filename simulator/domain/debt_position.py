"""GPD debt positions: the value objects, their validation rules and their status machine.

Every time-driven rule takes ``now`` as an argument: PUBLISHED -> VALID at the validity date,
VALID -> EXPIRED past the last due date when ``switch_to_expired`` is set (reference §5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from simulator.domain.errors import DebtPositionError, GpdReason

MAX_TRANSFERS = 5


class PositionStatus(Enum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    VALID = "VALID"
    INVALID = "INVALID"
    EXPIRED = "EXPIRED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    REPORTED = "REPORTED"


class OptionStatus(Enum):
    PO_UNPAID = "PO_UNPAID"
    PO_PAID = "PO_PAID"
    PO_PARTIALLY_REPORTED = "PO_PARTIALLY_REPORTED"
    PO_REPORTED = "PO_REPORTED"


class TransferStatus(Enum):
    T_UNREPORTED = "T_UNREPORTED"
    T_REPORTED = "T_REPORTED"


Transition = Callable[["DebtPosition", datetime], "DebtPosition"]

PAYABLE = frozenset({PositionStatus.VALID, PositionStatus.PARTIALLY_PAID})
# GPD updates a position until it is paid, invalidated or reported: an expired one too
UPDATABLE = frozenset(
    {PositionStatus.DRAFT, PositionStatus.PUBLISHED, PositionStatus.VALID, PositionStatus.EXPIRED}
)
INVALIDABLE = frozenset({PositionStatus.PUBLISHED, PositionStatus.VALID})
WITH_PAYMENTS = frozenset({PositionStatus.PARTIALLY_PAID, PositionStatus.PAID, PositionStatus.REPORTED})


@dataclass(frozen=True, slots=True)
class Stamp:
    hash_document: str
    stamp_type: str
    provincial_residence: str


@dataclass(frozen=True, slots=True)
class Transfer:
    id_transfer: str
    amount: int
    remittance_information: str
    category: str
    iban: str | None = None
    postal_iban: str | None = None
    stamp: Stamp | None = None
    organization_fiscal_code: str | None = None
    company_name: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    status: TransferStatus = TransferStatus.T_UNREPORTED


@dataclass(frozen=True, slots=True)
class Payment:
    """How an option was paid: what GPD records when it turns PO_PAID."""

    payment_date: datetime
    payment_method: str | None = None
    psp_company: str | None = None
    id_receipt: str | None = None
    fee: int = 0


@dataclass(frozen=True, slots=True)
class PaymentReport:
    """A payment as reported by a caller, whose date defaults to "now"."""

    payment_date: datetime | None = None
    payment_method: str | None = None
    psp_company: str | None = None
    id_receipt: str | None = None
    fee: int = 0

    def at(self, now: datetime) -> Payment:
        return Payment(
            payment_date=self.payment_date or now,
            payment_method=self.payment_method,
            psp_company=self.psp_company,
            id_receipt=self.id_receipt,
            fee=self.fee,
        )


@dataclass(frozen=True, slots=True)
class PaymentOption:
    iuv: str
    nav: str
    amount: int
    description: str
    is_partial_payment: bool
    due_date: datetime
    retention_date: datetime | None = None
    fee: int = 0
    notification_fee: int = 0
    transfers: tuple[Transfer, ...] = ()
    metadata: tuple[tuple[str, str], ...] = ()
    status: OptionStatus = OptionStatus.PO_UNPAID
    payment: Payment | None = None


@dataclass(frozen=True, slots=True)
class Debtor:
    type: str  # "F" natural person, "G" legal person
    fiscal_code: str
    full_name: str
    street_name: str | None = None
    civic_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    province: str | None = None
    region: str | None = None
    country: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class DebtPosition:
    organization_fiscal_code: str
    iupd: str
    debtor: Debtor
    company_name: str
    options: tuple[PaymentOption, ...]
    office_name: str | None = None
    switch_to_expired: bool = False
    pay_stand_in: bool = True
    validity_date: datetime | None = None
    status: PositionStatus = PositionStatus.DRAFT
    inserted_date: datetime | None = None
    publish_date: datetime | None = None
    last_updated_date: datetime | None = None
    payment_date: datetime | None = None

    @property
    def last_due_date(self) -> datetime | None:
        return max((o.due_date for o in self.options), default=None)

    def option_by_nav(self, nav: str) -> PaymentOption | None:
        return next((o for o in self.options if o.nav == nav), None)


@dataclass(frozen=True, slots=True)
class Problems:
    """Collects every broken rule so a client sees them all at once, as GPD's validator does."""

    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self) -> None:
        if self.items:
            raise DebtPositionError(GpdReason.REQUEST_DATA_ERROR, detail="; ".join(self.items))


def validate(position: DebtPosition, now: datetime, *, creating: bool = True) -> None:
    """The request-data rules of GPD (reference §5); raises REQUEST_DATA_ERROR listing all.

    As GPD has them since PAGOPA-2459: a new position's validity date and due dates lie ahead; an
    update may carry a validity date already past, and a due date already past when the position
    does not switch to expired — a due date is never before the validity date (or now)."""
    problems = Problems()
    if not position.options:
        problems.add("paymentOption: at least one payment option is required")
    if creating and position.validity_date is not None and position.validity_date < now:
        problems.add("validityDate: must be in the future")
    start = position.validity_date or now
    due_ahead = creating or position.switch_to_expired
    seen_iuv: set[str] = set()
    seen_nav: set[str] = set()
    for i, option in enumerate(position.options):
        where = f"paymentOption[{i}]"
        if option.iuv in seen_iuv:
            problems.add(f"{where}.iuv: duplicated in this debt position")
        if option.nav in seen_nav:
            problems.add(f"{where}.nav: duplicated in this debt position")
        seen_iuv.add(option.iuv)
        seen_nav.add(option.nav)
        if option.due_date < start:
            problems.add(f"{where}.dueDate: must not be before the validity date (or now)")
        elif due_ahead and option.due_date < now:
            problems.add(f"{where}.dueDate: must be in the future when switchToExpired is true")
        if option.retention_date is not None and option.retention_date < option.due_date:
            problems.add(f"{where}.retentionDate: must not be before the due date")
        _validate_transfers(option, where, problems)
    problems.raise_if_any()


def _validate_transfers(option: PaymentOption, where: str, problems: Problems) -> None:
    transfers = option.transfers
    if not transfers:
        problems.add(f"{where}.transfer: at least one transfer is required")
        return
    if len(transfers) > MAX_TRANSFERS:
        problems.add(f"{where}.transfer: at most {MAX_TRANSFERS} transfers")
    ids = [t.id_transfer for t in transfers]
    if len(set(ids)) != len(ids):
        problems.add(f"{where}.transfer: idTransfer values must be distinct")
    for j, transfer in enumerate(transfers):
        has_iban = bool(transfer.iban)
        if has_iban == (transfer.stamp is not None):
            problems.add(f"{where}.transfer[{j}]: exactly one of iban and stamp")
        if transfer.stamp is not None and transfer.postal_iban:
            problems.add(f"{where}.transfer[{j}]: postalIban cannot go with a stamp")
    total = sum(t.amount for t in transfers)
    if total != option.amount:
        problems.add(
            f"{where}: the transfer amounts sum to {total}, not to the option amount {option.amount}"
        )


def create(position: DebtPosition, now: datetime, to_publish: bool) -> DebtPosition:
    """A new position: validated, stamped, and published when asked."""
    validate(position, now)
    created = replace(
        position,
        status=PositionStatus.DRAFT,
        inserted_date=now,
        last_updated_date=now,
        publish_date=None,
        payment_date=None,
        options=tuple(_fresh_option(o) for o in position.options),
    )
    return publish(created, now) if to_publish else created


def _fresh_option(option: PaymentOption) -> PaymentOption:
    return replace(
        option,
        status=OptionStatus.PO_UNPAID,
        payment=None,
        transfers=tuple(replace(t, status=TransferStatus.T_UNREPORTED) for t in option.transfers),
    )


def update(current: DebtPosition, new: DebtPosition, now: datetime, to_publish: bool) -> DebtPosition:
    """Replace a position's content; only before any payment (back to DRAFT unless republished)."""
    current = settle(current, now)
    if current.status not in UPDATABLE:
        raise DebtPositionError(
            GpdReason.NOT_UPDATABLE, org=current.organization_fiscal_code, iupd=current.iupd
        )
    validate(new, now, creating=False)
    updated = replace(
        new,
        organization_fiscal_code=current.organization_fiscal_code,
        iupd=current.iupd,
        status=PositionStatus.DRAFT,
        inserted_date=current.inserted_date,
        last_updated_date=now,
        publish_date=None,
        payment_date=None,
        options=tuple(_fresh_option(o) for o in new.options),
    )
    return publish(updated, now) if to_publish else updated


def publish(position: DebtPosition, now: datetime) -> DebtPosition:
    """DRAFT -> VALID (no validity date, or reached) or PUBLISHED (validity date ahead)."""
    ids = {"org": position.organization_fiscal_code, "iupd": position.iupd}
    if position.status is not PositionStatus.DRAFT:
        raise DebtPositionError(GpdReason.NOT_PUBLISHABLE, **ids)
    if position.validity_date is not None and position.validity_date < now:
        raise DebtPositionError(GpdReason.PUBLISH_VALIDITY_DATE_MISMATCH, **ids)
    if any(o.due_date < now for o in position.options):
        raise DebtPositionError(GpdReason.PUBLISH_DUE_DATE_MISMATCH, **ids)
    if position.validity_date is None or position.validity_date <= now:
        return replace(
            position,
            status=PositionStatus.VALID,
            validity_date=position.validity_date or now,
            publish_date=now,
            last_updated_date=now,
        )
    return replace(position, status=PositionStatus.PUBLISHED, publish_date=now, last_updated_date=now)


def invalidate(position: DebtPosition, now: datetime) -> DebtPosition:
    position = settle(position, now)
    if position.status not in INVALIDABLE:
        raise DebtPositionError(
            GpdReason.NOT_INVALIDABLE, org=position.organization_fiscal_code, iupd=position.iupd
        )
    return replace(position, status=PositionStatus.INVALID, last_updated_date=now)


def check_deletable(position: DebtPosition) -> None:
    """A position with payments stays: GPD answers 409 'Existing related payment found'."""
    if position.status in WITH_PAYMENTS:
        raise DebtPositionError(
            GpdReason.PAYMENT_FOUND, org=position.organization_fiscal_code, iupd=position.iupd
        )


def settle(position: DebtPosition, now: datetime) -> DebtPosition:
    """Apply the time-driven transitions that are due at ``now`` (idempotent)."""
    status = position.status
    validity = position.validity_date
    if status is PositionStatus.PUBLISHED and validity is not None and validity <= now:
        position = replace(position, status=PositionStatus.VALID, last_updated_date=validity)
        status = PositionStatus.VALID
    if status is PositionStatus.VALID and position.switch_to_expired:
        last_due = position.last_due_date
        if last_due is not None and last_due < now:
            position = replace(position, status=PositionStatus.EXPIRED, last_updated_date=last_due)
    return position


def needs_settling(position: DebtPosition, now: datetime) -> bool:
    return settle(position, now) != position


def pay_option(position: DebtPosition, nav: str, payment: Payment) -> DebtPosition:
    """Mark one option paid; the position turns PAID, or PARTIALLY_PAID while instalments remain."""
    ids = {"org": position.organization_fiscal_code, "nav": nav}
    position = settle(position, payment.payment_date)
    option = position.option_by_nav(nav)
    if option is None:
        raise DebtPositionError(GpdReason.OPTION_NOT_FOUND, **ids)
    if option.status is not OptionStatus.PO_UNPAID:
        raise DebtPositionError(GpdReason.OPTION_ALREADY_PAID, **ids)
    if position.status not in PAYABLE:
        raise DebtPositionError(GpdReason.OPTION_NOT_PAYABLE, **ids)
    paid = replace(option, status=OptionStatus.PO_PAID, payment=payment)
    options = tuple(paid if o is option else o for o in position.options)
    instalments = [o for o in options if o.is_partial_payment]
    if not option.is_partial_payment or all(o.status is not OptionStatus.PO_UNPAID for o in instalments):
        status = PositionStatus.PAID
    else:
        status = PositionStatus.PARTIALLY_PAID
    return replace(
        position,
        options=options,
        status=status,
        payment_date=payment.payment_date,
        last_updated_date=payment.payment_date,
    )


def report(position: DebtPosition, now: datetime) -> DebtPosition:
    """The money reached the EC (rendicontazione): a PAID position turns REPORTED."""
    if position.status is not PositionStatus.PAID:
        raise DebtPositionError(
            GpdReason.NOT_UPDATABLE, org=position.organization_fiscal_code, iupd=position.iupd
        )
    options = tuple(
        replace(
            o,
            status=OptionStatus.PO_REPORTED,
            transfers=tuple(replace(t, status=TransferStatus.T_REPORTED) for t in o.transfers),
        )
        if o.status is OptionStatus.PO_PAID
        else o
        for o in position.options
    )
    return replace(position, options=options, status=PositionStatus.REPORTED, last_updated_date=now)


class PayerView(Enum):
    """What the node answers a payer (verify/activate) for a notice, by position status (ref. §5)."""

    PAYABLE = None
    UNKNOWN = "PAA_PAGAMENTO_SCONOSCIUTO"
    EXPIRED = "PAA_PAGAMENTO_SCADUTO"
    CANCELLED = "PAA_PAGAMENTO_ANNULLATO"
    DUPLICATED = "PAA_PAGAMENTO_DUPLICATO"


def payer_view(position: DebtPosition | None, nav: str, now: datetime) -> PayerView:
    if position is None:
        return PayerView.UNKNOWN
    position = settle(position, now)
    option = position.option_by_nav(nav)
    if option is None:
        return PayerView.UNKNOWN
    if option.status is not OptionStatus.PO_UNPAID:
        return PayerView.DUPLICATED
    status = position.status
    if status in PAYABLE:
        return PayerView.PAYABLE
    if status is PositionStatus.EXPIRED:
        return PayerView.EXPIRED
    if status is PositionStatus.INVALID:
        return PayerView.CANCELLED
    if status in WITH_PAYMENTS:
        return PayerView.DUPLICATED
    return PayerView.UNKNOWN
