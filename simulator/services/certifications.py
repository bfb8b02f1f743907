"""Certification runs: start one in a tenant of its own, give each new cart there the next case
(through the scenario choice, ``checkout.create_cart`` asks here first), and gather what the
sandbox observed of the integrator for the pure verdicts of ``domain.certification``."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from simulator.domain import certification as cert
from simulator.domain.cart import Cart
from simulator.domain.codes import parse_fiscal_code
from simulator.domain.errors import InvalidInput, SandboxNotFound
from simulator.domain.events import Event, EventType
from simulator.domain.journal import JournalEntry, JournalQuery
from simulator.domain.notification import DeliveryQuery
from simulator.domain.selection import ChoiceSource, ScenarioChoice
from simulator.scenario.profiles import builtin_profiles, load_profile
from simulator.services.scenario_engine import FALLBACK
from simulator.services.unit import Unit
from simulator.soap import nodo_per_pa as nodo
from simulator.soap.envelope import NotSoap, SoapFaultReceived, unwrap
from simulator.storage.certifications import RunRecord

__all__ = [
    "RunRecord",
    "RunView",
    "assign",
    "clock_moved",
    "close",
    "get",
    "next_case",
    "observe",
    "profile_of",
    "start",
]

STATUS_QUERY = "/_sandbox/v1/carts/"
NOTICE_STATUS = "/_sandbox/v1/notices/"
CART_REQUESTS = "/checkout/"
RECEIPTS_API = "/gpd/payments-receipts-service/"
RPT_PORTS = ("/nodo/nodo-per-pa/v1", "/nodo-auth/nodo-per-pa/v1")  # a station's RPTs (modello 1)
RUN_TENANT_PREFIX = "cert-"
_MAX_ROWS = 1000
# The payment's outcome (what the payer's return reports) and its final result.
_OUTCOME = {
    EventType.ATTEMPT_CLOSED,
    EventType.ATTEMPT_PENDING,
    EventType.ATTEMPT_CANCELLED,
    EventType.ATTEMPT_EXPIRED,
}
_SETTLED = {EventType.ATTEMPT_CLOSED, EventType.ATTEMPT_RESOLVED}


@lru_cache(maxsize=8)
def _builtins(scenario_ids: frozenset[str]) -> Mapping[str, cert.Profile]:
    return builtin_profiles(scenario_ids)


def _scenario_ids(unit: Unit) -> frozenset[str]:
    library = unit.engine.library
    return frozenset(library.ids if library is not None else (FALLBACK.id,))


def profile_of(unit: Unit, asked: object) -> cert.Profile:
    """A shipped profile by id, or a profile given whole (a JSON object): ``InvalidInput`` for an
    unknown id, ``ProfileError`` listing every problem of a profile given whole."""
    ids = _scenario_ids(unit)
    if isinstance(asked, dict):
        return load_profile(asked, "profile", ids)
    known = _builtins(ids)
    if not isinstance(asked, str) or not asked:
        raise InvalidInput(
            "profile", "is the id of a profile (" + ", ".join(sorted(known)) + ") or a profile object"
        )
    if asked not in known:
        raise InvalidInput("profile", f"{asked[:64]!r} is not a profile (known: {', '.join(sorted(known))})")
    return known[asked]


def start(unit: Unit, fiscal_code: str, profile: cert.Profile) -> RunRecord:
    """A new run owned by the unit's tenant, in a fresh tenant of its own."""
    fiscal_code = parse_fiscal_code(fiscal_code)
    run_id = unit.ids.uuid()
    run = RunRecord(
        id=run_id,
        tenant=unit.tenant,
        run_tenant=RUN_TENANT_PREFIX + run_id.replace("-", ""),
        fiscal_code=fiscal_code,
        created_at=unit.now,
        closed_at=None,
        profile=profile,
        assignments=(),
    )
    unit.certifications.insert(run)
    return run


def get(unit: Unit, run_id: str) -> RunRecord:
    """A run the unit's tenant started; ``SandboxNotFound`` otherwise (another tenant's too)."""
    run = unit.certifications.get(run_id)
    if run is None:
        raise SandboxNotFound("certification run", run_id)
    return run


