"""Payment attempts, step by step, in the caller's unit: verify a notice, activate every notice of
a cart at once (locking them), choose method and PSP, authorize, cancel, expire. Verify and
activation are ``activation``'s, reading an attempt ``attempt_effects``'s, re-exported here.

Each step follows the attempt's scenario (``scenario_engine``): verify and activate may be slow or
fail with a node/EC fault, the PSP answers what the scenario says, closing ends paid, pending (17,
perhaps resolved later) or refunded, and the receipt reaches the EC as scripted. A delay is slept
with the unit paused (no transaction open, so a slow scenario never holds the database); a fault
is recorded in the timeline and then raised, the unit keeping that record.

A second ``authorize`` of the same attempt raises ``PaymentAttemptError`` (ALREADY_PROCESSED) and
changes nothing, so a payment is never charged twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from simulator.domain import payment as pay
from simulator.domain import psps
from simulator.domain.errors import AttemptReason, InvalidInput, PaymentAttemptError
from simulator.domain.events import EventType
from simulator.domain.payment import AttemptState, OutcomeCode, PaymentAttempt, Resolution
from simulator.domain.selection import ChoiceSource
from simulator.domain.test_cards import normalize_number
from simulator.scenario.model import CloseOutcome, NoticeFacts
from simulator.services.activation import delay, start_attempt, verify
from simulator.services.attempt_effects import get_attempt, record_selected, resolve_due, save_transition
from simulator.services.notice_lookup import NoticeLike, NoticeRequest
from simulator.services.unit import Unit

__all__ = [
    "NoticeLike",
    "NoticeRequest",
    "authorize",
    "cancel",
    "choose_method",
    "choose_psp",
    "expire",
    "get_attempt",
    "needs_challenge",
    "pick_scenario",
    "resolve_due",
    "resolve_pending",
    "start_attempt",
    "verify",
]

# --- the attempt ------------------------------------------------------------------------------------


def choose_method(
    unit: Unit,
    attempt_id: str,
    method: psps.PaymentMethod | str,
    psp_id: str | None = None,
    *,
    card: str | None = None,
) -> PaymentAttempt:
    """Pick the method, and the PSP (the cheapest for the total when ``psp_id`` is None).

    ``card`` is the number the payer typed (never stored): a scenario chosen by the rules is
    chosen again knowing it (``match: card`` rules, the test cards); an explicit one stands.
    """
    chosen = psps.parse_method(method)
    number = normalize_number(card) if card and chosen is psps.PaymentMethod.CP else None
    attempt = get_attempt(unit, attempt_id, for_update=True)
    updated = _choose(unit, attempt, chosen, psp_id)
    choice = unit.engine.rechoose(attempt.scenario, _facts(attempt), number)
    if choice != attempt.scenario:
        updated = replace(updated, scenario=choice)
        record_selected(unit, choice, cart_id=attempt.cart_id, attempt_id=attempt.id)
    unit.checkout.save_attempt(updated)
    return updated


def choose_psp(unit: Unit, attempt_id: str, psp_id: str) -> PaymentAttempt:
    """Change the PSP for the method already chosen (``/lista-psp``)."""
    attempt = get_attempt(unit, attempt_id, for_update=True)
    if attempt.method is None:
        raise PaymentAttemptError(
            AttemptReason.METHOD_NOT_CHOSEN, attempt_id=attempt.id, action="choose a PSP"
        )
    updated = _choose(unit, attempt, attempt.method, psp_id)
    unit.checkout.save_attempt(updated)
    return updated


def pick_scenario(
    unit: Unit, attempt_id: str, scenario_id: str, source: ChoiceSource = ChoiceSource.TRAINER
) -> PaymentAttempt:
    """An explicit choice made while paying (trainer mode): it applies to the attempt and its cart
    unless a choice of higher precedence (the sandbox API, the header, the body) stands.
    ``UnknownScenario`` for an id no scenario has."""
    choice = unit.engine.explicit(scenario_id, source)
    attempt = get_attempt(unit, attempt_id, for_update=True)
    if attempt.state is not AttemptState.ACTIVATED:
        raise PaymentAttemptError(
            AttemptReason.ALREADY_PROCESSED,
            attempt_id=attempt.id,
            state=attempt.state.value,
            action="change its scenario",
        )
    if attempt.scenario is not None and not attempt.scenario.yields_to(choice):
        return attempt
    updated = replace(attempt, scenario=choice)
    unit.checkout.save_attempt(updated)
    if attempt.cart_id is not None:
        cart = unit.checkout.cart(attempt.cart_id)
        if cart is not None:
            unit.checkout.save_cart(replace(cart, scenario=choice))
    record_selected(unit, choice, cart_id=attempt.cart_id, attempt_id=attempt.id)
    return updated


def needs_challenge(unit: Unit, attempt: PaymentAttempt) -> bool:
    """Whether "Paga" leads to the 3DS page first: the attempt's scenario asks for it (with a card)."""
    return unit.engine.challenge(unit.engine.scenario(attempt.scenario), attempt.method)


