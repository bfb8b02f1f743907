"""Time. The base clock is injected (the system clock in production, a fixed one in tests);
each tenant sees it shifted by its own offset, which the sandbox API can move forward."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told: deterministic tests."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def shifted(base: datetime, offset_seconds: float) -> datetime:
    return base + timedelta(seconds=offset_seconds)