def close(unit: Unit, run_id: str) -> RunRecord:
    """End the run now: its cases without a cart never ran, new carts choose scenarios as usual."""
    run = get(unit, run_id)
    if run.closed_at is None:
        run = replace(run, closed_at=unit.now)
        unit.certifications.save(run)
    return run


# --- cart creation ------------------------------------------------------------------------------------


def next_case(unit: Unit) -> tuple[RunRecord, cert.Case, ScenarioChoice] | None:
    """The case a new cart of this tenant runs, when a run is under way here and a case is left."""
    run = unit.certifications.running_here()
    if run is None:
        return None
    case = cert.next_case(run.profile, [a.case_id for a in run.assignments])
    if case is None:
        return None
    choice = unit.engine.explicit(case.scenario, ChoiceSource.CERTIFICATION)
    return run, case, replace(choice, reason=f"certification run {run.id}: case {case.id}")


def assign(unit: Unit, run: RunRecord, case: cert.Case, cart: Cart) -> None:
    """Give the case to the cart, with what its request showed: every return URL, each notice's
    debt position already in GPD, an endpoint to notify."""
    urls = cart.return_urls
    given = {
        "returnOkUrl": urls.ok,
        "returnCancelUrl": urls.cancel,
        "returnErrorUrl": urls.error,
        "returnWaitingUrl": urls.waiting,
    }
    creditors = {n.fiscal_code for n in cart.notices}
    endpoint = bool(cart.notify_url) or any(unit.notifications.webhooks(fc) for fc in creditors)
    assignment = cert.Assignment(
        case_id=case.id,
        cart_id=cart.id,
        at=unit.now,
        return_urls=tuple(name for name, url in given.items() if url),
        api_version=cart.api_version,
        debt_created=all(
            unit.positions.by_nav(n.fiscal_code, n.notice_number) is not None for n in cart.notices
        ),
        notify_endpoint=endpoint,
        other_creditors=tuple(sorted(creditors - {run.fiscal_code})),
    )
    unit.certifications.save(replace(run, assignments=(*run.assignments, assignment)))


def clock_moved(unit: Unit, offset: float) -> None:
    """The run tenant's clock moved (``tenant_clock.advance``): remembered, so that the journal's
    times (the base clock) are read on the tenant's clock as it was when each request came."""
    run = unit.certifications.running_here()
    if run is not None:
        unit.certifications.save(replace(run, clock=(*run.clock, (unit.clock(), offset))))


# --- observing ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunView:
    """A run and its progress as of the run tenant's now."""

    run: RunRecord
    progress: cert.RunProgress
    now: datetime


def observe(unit: Unit, run: RunRecord) -> RunView:
    """The run's progress; ``unit`` is a unit of the run's own tenant (where its carts live, and
    only the integrator's requests are journaled)."""
    if unit.tenant != run.run_tenant:
        raise ValueError("a run is observed in its own tenant")
    receipts = [
        cert.tenant_time(e.at, run.clock)
        for path in (RECEIPTS_API, NOTICE_STATUS)
        for e in unit.history.journal(JournalQuery(path=path, limit=_MAX_ROWS))
        if e.direction == "in" and e.method == "GET"
    ]
    refused = [
        e
        for e in unit.history.journal(JournalQuery(path=CART_REQUESTS, limit=_MAX_ROWS))
        if e.direction == "in"
        and e.method == "POST"
        and e.path.endswith("/carts")
        and 400 <= (e.status or 0) < 500
    ]
    refused_rpts = [
        (e, reason)
        for path in RPT_PORTS
        for e in unit.history.journal(JournalQuery(path=path, limit=_MAX_ROWS))
        if e.direction == "in" and e.method == "POST" and (reason := _rpt_refusal(e)) is not None
    ]
    facts = {}
    since: datetime | None = None
    for a in run.assignments:
        before = [e for e in refused if _between(cert.tenant_time(e.at, run.clock), since, a.at)]
        rpts = [(e, r) for e, r in refused_rpts if _between(cert.tenant_time(e.at, run.clock), since, a.at)]
        facts[a.case_id] = replace(
            _facts(unit, run, a, receipts, tuple(_refusal(e) for e in sorted(before, key=lambda e: e.at))),
            refused_rpts=tuple(r for _, r in sorted(rpts, key=lambda item: (item[0].at, item[0].id or 0))),
        )
        since = a.at
    progress = cert.progress(run.profile, facts, unit.now, abandoned=run.closed_at is not None)
    return RunView(run, progress, unit.now)


