"""Outcome codes (reference §2): the outcome ``/esito`` shows, with upstream's wire numbers and names,
and how a code given as a number or a string is read and shown. Pure."""

from __future__ import annotations

from enum import Enum

from simulator.domain.errors import InvalidInput

__all__ = ["OutcomeCode", "parse_outcome", "shown_outcome"]


class OutcomeCode(Enum):
    """The outcome shown on ``/esito``, with upstream's wire numbers and names."""

    SUCCESS = 0
    GENERIC_ERROR = 1
    AUTH_ERROR = 2
    INVALID_DATA = 3
    TIMEOUT = 4
    INVALID_CARD = 7
    CANCELED_BY_USER = 8
    EXCESSIVE_AMOUNT = 10
    TAKEN_IN_CHARGE = 17
    REFUNDED = 18
    PSP_ERROR = 25
    BE_KO = 99
    BALANCE_NOT_AVAILABLE = 116
    CVV_ERROR = 117
    LIMIT_EXCEEDED = 121

    @property
    def charged(self) -> bool:
        """Whether the payer's money was taken: on success, while pending (17, the PSP has it),
        and on 18 (taken, then given back). Every other failure page says nothing was charged."""
        return self in _CHARGED

    @property
    def refunded(self) -> bool:
        return self is OutcomeCode.REFUNDED


_CHARGED = frozenset({OutcomeCode.SUCCESS, OutcomeCode.TAKEN_IN_CHARGE, OutcomeCode.REFUNDED})


def parse_outcome(value: OutcomeCode | int | str, field: str = "outcome") -> OutcomeCode:
    if isinstance(value, OutcomeCode):
        return value
    try:
        return OutcomeCode(int(value))
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not an outcome code of Checkout") from None


def shown_outcome(code: OutcomeCode | int | None) -> OutcomeCode:
    """The outcome the page shows: 99 (backend error) and any unknown code are shown as 1."""
    if isinstance(code, OutcomeCode):
        known: OutcomeCode | None = code
    else:
        known = next((c for c in OutcomeCode if c.value == code), None)
    if known is None or known is OutcomeCode.BE_KO:
        return OutcomeCode.GENERIC_ERROR
    return known
