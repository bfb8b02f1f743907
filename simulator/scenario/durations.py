"""Durations in the scenario syntax (``500ms``, ``2s``, ``15m``, ``1h``): parsed, spelled, and
checked not to be negative."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["NO_DELAY", "format_duration", "parse_duration"]

NO_DELAY = timedelta(0)

_DURATION = re.compile(r"([0-9]{1,6})(ms|s|m|h)\Z")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
}


def parse_duration(text: str) -> timedelta:
    """``500ms``, ``2s``, ``15m``, ``1h`` (one whole number, one unit) -> timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 500ms, 2s, 15m or 1h")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(delta: timedelta) -> str:
    """The shortest exact spelling in the scenario syntax: 90s -> ``90s``, 2h -> ``2h``."""
    ms = round(delta.total_seconds() * 1000)
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def _non_negative(delay: timedelta, what: str) -> None:
    if delay < NO_DELAY:
        raise ValueError(f"{what} cannot be negative")