def _refusal(entry: JournalEntry) -> str:
    """A refused cart request in words: its status and the ProblemJson's detail."""
    try:
        detail = json.loads(entry.response_body or "{}").get("detail")
    except (ValueError, AttributeError):
        detail = None
    return f"HTTP {entry.status}" + (f" ({detail})" if detail else "")


def _rpt_refusal(entry: JournalEntry) -> str | None:
    """Why the node refused a station's RPT submission (a KO's fault, or a SOAP Fault), or None."""
    try:
        return nodo.answer_refusal(unwrap((entry.response_body or "").encode()))
    except SoapFaultReceived as fault:
        return f"SOAP Fault {fault.faultcode}: {fault.faultstring}"
    except NotSoap:
        return f"HTTP {entry.status}"


def _between(at: datetime, after: datetime | None, until: datetime) -> bool:
    return at <= until and (after is None or at > after)


def _facts(
    unit: Unit, run: RunRecord, a: cert.Assignment, receipts: Collection[datetime], refused: tuple[str, ...]
) -> cert.CaseFacts:
    """The case's facts; the journal's times (the base clock) are read on the tenant's clock."""
    events = unit.history.cart_events(a.cart_id)
    timeline: list[tuple[datetime, str]] = [(e.at, _event_words(e)) for e in events]
    deliveries = []
    for d in reversed(unit.notifications.deliveries(DeliveryQuery(cart_id=a.cart_id, limit=_MAX_ROWS))):
        attempts = unit.notifications.attempts(d.id)
        real = [x for x in attempts if not x.simulated]
        station = d.event_type == cert.RT_OPERATION  # a SOAP answer may refuse with a 2xx
        deliveries.append(
            cert.DeliveryFacts(
                d.webhook_id,
                d.event_type,
                tuple(x.status for x in real),
                d.status == "pending",
                refusals=tuple(x.error for x in real) if station else (),
                scripted_refusals=sum(1 for x in attempts if x.simulated and x.error) if station else 0,
            )
        )
        timeline += [(x.at, f"notification {d.event_type} answered {_answer(x.status)}") for x in real]
    queries = [
        cert.tenant_time(e.at, run.clock)
        for e in unit.history.journal(JournalQuery(path=STATUS_QUERY + a.cart_id, limit=_MAX_ROWS))
        if e.direction == "in" and e.method == "GET" and e.path == STATUS_QUERY + a.cart_id
    ]
    timeline += [(at, "status query by the service") for at in queries]
    return cert.CaseFacts(
        cart_id=a.cart_id,
        return_urls=frozenset(a.return_urls),
        api_version=a.api_version,
        debt_created=a.debt_created,
        notify_endpoint=a.notify_endpoint,
        other_creditors=a.other_creditors,
        refused_carts=refused,
        outcome_at=_first(events, _OUTCOME),
        settled_at=_last(events, _SETTLED) or _paid_elsewhere(unit, a.cart_id),
        deliveries=tuple(deliveries),
        status_queries=tuple(sorted(queries)),
        receipt_queries=tuple(sorted(receipts)),
        timeline=tuple(sorted(timeline, key=lambda item: item[0])),
    )


def _paid_elsewhere(unit: Unit, cart_id: str) -> datetime | None:
    """When a notice of the cart was paid without it (at a counter, another channel): the payment
    the service must discover on its own."""
    cart = unit.checkout.cart(cart_id)
    paid = [unit.receipts.paid_notice(n.fiscal_code, n.notice_number) for n in (cart.notices if cart else ())]
    return min((p.paid_at for p in paid if p is not None and p.cart_id != cart_id), default=None)


def _first(events: list[Event], types: set[EventType]) -> datetime | None:
    return next((e.at for e in events if e.type in types), None)


def _last(events: list[Event], types: set[EventType]) -> datetime | None:
    return next((e.at for e in reversed(events) if e.type in types), None)


def _event_words(e: Event) -> str:
    detail = ", ".join(f"{k}={e.data[k]}" for k in ("scenario", "outcome", "state") if k in e.data)
    return f"{e.type.value} ({detail})" if detail else e.type.value


def _answer(status: int | None) -> str:
    return "with no answer" if status is None else f"HTTP {status}"
