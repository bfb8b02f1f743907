"""Italian civil time (CET/CEST), as the node writes it in receipts: wall-clock, no offset.

The EU summer-time rule is computed here rather than read from a tz database, so the domain
stays deterministic on machines without ``tzdata``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

CET = timedelta(hours=1)
CEST = timedelta(hours=2)


def _last_sunday(year: int, month: int) -> date:
    first_of_next = date(year + (month == 12), month % 12 + 1, 1)
    last = first_of_next - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def utc_offset(moment: datetime) -> timedelta:
    """Summer time runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
    Sunday of October (EU rule, in force since 1996)."""
    utc = moment.astimezone(UTC)
    start = datetime.combine(_last_sunday(utc.year, 3), datetime.min.time(), UTC) + timedelta(hours=1)
    end = datetime.combine(_last_sunday(utc.year, 10), datetime.min.time(), UTC) + timedelta(hours=1)
    return CEST if start <= utc < end else CET


def wall_clock(moment: datetime) -> datetime:
    """The Italian wall-clock time of an aware ``moment``, as a naive datetime."""
    if moment.tzinfo is None:
        raise ValueError("an Italian wall-clock time needs an aware datetime")
    return (moment.astimezone(UTC) + utc_offset(moment)).replace(tzinfo=None)


def xsd_date_time(moment: datetime) -> str:
    """``2026-03-02T10:00:00``: Italian time to the second, no offset (as in the node's receipts)."""
    return wall_clock(moment).replace(microsecond=0).isoformat()


def italian_date(moment: datetime) -> date:
    return wall_clock(moment).date()


def from_wall_clock(local: datetime) -> datetime:
    """The aware UTC moment of an Italian wall-clock time (naive); in the hour summer time
    repeats, the later one."""
    guess = local.replace(tzinfo=UTC) - CET
    return (local - utc_offset(guess)).replace(tzinfo=UTC)
