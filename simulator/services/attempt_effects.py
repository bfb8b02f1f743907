"""Reading a payment attempt as of the unit's now, and storing its transitions with everything
they imply, in the caller's unit: the notice locks (held while pending, released once it ended),
the paid notices and their receipts (as the scenario's ``receipt`` step says), the events that
describe it and the notification of its outcome."""

from __future__ import annotations

from typing import Any

from simulator.domain import payment as pay
from simulator.domain import psps
from simulator.domain.errors import AttemptReason, PaymentAttemptError
from simulator.domain.events import EventType
from simulator.domain.payment import AttemptState, PaymentAttempt
from simulator.domain.receipt import PaymentFacts
from simulator.domain.selection import ScenarioChoice
from simulator.services import outbound, receipts
from simulator.services.unit import Unit

__all__ = ["get_attempt", "record_selected", "resolve_due", "save_transition"]


def get_attempt(unit: Unit, attempt_id: str, *, for_update: bool = False) -> PaymentAttempt:
    """The attempt as of the unit's now (what time did to it was applied when the unit opened)."""
    attempt = unit.checkout.attempt(attempt_id, for_update=for_update)
    if attempt is None:
        raise PaymentAttemptError(AttemptReason.NOT_FOUND, attempt_id=attempt_id)
    settled = pay.settle(attempt, unit.now)
    if settled != attempt:  # time moved it since the unit opened (units settle what is due)
        unit.require_write()
        return save_transition(unit, attempt, settled)
    return settled


def resolve_due(unit: Unit) -> None:
    """Give every attempt that time has moved its due state: a pending payment's scripted result,
    an unauthorized token's end. Part of what a unit settles when it opens."""
    for attempt_id in unit.checkout.due_attempt_ids(unit.now):
        get_attempt(unit, attempt_id, for_update=True)


def save_transition(unit: Unit, before: PaymentAttempt, after: PaymentAttempt) -> PaymentAttempt:
    """Store ``after`` (which ``before`` became at the unit's now) with its locks, events,
    notification and receipts."""
    if after.state is AttemptState.CLOSED:
        unit.checkout.hold_locks(after.id)
    elif after.state is not AttemptState.ACTIVATED:
        unit.checkout.release_locks(after.id)
    unit.checkout.save_attempt(after)
    if after.state is not before.state:
        _record_transition(unit, before, after)
    if after.state is AttemptState.NOTIFIED_OK:
        _record_payment(unit, after)
    return after


def record_selected(unit: Unit, choice: ScenarioChoice, **where: Any) -> None:
    """``scenario.selected``: which scenario runs from now on, and why."""
    unit.record(
        EventType.SCENARIO_SELECTED,
        **where,
        scenario=choice.scenario_id,
        source=choice.source,
        reason=choice.reason,
    )


def _record_payment(unit: Unit, attempt: PaymentAttempt) -> None:
    """Each notice paid, its receipt sent as the scenario says. The fee was paid once, so only the
    first notice's receipt carries it."""
    step = unit.engine.scenario(attempt.scenario).steps.receipt
    psp = psps.psp_by_id(attempt.psp_id or "")
    paid_at = attempt.ended_at or unit.now
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
        receipts.record_paid_notice(unit, notice, facts, step, attempt_id=attempt.id, cart_id=attempt.cart_id)


_ENDED_EVENT = {
    AttemptState.CANCELED: EventType.ATTEMPT_CANCELLED,
    AttemptState.EXPIRED_NOT_AUTHORIZED: EventType.ATTEMPT_EXPIRED,
}


def _record_transition(unit: Unit, before: PaymentAttempt, after: PaymentAttempt) -> None:
    at = after.ended_at or unit.now
    where: dict[str, Any] = {"cart_id": after.cart_id, "attempt_id": after.id}
    outcome = after.outcome.value if after.outcome is not None else None
    if after.state is AttemptState.CLOSED:
        event = unit.record(
            EventType.ATTEMPT_PENDING,
            at=at,
            **where,
            outcome=outcome,
            resolvesAt=after.resolves_at,
            resolution=after.resolution,
        )
    elif before.state is AttemptState.CLOSED:
        event = unit.record(EventType.ATTEMPT_RESOLVED, at=at, **where, outcome=outcome, state=after.state)
    elif after.state in _ENDED_EVENT:
        event = unit.record(_ENDED_EVENT[after.state], at=at, **where, outcome=outcome)
    else:
        event = unit.record(EventType.ATTEMPT_CLOSED, at=at, **where, outcome=outcome, state=after.state)
    cart = unit.checkout.cart(after.cart_id) if after.cart_id else None
    outbound.attempt_ended(unit, event, after, cart)
