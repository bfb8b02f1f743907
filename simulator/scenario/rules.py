"""The selection rules of scenarios (``match:``): what is known of a cart's notices and card when
a scenario is chosen, and the rules a scenario's notices and card must satisfy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.domain.test_cards import luhn_ok, normalize_number

__all__ = ["AmountRange", "MatchFacts", "MatchRules", "NoticeFacts"]


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What is known of one notice when a scenario is chosen (amount in cents, if known)."""

    fiscal_code: str
    nav: str
    amount: int | None = None


@dataclass(frozen=True, slots=True)
class MatchFacts:
    """A cart's notices, and the card number once the payer typed it (None before)."""

    notices: tuple[NoticeFacts, ...]
    card: str | None = None

    @classmethod
    def of(
        cls, fiscal_code: str, nav: str, amount: int | None = None, *, card: str | None = None
    ) -> MatchFacts:
        """Facts of a single notice."""
        return cls((NoticeFacts(fiscal_code, nav, amount),), card)


@dataclass(frozen=True, slots=True)
class AmountRange:
    """An amount range in cents, both ends included; either end may be open."""

    min: int | None = None
    max: int | None = None

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")

    def __contains__(self, amount: object) -> bool:
        if not isinstance(amount, int):
            return False
        return (self.min is None or amount >= self.min) and (self.max is None or amount <= self.max)


@dataclass(frozen=True, slots=True)
class MatchRules:
    """``match:``: every rule given must hold. NAV, fiscal-code and amount rules must hold for one
    and the same notice of the cart; regexes match the whole value; ``card`` only matches once
    the card number is known."""

    nav: re.Pattern[str] | None = None
    fiscal_code: re.Pattern[str] | None = None
    amount: AmountRange | None = None
    card: str | None = None

    def __post_init__(self) -> None:
        if self.nav is None and self.fiscal_code is None and self.amount is None and self.card is None:
            raise ValueError("a match needs at least one rule")
        if self.card is not None and (self.card != normalize_number(self.card) or not luhn_ok(self.card)):
            raise ValueError(f"{self.card!r} is not a card number that passes the Luhn check")

    def matches(self, facts: MatchFacts) -> bool:
        if self.card is not None and (facts.card is None or normalize_number(facts.card) != self.card):
            return False
        if self.nav is None and self.fiscal_code is None and self.amount is None:
            return True
        return any(self._notice_holds(n) for n in facts.notices)

    def _notice_holds(self, notice: NoticeFacts) -> bool:
        return (
            (self.nav is None or self.nav.fullmatch(notice.nav) is not None)
            and (self.fiscal_code is None or self.fiscal_code.fullmatch(notice.fiscal_code) is not None)
            and (self.amount is None or notice.amount in self.amount)
        )

    def describe(self) -> str:
        """The rules in words, for ``scenarios list``."""
        parts = []
        if self.nav is not None:
            parts.append(f"NAV matching {self.nav.pattern}")
        if self.fiscal_code is not None:
            parts.append(f"EC fiscal code matching {self.fiscal_code.pattern}")
        if self.amount is not None:
            low, high = self.amount.min, self.amount.max
            if low is not None and high is not None:
                parts.append(f"amount {low}-{high} cents")
            else:
                parts.append(f"amount >= {low} cents" if low is not None else f"amount <= {high} cents")
        if self.card is not None:
            parts.append(f"card {_grouped(self.card)}")
        return "match: " + ", ".join(parts)


def _grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
