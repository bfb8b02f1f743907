"""The sandbox's test cards and the card-number rules the card page applies (Luhn, brand, expiry).

A card number decides the authorization outcome: the UAT cards succeed, each listed failure card
gives one outcome code (reference §2), one forces a 3DS challenge; any other valid number succeeds.
Only the outcome is ever kept, never the number (nor the CVV).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

OUTCOME_SUCCESS = 0
CHALLENGE_CODE = "123456"  # the one-time code the simulated 3DS page accepts
CHALLENGE_FAILED_OUTCOME = 2  # a wrong 3DS code is an authorization denied

_DIGITS = re.compile(r"^[0-9]{12,19}\Z")


@dataclass(frozen=True, slots=True)
class SandboxCard:
    """One documented test card and what paying with it does."""

    number: str
    brand: str
    outcome: int
    challenge: bool = False
    note: str = ""


SANDBOX_CARDS: tuple[SandboxCard, ...] = (
    SandboxCard("5255000260000014", "MASTERCARD", 0, note="UAT Mastercard: success"),
    SandboxCard("4242424242424242", "VISA", 0, note="UAT Visa: success"),
    SandboxCard("4000000000003006", "VISA", 0, challenge=True, note="3DS challenge, then success"),
    SandboxCard("4000000000000028", "VISA", 2, note="authorization denied"),
    SandboxCard("4000000000000036", "VISA", 3, note="invalid payment data"),
    SandboxCard("4000000000000044", "VISA", 4, note="timeout"),
    SandboxCard("4000000000000077", "VISA", 7, note="invalid or expired card"),
    SandboxCard("4000000000000101", "VISA", 10, note="excessive amount"),
    SandboxCard("4000000000000176", "VISA", 17, note="taken in charge, result pending"),
    SandboxCard("4000000000000259", "VISA", 25, note="PSP error"),
    SandboxCard("4000000000001166", "VISA", 116, note="insufficient balance"),
    SandboxCard("4000000000001174", "VISA", 117, note="wrong CVV"),
    SandboxCard("4000000000001216", "VISA", 121, note="spending limit exceeded"),
)
_BY_NUMBER = {c.number: c for c in SANDBOX_CARDS}


@dataclass(frozen=True, slots=True)
class CardBehaviour:
    """What authorizing with a card does: the outcome code, and whether 3DS asks for a code first."""

    outcome: int
    challenge: bool


def normalize_number(text: str) -> str:
    """The digits of a card number as typed: spaces and dashes between groups are dropped."""
    return re.sub(r"[\s-]", "", text)


def luhn_ok(number: str) -> bool:
    """The Luhn (mod 10) check every card number passes; 12 to 19 digits."""
    if not _DIGITS.match(number):
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    """The circuit from the number's prefix (the ones Checkout accepts); ``OTHER`` otherwise."""
    if number.startswith(("34", "37")):
        return "AMEX"
    if number.startswith("4"):
        return "VISA"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4] or 0) <= 2720:
        return "MASTERCARD"
    if number.startswith(("50", "56", "57", "58", "6")):
        return "MAESTRO"
    return "OTHER"


def behaviour_of(number: str) -> CardBehaviour:
    """The outcome a (valid) card number gives: the table's, or success for any unlisted card."""
    card = _BY_NUMBER.get(number)
    if card is None:
        return CardBehaviour(OUTCOME_SUCCESS, challenge=False)
    return CardBehaviour(card.outcome, card.challenge)


def parse_expiry(text: str) -> tuple[int, int] | None:
    """``mm/aa`` (also ``mm/aaaa``, ``mmaa``) -> (month, four-digit year), or None if malformed."""
    match = re.fullmatch(r"\s*(\d{2})\s*/?\s*(\d{2}|\d{4})\s*", text)
    if not match:
        return None
    month, year = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    return month, (2000 + year if year < 100 else year)


def expired(month: int, year: int, today: date) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (year, month) < (today.year, today.month)


def cvv_ok(text: str) -> bool:
    return re.fullmatch(r"[0-9]{3,4}", text) is not None
