"""Notice codes of pagoPA: NAV, IUV, RptId, the QR payload and the EC fiscal code.

A check-digit mismatch is *reported*, never rejected: the official test values fail it
(reference §3) and neither Checkout nor the node validates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.domain.errors import InvalidCode

_DIGITS_18 = re.compile(r"^[0-9]{18}\Z")
_DIGITS_11 = re.compile(r"^[0-9]{11}\Z")
QR_PREFIX = "PAGOPA|002|"


def check_digits(number: str) -> str:
    """The two-digit mod-93 check of a NAV's leading part (``00``..``92``)."""
    return f"{int(number) % 93:02d}"


@dataclass(frozen=True, slots=True)
class Nav:
    """A notice number (numero avviso): 18 digits led by the aux digit."""

    value: str

    @property
    def aux_digit(self) -> int:
        return int(self.value[0])

    @property
    def segregation_code(self) -> str | None:
        return self.value[1:3] if self.aux_digit == 3 else None

    @property
    def application_code(self) -> str | None:
        return self.value[1:3] if self.aux_digit == 0 else None

    @property
    def iuv(self) -> str:
        """The creditor reference (IUV) carried inside the NAV (reference §3 table)."""
        if self.aux_digit == 0:
            return self.value[3:]
        return self.value[1:]

    @property
    def expected_check(self) -> str | None:
        """The check digits this NAV should end with, or None where its layout has none."""
        if self.aux_digit == 1:
            return None
        return check_digits(self.value[:16])

    @property
    def check_ok(self) -> bool | None:
        """True/False for layouts with a check, None for aux 1 (which has none)."""
        expected = self.expected_check
        return None if expected is None else self.value[16:] == expected

    def grouped(self) -> str:
        """The NAV as printed on a notice: groups of four digits."""
        v = self.value
        return " ".join(v[i : i + 4] for i in range(0, len(v), 4))

    def __str__(self) -> str:
        return self.value


def parse_nav(text: str) -> Nav:
    """Parse a NAV, tolerating the spaces of its printed form; aux digits 0-3 only."""
    value = "".join(str(text).split())
    if not _DIGITS_18.match(value):
        raise InvalidCode("noticeNumber", "a notice number is 18 digits")
    if value[0] not in "0123":
        raise InvalidCode("noticeNumber", "the aux digit of a notice number is 0, 1, 2 or 3")
    return Nav(value)


def build_nav(aux_digit: int, base: str, prefix: str = "") -> Nav:
    """Build a NAV from its parts, computing the check digits where the layout has them.

    ``prefix`` is the segregation code (aux 3) or the application code (aux 0).
    """
    if aux_digit == 0:
        lead = f"0{prefix:0>2}{base:0>13}"
        return parse_nav(lead + check_digits(lead))
    if aux_digit == 1:
        return parse_nav(f"1{base:0>17}")
    if aux_digit == 2:
        lead = f"2{base:0>15}"
        return parse_nav(lead + check_digits(lead))
    if aux_digit == 3:
        lead = f"3{prefix:0>2}{base:0>13}"
        return parse_nav(lead + check_digits(lead))
    raise InvalidCode("auxDigit", "the aux digit is 0, 1, 2 or 3")


def nav_from_iuv(iuv: str) -> str:
    """GPD's default NAV for an IUV: ``"3" + iuv``."""
    return "3" + iuv


def new_nav(segregation_code: int, sequence: int) -> Nav:
    """A fresh aux-3 NAV for an EC's segregation code and a unique 13-digit sequence."""
    if not 0 <= segregation_code <= 99:
        raise InvalidCode("segregationCode", "a segregation code is two digits")
    if not 0 <= sequence < 10**13:
        raise InvalidCode("sequence", "the sequence has 13 digits at most")
    return build_nav(3, f"{sequence:013d}", f"{segregation_code:02d}")


def fiscal_code_ok(code: str) -> bool:
    """The partita IVA check of an 11-digit EC fiscal code (reference §3)."""
    if not _DIGITS_11.match(code):
        return False
    digits = [int(c) for c in code]
    odd = sum(digits[0:10:2])
    even = 0
    for d in digits[1:10:2]:
        doubled = 2 * d
        even += doubled - 9 if doubled > 9 else doubled
    return (10 - (odd + even) % 10) % 10 == digits[10]


def parse_fiscal_code(text: str, field: str = "fiscalCode") -> str:
    """An EC fiscal code is 11 digits; its check digit is only reported (``fiscal_code_ok``)."""
    value = str(text).strip()
    if not _DIGITS_11.match(value):
        raise InvalidCode(field, "an EC fiscal code is 11 digits")
    return value


@dataclass(frozen=True, slots=True)
class RptId:
    """EC fiscal code (11) + NAV (18): the 29-digit id of a payable notice."""

    fiscal_code: str
    nav: Nav

    def __str__(self) -> str:
        return self.fiscal_code + self.nav.value


def parse_rpt_id(text: str) -> RptId:
    value = str(text).strip()
    if not re.fullmatch(r"[0-9]{29}", value):
        raise InvalidCode("rptId", "an RptId is 29 digits: EC fiscal code (11) and notice number (18)")
    return RptId(parse_fiscal_code(value[:11]), parse_nav(value[11:]))


@dataclass(frozen=True, slots=True)
class QrPayload:
    """The payload of a notice's QR code: ``PAGOPA|002|<NAV>|<CF>|<cents>``."""

    nav: Nav
    fiscal_code: str
    amount_cents: int

    def __str__(self) -> str:
        return f"{QR_PREFIX}{self.nav.value}|{self.fiscal_code}|{self.amount_cents}"


def parse_qr(text: str) -> QrPayload:
    parts = str(text).strip().split("|")
    if len(parts) != 5 or parts[0] != "PAGOPA" or parts[1] != "002":
        raise InvalidCode(
            "qrCode", "a pagoPA QR code reads PAGOPA|002|<notice number>|<fiscal code>|<amount>"
        )
    nav = parse_nav(parts[2])
    fiscal_code = parse_fiscal_code(parts[3])
    if not re.fullmatch(r"[0-9]{1,11}", parts[4]) or int(parts[4]) < 1:
        raise InvalidCode("qrCode", "the amount of a QR code is a positive number of euro cents")
    return QrPayload(nav, fiscal_code, int(parts[4]))
