"""The receipts list's window over payment dates, as GPD's receipts service draws it: by default
the last ``MONTHS`` months up to today; a window asked for may not run backwards nor span more
than ``MONTHS`` months (RECEIPTS_DATE_RANGE). Dates are Italian calendar days, as the receipts'
``paymentDateTime`` is Italian wall-clock time."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time

from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.italian_time import from_wall_clock

MONTHS = 3
_DAY_END = time(23, 59, 59)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day (as Java's ``plusMonths``)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def window(
    date_from: date | None, date_to: date | None, today: date, months: int = MONTHS
) -> tuple[date, date]:
    """The first and last day of payments listed."""
    if date_from is None and date_to is None:
        return add_months(today, -months), today
    if date_from is not None and date_to is not None:
        if date_from > date_to or add_months(date_from, months) < date_to:
            raise DebtPositionError(GpdReason.RECEIPTS_DATE_RANGE)
        return date_from, date_to
    if date_from is not None:
        return date_from, min(add_months(date_from, months), today)
    assert date_to is not None
    return add_months(date_to, -months), date_to


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The window as moments: from the first day's 00:00:00 to the last day's 23:59:59, Italian time."""
    return from_wall_clock(datetime.combine(first, time())), from_wall_clock(datetime.combine(last, _DAY_END))
