"""The ``station`` step: how a creditor's own station answers the node, as a scenario scripts it.
It only acts for an EC in station mode. A scripted operation is not sent: the sandbox answers in
the station's place and judges that answer with the same code as a real one, so the node's fault
codes are production's; the timeline and the journal mark the exchange as scripted. Scripting
the answer rather than altering the real call keeps a scenario reproducible whatever the vendor's
station does, and lets a station that cannot fail on purpose still be tested for the node's side."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from simulator.scenario.durations import NO_DELAY, _non_negative

__all__ = [
    "MALFORMED",
    "MAX_RECEIPT_REFUSALS",
    "NO_STATION_SCRIPT",
    "StationCall",
    "StationReceipt",
    "StationStep",
]

MALFORMED = "malformed"  # an answer that is not XML: the node reports ..._ERRORE_RESPONSE
MAX_RECEIPT_REFUSALS = 10
_STATION_FAULT = re.compile(r"PAA_[A-Z0-9_]{1,60}\Z")  # a fault code a station answers with


def _check_answer(answer: str) -> None:
    if answer != MALFORMED and not _STATION_FAULT.match(answer):
        raise ValueError(f"{answer!r} is neither 'malformed' nor a station fault code (PAA_...)")


@dataclass(frozen=True, slots=True)
class StationCall:
    """``verify`` or ``activate`` of the station step: the station answers after ``delay`` (at or
    past the node's station timeout it never does: PPT_STAZIONE_INT_PA_TIMEOUT), with ``answer``:
    a PAA_* fault, ``malformed``, or None for the real station's own answer."""

    answer: str | None = None
    delay: timedelta = NO_DELAY

    def __post_init__(self) -> None:
        if self.answer is not None:
            _check_answer(self.answer)
        _non_negative(self.delay, "delay")

    def times_out(self, timeout: timedelta) -> bool:
        """Whether the node gives up waiting (the delay reaches its station timeout)."""
        return self.delay >= timeout

    def replaces_station(self, timeout: timedelta) -> bool:
        """Whether the sandbox answers in the station's place instead of calling it."""
        return self.answer is not None or self.times_out(timeout)


@dataclass(frozen=True, slots=True)
class StationReceipt:
    """``receipt`` of the station step: the first ``times`` deliveries of the receipt
    (paSendRT/paSendRTV2, or paaInviaRT in modello 1) are answered ``answer``; the later ones go
    to the station. PAA_RECEIPT_DUPLICATA means the station holds it: delivered, not retried."""

    answer: str
    times: int = 1

    def __post_init__(self) -> None:
        _check_answer(self.answer)
        if not 1 <= self.times <= MAX_RECEIPT_REFUSALS:
            raise ValueError(f"times is 1 to {MAX_RECEIPT_REFUSALS}")

    def answers(self, attempt: int) -> bool:
        """Whether the ``attempt``-th delivery (from 1) is answered by the script."""
        return attempt <= self.times


@dataclass(frozen=True, slots=True)
class StationStep:
    """``station``: each operation scripted, or None where the real station answers."""

    verify: StationCall | None = None
    activate: StationCall | None = None
    receipt: StationReceipt | None = None


NO_STATION_SCRIPT = StationStep()  # the real station answers every operation
