"""When a failed notification is tried again: a fixed list of delays, roughly exponential, after
which the delivery gives up. Pure, so the tests can read it against the tenant clock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["DEFAULT_SCHEDULE", "RetrySchedule", "parse_schedule"]

# The first attempt right away, then 30 s, 2 min, 10 min, 1 h and 6 h after each failure.
DEFAULT_SCHEDULE: tuple[float, ...] = (0, 30, 120, 600, 3600, 21600)
MAX_ATTEMPTS = 50
_DELAY = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """``delays[0]`` is the wait before the first attempt; ``delays[k]`` the wait after the k-th
    failure. After ``len(delays)`` failed attempts the delivery gives up."""

    delays: tuple[float, ...] = DEFAULT_SCHEDULE

    def __post_init__(self) -> None:
        if not 1 <= len(self.delays) <= MAX_ATTEMPTS:
            raise ValueError(f"a retry schedule has 1 to {MAX_ATTEMPTS} delays")
        if any(d < 0 for d in self.delays):
            raise ValueError("a retry schedule's delays are not negative")

    @property
    def max_attempts(self) -> int:
        return len(self.delays)

    def first(self) -> timedelta:
        return timedelta(seconds=self.delays[0])

    def after_failure(self, attempts_made: int) -> timedelta | None:
        """The wait before the next attempt once ``attempts_made`` have failed; None: give up."""
        if attempts_made >= len(self.delays):
            return None
        return timedelta(seconds=self.delays[attempts_made])


def parse_schedule(text: str) -> tuple[float, ...]:
    """``"0s,30s,2m,10m,1h,6h"`` (a bare number is seconds) -> seconds."""
    delays = []
    for item in text.split(","):
        match = _DELAY.match(item.strip())
        if not match:
            raise ValueError(f"{item.strip()!r} is not a delay like 30s, 2m or 1h")
        delays.append(float(match.group(1)) * _UNIT[match.group(2)])
    RetrySchedule(tuple(delays))  # validates
    return tuple(delays)
