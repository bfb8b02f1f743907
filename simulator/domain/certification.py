"""Certification runs: a profile's cases, their assignment to the integrator's carts, and the
run's progress from the verdict of every check (``certification_checks``). Pure: the services
gather the facts and pass the clock in; nothing here reads a database or a clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from simulator.domain.certification_checks import (
    RETURN_URLS,
    RT_OPERATION,
    WAITING_URL,
    CaseFacts,
    Check,
    CheckResult,
    DeliveryFacts,
    Verdict,
    judge,
)

__all__ = [
    "RETURN_URLS",
    "RT_OPERATION",
    "WAITING_URL",
    "Assignment",
    "Case",
    "CaseFacts",
    "CaseProgress",
    "CaseState",
    "Check",
    "CheckResult",
    "DeliveryFacts",
    "Profile",
    "RunProgress",
    "Verdict",
    "case_progress",
    "judge",
    "next_case",
    "progress",
    "tenant_time",
]


class CaseState(Enum):
    PENDING = "pending"  # no cart yet
    RUNNING = "running"  # a cart, some check still waiting
    PASSED = "passed"
    FAILED = "failed"
    NEVER_RAN = "never ran"  # the run was closed before the case got a cart


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    title: str
    scenario: str
    checks: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    title: str
    description: str
    cases: tuple[Case, ...]
    window: timedelta  # how long after an outcome the integrator has to ask about it

    def to_document(self) -> dict[str, Any]:
        """The profile as the run keeps it: a reloaded profile never changes a run under way."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "windowSeconds": int(self.window.total_seconds()),
            "cases": [
                {"id": c.id, "title": c.title, "scenario": c.scenario, "checks": [k.value for k in c.checks]}
                for c in self.cases
            ],
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Profile:
        return cls(
            id=doc["id"],
            title=doc["title"],
            description=doc["description"],
            window=timedelta(seconds=doc["windowSeconds"]),
            cases=tuple(
                Case(c["id"], c["title"], c["scenario"], tuple(Check(k) for k in c["checks"]))
                for c in doc["cases"]
            ),
        )


@dataclass(frozen=True, slots=True)
class CaseProgress:
    case: Case
    state: CaseState
    results: tuple[CheckResult, ...]
    facts: CaseFacts | None = None


@dataclass(frozen=True, slots=True)
class RunProgress:
    cases: tuple[CaseProgress, ...]
    abandoned: bool = False  # closed before every case ran

    @property
    def complete(self) -> bool:
        """Every case decided (passed or failed), or the run was closed (the rest never ran)."""
        return self.abandoned or all(c.state in _DECIDED for c in self.cases)

    @property
    def passed(self) -> bool:
        return all(c.state is CaseState.PASSED for c in self.cases)

    @property
    def counts(self) -> dict[str, int]:
        found = {s.value: 0 for s in CaseState}
        for c in self.cases:
            found[c.state.value] += 1
        return found


_DECIDED = (CaseState.PASSED, CaseState.FAILED, CaseState.NEVER_RAN)


def case_progress(
    case: Case, facts: CaseFacts | None, window: timedelta, now: datetime, *, closed: bool = False
) -> CaseProgress:
    """A case's state: pending without a cart (never ran, once the run is closed); failed as
    soon as a check failed; passed when every check passed; running otherwise."""
    if facts is None:
        return CaseProgress(case, CaseState.NEVER_RAN if closed else CaseState.PENDING, ())
    results = tuple(judge(check, facts, window, now) for check in case.checks)
    verdicts = {r.verdict for r in results}
    if Verdict.FAILED in verdicts:
        state = CaseState.FAILED
    elif Verdict.WAITING in verdicts:
        state = CaseState.RUNNING
    else:
        state = CaseState.PASSED
    return CaseProgress(case, state, results, facts)


def progress(
    profile: Profile,
    facts: Mapping[str, CaseFacts],
    now: datetime,
    *,
    abandoned: bool = False,
) -> RunProgress:
    """Every case of the profile as of ``now``; ``facts`` by case id (cases that have a cart)."""
    return RunProgress(
        tuple(
            case_progress(c, facts.get(c.id), profile.window, now, closed=abandoned) for c in profile.cases
        ),
        abandoned=abandoned,
    )


def next_case(profile: Profile, assigned: Sequence[str]) -> Case | None:
    """The first case that has no cart yet, in the profile's order."""
    return next((c for c in profile.cases if c.id not in assigned), None)


@dataclass(frozen=True, slots=True)
class Assignment:
    """A case given to a cart, with what the cart request showed of the integrator."""

    case_id: str
    cart_id: str
    at: datetime
    return_urls: tuple[str, ...]
    api_version: int
    debt_created: bool
    notify_endpoint: bool
    other_creditors: tuple[str, ...] = ()

    def to_document(self) -> dict[str, Any]:
        return {
            "caseId": self.case_id,
            "cartId": self.cart_id,
            "at": self.at.isoformat(),
            "returnUrls": list(self.return_urls),
            "apiVersion": self.api_version,
            "debtCreated": self.debt_created,
            "notifyEndpoint": self.notify_endpoint,
            "otherCreditors": list(self.other_creditors),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Assignment:
        return cls(
            case_id=doc["caseId"],
            cart_id=doc["cartId"],
            at=datetime.fromisoformat(doc["at"]),
            return_urls=tuple(doc["returnUrls"]),
            api_version=int(doc["apiVersion"]),
            debt_created=bool(doc["debtCreated"]),
            notify_endpoint=bool(doc["notifyEndpoint"]),
            other_creditors=tuple(doc.get("otherCreditors", ())),
        )


def tenant_time(base: datetime, moves: Sequence[tuple[datetime, float]]) -> datetime:
    """A time of the base clock (the journal's) on the run tenant's clock (the events'): shifted
    by the offset the tenant had then. ``moves``: (base time, offset from then on), in order; the
    run's tenant starts at offset 0. A request at the very instant of a move counts as before it."""
    offset = 0.0
    for moved_at, new_offset in moves:
        if moved_at >= base:
            break
        offset = new_offset
    return base + timedelta(seconds=offset)