def authorize(unit: Unit, attempt_id: str, outcome: OutcomeCode | int | None = None) -> PaymentAttempt:
    """The PSP's answer and the closing, as the attempt's scenario scripts them, or as ``outcome``
    says (0 paid, 17 pending, 18 refunded, a KO code refused).

    On 0, one receipt per notice and every managed option PO_PAID, in the same transaction (unless
    the scenario delays or loses the receipt); on 17 the notices stay locked until the result
    arrives; on a KO code they are free again. A second call raises ALREADY_PROCESSED and charges
    nothing."""
    requested = None if outcome is None else pay.parse_outcome(outcome)
    attempt = get_attempt(unit, attempt_id, for_update=True)
    plan = unit.engine.authorization(unit.engine.scenario(attempt.scenario), requested)
    if plan.delay:
        delay(unit, "authorize", plan.delay, attempt.cart_id, attempt.id)
        attempt = get_attempt(unit, attempt_id, for_update=True)
    now = unit.now
    where: dict[str, Any] = {"cart_id": attempt.cart_id, "attempt_id": attempt.id}
    unit.record(
        EventType.AUTHORIZATION_REQUESTED,
        **where,
        method=attempt.method,
        pspId=attempt.psp_id,
        amount=attempt.amount,
        fee=attempt.fee,
    )
    if plan.outcome is not OutcomeCode.SUCCESS:
        after = pay.authorize(attempt, plan.outcome, now)
    elif plan.close is CloseOutcome.REFUNDED:
        after = pay.close_refunded(attempt, now)
    elif plan.close is CloseOutcome.PENDING:
        resolves_at = now + plan.resolve_after if plan.resolve_after is not None else None
        after = pay.authorize(
            attempt, OutcomeCode.TAKEN_IN_CHARGE, now, resolves_at=resolves_at, resolution=plan.resolution
        )
    else:
        after = pay.authorize(attempt, OutcomeCode.SUCCESS, now)
    unit.record(EventType.AUTHORIZATION_COMPLETED, **where, outcome=plan.outcome.value)
    return save_transition(unit, attempt, after)


def resolve_pending(unit: Unit, attempt_id: str, resolution: Resolution | str) -> PaymentAttempt:
    """A pending (17) payment ends: ``ok`` pays as ``authorize`` with 0 does, ``refunded`` frees."""
    try:
        how = Resolution(resolution)
    except ValueError:
        raise InvalidInput("resolution", "is ok or refunded") from None
    attempt = get_attempt(unit, attempt_id, for_update=True)
    return save_transition(unit, attempt, pay.resolve(attempt, how, unit.now))


def cancel(unit: Unit, attempt_id: str) -> PaymentAttempt:
    """The payer pressed Annulla: CANCELED (8), the notices free again."""
    attempt = get_attempt(unit, attempt_id, for_update=True)
    return save_transition(unit, attempt, pay.cancel(attempt, unit.now))


def expire(unit: Unit, attempt_id: str) -> PaymentAttempt:
    """End the session now, unpaid, as the token's end would (the payer abandoned it):
    EXPIRED_NOT_AUTHORIZED (4). The token's end does the same by itself."""
    attempt = get_attempt(unit, attempt_id, for_update=True)
    return save_transition(unit, attempt, pay.expire(attempt, unit.now))


# --- helpers ----------------------------------------------------------------------------------------


def _choose(
    unit: Unit, attempt: PaymentAttempt, method: psps.PaymentMethod, psp_id: str | None
) -> PaymentAttempt:
    if psp_id is None:
        offers = psps.psps_for(method, attempt.amount)
        if not offers:
            raise InvalidInput("paymentMethod", f"no PSP offers {method.value} for this amount")
        psp = offers[0].psp
    else:
        found = psps.psp_by_id(psp_id)
        if found is None:
            raise InvalidInput("pspId", f"unknown PSP {psp_id!r}")
        psp = found
    chosen = pay.choose(attempt, method, psp, unit.now)
    where: dict[str, Any] = {"cart_id": attempt.cart_id, "attempt_id": attempt.id}
    if chosen.method != attempt.method:
        unit.record(EventType.METHOD_CHOSEN, **where, method=method)
    unit.record(EventType.PSP_CHOSEN, **where, pspId=psp.id, pspName=psp.name, fee=chosen.fee)
    return chosen


def _facts(attempt: PaymentAttempt) -> list[NoticeFacts]:
    return [NoticeFacts(n.fiscal_code, n.nav, n.amount) for n in attempt.notices]
