"""The checks of a certification run and their verdicts: what the sandbox observed of the
integrator for one case (a cart, its notifications, the integrator's requests) judged check by
check. Pure: the services gather the facts and pass the clock in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

RETURN_URLS = ("returnOkUrl", "returnCancelUrl", "returnErrorUrl")
WAITING_URL = "returnWaitingUrl"
RT_OPERATION = "paaInviaRT"  # the outbox's event type of a modello 1 RT to the station


class Check(Enum):
    CART_WELL_FORMED = "cart-well-formed"
    DEBT_BEFORE_CHECKOUT = "debt-before-checkout"
    NOTIFICATION_ACKNOWLEDGED = "notification-acknowledged"
    DUPLICATE_IDEMPOTENT = "duplicate-notification-idempotent"
    STATUS_QUERY_BEFORE_RETURN = "status-query-before-return"
    PAYMENT_DISCOVERED = "payment-discovered"
    # Modello 1: a station's RPTs and the RTs the node sends it with paaInviaRT.
    RPT_WELL_FORMED = "rpt-well-formed"
    RT_ACKNOWLEDGED = "rt-acknowledged"
    RT_RETRIED_ACKNOWLEDGED = "rt-retried-acknowledged"


class Verdict(Enum):
    PASSED = "passed"
    FAILED = "failed"
    WAITING = "waiting"  # not decided yet: what it needs has not happened (or its window is open)


@dataclass(frozen=True, slots=True)
class DeliveryFacts:
    """One notification message to the integrator and the answers its real attempts got (the
    scenario's simulated failures are not the integrator's)."""

    webhook_id: str
    event_type: str
    statuses: tuple[int | None, ...]  # None: no answer (timeout, refused connection)
    pending: bool  # the sandbox will try again
    # Why each real attempt was not taken, beside ``statuses`` (None: taken): a station's SOAP
    # answer can refuse with HTTP 200 (a KO, a fault, a page that is not SOAP).
    refusals: tuple[str | None, ...] = ()
    scripted_refusals: int = 0  # the scenario refused it in the station's place this many times


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the sandbox observed of the integrator for one case's cart."""

    cart_id: str
    return_urls: frozenset[str]  # the names given (returnOkUrl, ...)
    api_version: int
    debt_created: bool  # every notice's debt position was in GPD when the cart was created
    notify_endpoint: bool  # a notifyUrl on the cart, or a webhook of its EC
    other_creditors: tuple[str, ...] = ()  # notices of an EC other than the one certified
    refused_carts: tuple[str, ...] = ()  # why Checkout refused the service's cart requests before it
    refused_rpts: tuple[str, ...] = ()  # why the node refused the station's RPTs before it (modello 1)
    outcome_at: datetime | None = None  # the payment's outcome (the payer's return follows it)
    settled_at: datetime | None = None  # the payment's final result (paid or not)
    deliveries: tuple[DeliveryFacts, ...] = ()
    status_queries: tuple[datetime, ...] = ()  # the integrator's GETs of the cart's status
    receipt_queries: tuple[datetime, ...] = ()  # its GETs of the receipts API or a notice's status
    timeline: tuple[tuple[datetime, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: Check
    verdict: Verdict
    message: str


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def judge(check: Check, facts: CaseFacts, window: timedelta, now: datetime) -> CheckResult:
    """One check's verdict on one case's facts, as of ``now``."""
    verdict, message = _JUDGES[check](facts, window, now)
    return CheckResult(check, verdict, message)


def _cart_well_formed(f: CaseFacts, _w: timedelta, _n: datetime) -> tuple[Verdict, str]:
    wanted = RETURN_URLS + ((WAITING_URL,) if f.api_version >= 2 else ())
    missing = [name for name in wanted if name not in f.return_urls]
    if f.refused_carts:
        count = len(f.refused_carts)
        return Verdict.FAILED, (
            f"{count} cart request{'s' if count > 1 else ''} refused before this cart: {f.refused_carts[0]}"
        )
    if f.other_creditors:
        return (
            Verdict.FAILED,
            f"the cart pays notices of {', '.join(f.other_creditors)}, not the certified EC",
        )
    if missing:
        return Verdict.FAILED, f"the cart has no {', '.join(missing)}"
    return Verdict.PASSED, f"the cart carries {', '.join(wanted)}"


def _debt_before_checkout(f: CaseFacts, _w: timedelta, _n: datetime) -> tuple[Verdict, str]:
    if not f.debt_created:
        return Verdict.FAILED, "a notice of the cart had no debt position in GPD when the cart was created"
    return Verdict.PASSED, "every notice's debt position was created in GPD before the cart"


def _acknowledged(f: CaseFacts, _w: timedelta, _n: datetime) -> tuple[Verdict, str]:
    if not f.notify_endpoint:
        return Verdict.FAILED, "no notifyUrl on the cart and no webhook for its EC: nothing can be notified"
    refused = [d for d in f.deliveries if d.statuses and not _ok(d.statuses[0])]
    if refused:
        d = refused[0]
        answer = "no answer" if d.statuses[0] is None else f"HTTP {d.statuses[0]}"
        return (
            Verdict.FAILED,
            f"the {d.event_type} notification got {answer}, not a 2xx, on its first delivery",
        )
    if f.outcome_at is None or not f.deliveries or any(not d.statuses for d in f.deliveries):
        return Verdict.WAITING, "waiting for the notifications to be delivered"
    return Verdict.PASSED, f"{len(f.deliveries)} notification(s) acknowledged with a 2xx"


def _duplicate_idempotent(f: CaseFacts, _w: timedelta, _n: datetime) -> tuple[Verdict, str]:
    by_id: dict[str, list[DeliveryFacts]] = {}
    for d in f.deliveries:
        by_id.setdefault(d.webhook_id, []).append(d)
    repeated = [ds for ds in by_id.values() if len(ds) > 1]
    for ds in repeated:
        answers = [d.statuses[-1] for d in ds if d.statuses]
        if any(not _ok(s) for s in answers):
            return (
                Verdict.FAILED,
                f"a repeated {ds[0].event_type} notification was not answered 2xx every time",
            )
    done = [ds for ds in repeated if all(d.statuses and not d.pending for d in ds)]
    if not done:
        return Verdict.WAITING, "waiting for a notification to be delivered twice"
    return Verdict.PASSED, "the repeated notification was answered 2xx both times"


def _asked_after(
    moment: datetime | None, queries: Iterable[datetime], window: timedelta, now: datetime, what: str
) -> tuple[Verdict, str]:
    """Passed when the integrator asked within ``window`` after ``moment``; failed once the
    window closed without it."""
    if moment is None:
        return Verdict.WAITING, "waiting for the payment's outcome"
    if any(moment <= q <= moment + window for q in queries):
        return Verdict.PASSED, f"a {what} within {_words(window)} of the outcome"
    if now > moment + window:
        return Verdict.FAILED, f"no {what} within {_words(window)} of the outcome"
    return Verdict.WAITING, f"waiting up to {_words(window)} for a {what}"


def _status_query(f: CaseFacts, window: timedelta, now: datetime) -> tuple[Verdict, str]:
    return _asked_after(f.outcome_at, f.status_queries, window, now, "status query of the cart")


def _discovered(f: CaseFacts, window: timedelta, now: datetime) -> tuple[Verdict, str]:
    queries = sorted((*f.status_queries, *f.receipt_queries))
    what = "status query (cart or notice) or receipts API request"
    return _asked_after(f.settled_at, queries, window, now, what)


def _rpt_well_formed(f: CaseFacts, _w: timedelta, _n: datetime) -> tuple[Verdict, str]:
    if f.refused_rpts:
        count = len(f.refused_rpts)
        return Verdict.FAILED, (
            f"{count} RPT submission{'s' if count > 1 else ''} refused before this cart: {f.refused_rpts[0]}"
        )
    return Verdict.PASSED, "the RPTs were valid and accepted (esito OK)"


def _taken(status: int | None, refusal: str | None) -> bool:
    return _ok(status) and refusal is None


def _answers(d: DeliveryFacts) -> list[tuple[int | None, str | None]]:
    return list(zip(d.statuses, d.refusals or (None,) * len(d.statuses), strict=True))


def _rt_words(status: int | None, refusal: str | None) -> str:
    if status is None:
        return "no answer in time"
    return refusal or f"HTTP {status}"


def _rt_acknowledged(f: CaseFacts, _w: timedelta, _n: datetime) -> tuple[Verdict, str]:
    """Each RT the station was sent is taken on its first real delivery: paaInviaRT answered OK
    (or PAA_RT_DUPLICATA for one it already holds) within the node's timeout."""
    rts = [d for d in f.deliveries if d.event_type == RT_OPERATION]
    for d in rts:
        answers = _answers(d)
        if answers and not _taken(*answers[0]):
            return Verdict.FAILED, f"paaInviaRT was not acknowledged: {_rt_words(*answers[0])}"
    if not rts or any(not d.statuses for d in rts):
        return Verdict.WAITING, "waiting for the RT to be sent to the station"
    return Verdict.PASSED, f"{len(rts)} RT(s) acknowledged by the station (paaInviaRT esito OK)"


def _rt_retried(f: CaseFacts, _w: timedelta, _n: datetime) -> tuple[Verdict, str]:
    """An RT refused first (by the scenario or the station) is taken when the node retries it."""
    refused = [
        d
        for d in f.deliveries
        if d.event_type == RT_OPERATION and (d.scripted_refusals or any(not _taken(*a) for a in _answers(d)))
    ]
    for d in refused:
        answers = _answers(d)
        if not d.pending and not (answers and _taken(*answers[-1])):
            last = _rt_words(*answers[-1]) if answers else "never sent"
            return Verdict.FAILED, f"the refused RT was never acknowledged on a retry: {last}"
    done = [d for d in refused if not d.pending and _answers(d) and _taken(*_answers(d)[-1])]
    if not done:
        return Verdict.WAITING, "waiting for a refused RT to be retried"
    tries = done[0].scripted_refusals + len(done[0].statuses)
    return Verdict.PASSED, f"the refused RT was acknowledged on attempt {tries}"


def _words(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


_JUDGES = {
    Check.CART_WELL_FORMED: _cart_well_formed,
    Check.DEBT_BEFORE_CHECKOUT: _debt_before_checkout,
    Check.NOTIFICATION_ACKNOWLEDGED: _acknowledged,
    Check.DUPLICATE_IDEMPOTENT: _duplicate_idempotent,
    Check.STATUS_QUERY_BEFORE_RETURN: _status_query,
    Check.PAYMENT_DISCOVERED: _discovered,
    Check.RPT_WELL_FORMED: _rpt_well_formed,
    Check.RT_ACKNOWLEDGED: _rt_acknowledged,
    Check.RT_RETRIED_ACKNOWLEDGED: _rt_retried,
}
