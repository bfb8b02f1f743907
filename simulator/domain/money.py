"""Money is integer euro cents inside; euros appear only at the edges (pages, SOAP)."""

from __future__ import annotations

import re

from simulator.domain.errors import InvalidInput

# Checkout's cart service reads each notice's cents into a Java int: 2^31 cents or more is a 400
# there, and a cart's total is held the same way.
MAX_CART_CENTS = 2**31 - 1
# The largest amount pagoPA's SOAP messages can carry (stAmount: 999999999.99 euros); GPD stores
# a Java long, so a position may hold more, but no verify, activation or receipt can carry it.
MAX_SOAP_CENTS = 99_999_999_999

_EURO = re.compile(r"^(\d{1,13})(?:[.,](\d{1,2}))?$")


def format_euro_it(cents: int) -> str:
    """Italian style, as the checkout pages show amounts: ``123456 -> '1.234,56 €'``."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", ".")
    return f"{sign}{grouped},{rest:02d} €"


def euro_decimal(cents: int) -> str:
    """The SOAP form of an amount: ``\\d+\\.\\d{2}``."""
    if cents < 0:
        raise InvalidInput("amount", "an amount is never negative")
    euros, rest = divmod(cents, 100)
    return f"{euros}.{rest:02d}"


def parse_euro(text: str, field: str = "amount") -> int:
    """Parse ``12.34`` or ``12,34`` euros into cents."""
    match = _EURO.match(str(text).strip())
    if not match:
        raise InvalidInput(field, "an amount in euros looks like 12.34")
    whole, frac = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return int(whole) * 100 + int(frac)
