"""Queries over debt positions as GPD's list endpoint asks them, and one page of results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from simulator.domain.debt_position import PositionStatus
from simulator.domain.errors import DebtPositionError, GpdReason

# GPD's list answers at most this many days of due (or payment) dates at once.
MAX_DAYS_INTERVAL = 30
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True, slots=True)
class PositionQuery:
    page: int = 0
    limit: int = 10
    due_date_from: date | None = None
    due_date_to: date | None = None
    payment_date_from: date | None = None
    payment_date_to: date | None = None
    status: PositionStatus | None = None
    orderby: str = "INSERTED_DATE"
    ordering: str = "DESC"


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    total: int


def date_window(
    date_from: date | None, date_to: date | None, max_days: int = MAX_DAYS_INTERVAL
) -> tuple[date | None, date | None]:
    """GPD's window over dates: a missing bound is the other one -/+ ``max_days``; a window upside
    down or longer than ``max_days`` (from the first day's start to the last day's end, counted in
    whole days as Java's ``Duration.toDays`` does) is NOT_RECOVERABLE, worded as GPD words it."""
    if date_from is not None and date_to is None:
        date_to = _moved(date_from, max_days)
    elif date_from is None and date_to is not None:
        date_from = _moved(date_to, -max_days)
    if date_from is None or date_to is None:
        return date_from, date_to
    span_ns = (date_to - date_from).days * _DAY_NS + _DAY_NS - 1  # to the last nanosecond of date_to
    days = span_ns // _DAY_NS if span_ns >= 0 else -(-span_ns // _DAY_NS)
    if date_to < date_from or days > max_days:
        raise DebtPositionError(
            GpdReason.NOT_RECOVERABLE,
            date_from=f"{date_from.isoformat()}T00:00",
            date_to=f"{date_to.isoformat()}T23:59:59.999999999",
            days=str(days),
            max_days=str(max_days),
        )
    return date_from, date_to


def _moved(day: date, days: int) -> date:
    """``day`` moved by ``days``, held within the calendar Python knows (years 1 to 9999)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min
