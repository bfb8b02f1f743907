"""Storing a payment attempt's transition with everything it implies, in the caller's transaction:
the notice locks (held while pending, released once it ended), the paid notices and their receipts
(as the scenario's ``receipt`` step says), and the events that describe it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator.domain import psps
from simulator.domain.events import EventType
from simulator.domain.payment import AttemptState, PaymentAttempt
from simulator.domain.receipt import PaymentFacts
from simulator.domain.selection import ScenarioChoice
from simulator.services import events, receipts
from simulator.services.scenario_engine import ScenarioEngine
from simulator.storage.store import Tx

__all__ = ["record_selected", "save_transition"]


def save_transition(
    tx: Tx, engine: ScenarioEngine, tenant: str, before: PaymentAttempt, after: PaymentAttempt, now: datetime
) -> PaymentAttempt:
    """Store ``after`` (which ``before`` became at ``now``) with its locks, events and receipts."""
    if after.state is AttemptState.CLOSED:
        tx.hold_locks(tenant, after.id)
    elif after.state is not AttemptState.ACTIVATED:
        tx.release_locks(tenant, after.id)
    tx.save_attempt(tenant, after)
    if after.state is not before.state:
        _record_transition(tx, tenant, before, after, now)
    if after.state is AttemptState.NOTIFIED_OK:
        _record_payment(tx, engine, tenant, after, after.ended_at or now)
    return after


def record_selected(tx: Tx, tenant: str, choice: ScenarioChoice, at: datetime, **where: Any) -> None:
    """``scenario.selected``: which scenario runs from now on, and why."""
    events.record(
        tx,
        tenant,
        EventType.SCENARIO_SELECTED,
        at,
        **where,
        scenario=choice.scenario_id,
        source=choice.source,
        reason=choice.reason,
    )


def _record_payment(
    tx: Tx, engine: ScenarioEngine, tenant: str, attempt: PaymentAttempt, paid_at: datetime
) -> None:
    """Each notice paid, its receipt sent as the scenario says. The fee was paid once, so only the
    first notice's receipt carries it."""
    step = engine.scenario(attempt.scenario).steps.receipt
    psp = psps.psp_by_id(attempt.psp_id or "")
    for i, notice in enumerate(attempt.notices):
        facts = PaymentFacts(
            receipt_id=notice.payment_token,
            paid_at=paid_at,
            id_psp=attempt.psp_id or "",
            psp_company_name=attempt.psp_name or "",
            id_channel=psp.channel_id if psp else f"{attempt.psp_id}_01",
            payment_method=attempt.method.value if attempt.method else None,
            fee=attempt.fee if i == 0 else 0,
            payment_note=attempt.id_cart,
        )
        receipts.record_paid_notice(
            tx, tenant, notice, facts, step, attempt_id=attempt.id, cart_id=attempt.cart_id
        )


def _record_transition(
    tx: Tx, tenant: str, before: PaymentAttempt, after: PaymentAttempt, now: datetime
) -> None:
    at = after.ended_at or now
    where: dict[str, Any] = {"cart_id": after.cart_id, "attempt_id": after.id}
    outcome = after.outcome.value if after.outcome is not None else None
    if after.state is AttemptState.CLOSED:
        events.record(
            tx,
            tenant,
            EventType.ATTEMPT_PENDING,
            at,
            **where,
            outcome=outcome,
            resolvesAt=after.resolves_at,
            resolution=after.resolution,
        )
    elif before.state is AttemptState.CLOSED:
        events.record(tx, tenant, EventType.ATTEMPT_RESOLVED, at, **where, outcome=outcome, state=after.state)
    elif after.state is AttemptState.CANCELED:
        events.record(tx, tenant, EventType.ATTEMPT_CANCELLED, at, **where, outcome=outcome)
    elif after.state is AttemptState.EXPIRED_NOT_AUTHORIZED:
        events.record(tx, tenant, EventType.ATTEMPT_EXPIRED, at, **where, outcome=outcome)
    else:
        events.record(tx, tenant, EventType.ATTEMPT_CLOSED, at, **where, outcome=outcome, state=after.state)
