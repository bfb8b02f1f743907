"""The sandbox's fictional PSPs: which payment methods each offers and its fee for an amount.

Fees follow pagoPA's bundles: per PSP and method, a fixed fee in cents for a range of payment
amounts. Every name here is invented; none is a real bank or payment institution.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from simulator.domain.errors import InvalidInput


class PaymentMethod(Enum):
    """Checkout's payment method codes (reference §2)."""

    CP = "CP"  # cards
    PPAL = "PPAL"
    BPAY = "BPAY"
    MYBK = "MYBK"
    SATY = "SATY"
    APPL = "APPL"
    GOOG = "GOOG"
    RBPP = "RBPP"
    RBPR = "RBPR"
    RBPB = "RBPB"
    RPIC = "RPIC"
    RICO = "RICO"
    RBPS = "RBPS"
    KLRN = "KLRN"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    PaymentMethod.CP: "Carta di debito o credito",
    PaymentMethod.PPAL: "PayPal",
    PaymentMethod.BPAY: "BANCOMAT Pay",
    PaymentMethod.MYBK: "MyBank",
    PaymentMethod.SATY: "Satispay",
    PaymentMethod.APPL: "Apple Pay",
    PaymentMethod.GOOG: "Google Pay",
    PaymentMethod.RBPP: "Postepay",
    PaymentMethod.RBPR: "Conto BancoPosta",
    PaymentMethod.RBPB: "BancoPosta Impresa",
    PaymentMethod.RPIC: "Conto Intesa Sanpaolo",
    PaymentMethod.RICO: "ICONTO",
    PaymentMethod.RBPS: "SCRIGNO Internet Banking",
    PaymentMethod.KLRN: "Klarna",
}


def parse_method(value: PaymentMethod | str, field: str = "paymentMethod") -> PaymentMethod:
    if isinstance(value, PaymentMethod):
        return value
    try:
        return PaymentMethod(str(value).strip().upper())
    except ValueError:
        raise InvalidInput(field, f"unknown payment method {value!r}") from None


@dataclass(frozen=True, slots=True)
class FeeRule:
    """A bundle: ``fee`` cents for payments of ``min_amount``..``max_amount`` cents (None: no cap)."""

    method: PaymentMethod
    fee: int
    min_amount: int = 1
    max_amount: int | None = None

    def applies(self, method: PaymentMethod, amount: int) -> bool:
        return (
            method is self.method
            and amount >= self.min_amount
            and (self.max_amount is None or amount <= self.max_amount)
        )


@dataclass(frozen=True, slots=True)
class Psp:
    id: str
    name: str
    channel_id: str
    rules: tuple[FeeRule, ...]

    def fee(self, method: PaymentMethod, amount: int) -> int | None:
        """This PSP's fee for ``amount`` cents paid with ``method``; None when it does not offer it."""
        return next((r.fee for r in self.rules if r.applies(method, amount)), None)

    @property
    def methods(self) -> frozenset[PaymentMethod]:
        return frozenset(r.method for r in self.rules)


@dataclass(frozen=True, slots=True)
class PspOffer:
    psp: Psp
    fee: int


def _flat(method: PaymentMethod, fee: int) -> FeeRule:
    return FeeRule(method, fee)


def _tiered(method: PaymentMethod, low: int, high: int, threshold: int = 100_00) -> tuple[FeeRule, ...]:
    """``low`` cents up to ``threshold`` cents of payment, ``high`` above it."""
    return (FeeRule(method, low, 1, threshold), FeeRule(method, high, threshold + 1))


_M = PaymentMethod
CATALOGUE: tuple[Psp, ...] = (
    Psp(
        "DEMOPSP001",
        "Banca Demo S.p.A.",
        "DEMOPSP001_01",
        (*_tiered(_M.CP, 100, 150), _flat(_M.MYBK, 90), _flat(_M.BPAY, 80), _flat(_M.RICO, 70)),
    ),
    Psp(
        "DEMOPSP002",
        "Istituto di Pagamento Fittizio S.r.l.",
        "DEMOPSP002_01",
        (
            _flat(_M.CP, 120),
            _flat(_M.PPAL, 130),
            _flat(_M.APPL, 110),
            _flat(_M.GOOG, 110),
            _flat(_M.SATY, 60),
        ),
    ),
    Psp(
        "DEMOPSP003",
        "Cassa di Risparmio Immaginaria S.p.A.",
        "DEMOPSP003_01",
        (*_tiered(_M.CP, 90, 200), _flat(_M.MYBK, 100), _flat(_M.RBPP, 100), _flat(_M.RBPR, 100)),
    ),
    Psp(
        "DEMOPSP004",
        "Banca Esempio di Credito Cooperativo",
        "DEMOPSP004_01",
        (*_tiered(_M.CP, 150, 100), *_tiered(_M.BPAY, 50, 100), _flat(_M.RBPB, 150), _flat(_M.RPIC, 120)),
    ),
    Psp(
        "DEMOPSP005",
        "PagaFinto Payments S.r.l.",
        "DEMOPSP005_01",
        (_flat(_M.PPAL, 100), _flat(_M.SATY, 50), _flat(_M.KLRN, 200), _flat(_M.RBPS, 90)),
    ),
)
_BY_ID = {p.id: p for p in CATALOGUE}


def psp_by_id(psp_id: str) -> Psp | None:
    return _BY_ID.get(psp_id)


def psps_for(method: PaymentMethod | str, amount: int) -> list[PspOffer]:
    """The PSPs offering ``method`` for ``amount`` cents, cheapest first (then by name)."""
    chosen = parse_method(method)
    offers = [PspOffer(p, fee) for p in CATALOGUE if (fee := p.fee(chosen, amount)) is not None]
    return sorted(offers, key=lambda o: (o.fee, o.psp.name))


def fee_range(method: PaymentMethod | str, amount: int) -> tuple[int, int] | None:
    """Lowest and highest fee across PSPs ("Commissione: da X a Y"); None when nobody offers it."""
    fees = [o.fee for o in psps_for(method, amount)]
    return (min(fees), max(fees)) if fees else None


def methods_for(amount: int) -> list[PaymentMethod]:
    """The methods at least one PSP offers for ``amount`` cents, in Checkout's order."""
    return [m for m in PaymentMethod if psps_for(m, amount)]
