"""Moving a tenant's clock forward, never past where dates still fit: every "now" plus the
sandbox's longest horizon (a token, a due date a year on) must stay a valid date."""

from __future__ import annotations

from datetime import datetime

from simulator.domain.errors import InvalidInput
from simulator.services import certifications
from simulator.services.clock import shifted
from simulator.services.unit import Unit

LAST_YEAR = 9998  # a year short of datetime's limit: room for what is scheduled after "now"


def advance(unit: Unit, seconds: int) -> tuple[datetime, float]:
    """The tenant's new now and offset after ``seconds``; ``InvalidInput`` (nothing saved) when
    that would pass the end of year ``LAST_YEAR``."""
    try:
        now = shifted(unit.clock(), unit.offset + seconds)
    except OverflowError:
        now = None
    if now is None or now.year > LAST_YEAR:
        raise InvalidInput("seconds", f"would take the tenant's clock past the year {LAST_YEAR}")
    offset = unit.tenants.advance_clock(seconds)
    certifications.clock_moved(unit, offset)
    return now, offset
