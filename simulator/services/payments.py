"""Payment attempts, step by step, in the caller's unit: verify a notice, activate every notice of
a cart at once (locking them), choose method and PSP, authorize, cancel, expire.

Each step follows the attempt's scenario (``scenario_engine``): verify and activate may be slow or
fail with a node/EC fault, the PSP answers what the scenario says, closing ends paid, pending (17,
perhaps resolved later) or refunded, and the receipt reaches the EC as scripted. A delay is slept
with the unit paused (no transaction open, so a slow scenario never holds the database); a fault
is recorded in the timeline and then raised, the unit keeping that record.

A second ``authorize`` of the same attempt raises ``PaymentAttemptError`` (ALREADY_PROCESSED) and
changes nothing, so a payment is never charged twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, NoReturn

from simulator.domain import payment as pay
from simulator.domain import psps
from simulator.domain.cart import Cart
from simulator.domain.errors import (
    AttemptReason,
    CheckoutError,
    CheckoutReason,
    InvalidInput,
    PaymentAttemptError,
    PaymentFault,
)
from simulator.domain.events import EventType
from simulator.domain.payment import (
    AttemptState,
    FaultCategory,
    NoticeInfo,
    OutcomeCode,
    PaymentAttempt,
    Resolution,
)
from simulator.domain.selection import ChoiceSource, ScenarioChoice
from simulator.domain.test_cards import normalize_number
from simulator.scenario.model import CloseOutcome, NodeStep, NoticeFacts, format_duration
from simulator.services.attempt_effects import record_selected, save_transition
from simulator.services.notice_lookup import (
    NODE_DUPLICATED,
    ONGOING,
    NoticeLike,
    NoticeRequest,
    as_request,
    attempt_notice,
    info_data,
    lookup,
    parsed,
)
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

_LIVE = (AttemptState.ACTIVATED, AttemptState.CLOSED, AttemptState.NOTIFIED_OK)


# --- verify -----------------------------------------------------------------------------------------


def verify(
    unit: Unit,
    fiscal_code: str,
    nav: str,
    *,
    amount: int | None = None,
    description: str | None = None,
    company_name: str | None = None,
) -> NoticeInfo:
    """The node's verify: a payable notice's data, or ``PaymentFault``.

    The scenario is chosen for this notice alone (``match:`` rules, UAT conventions, else
    happy-path) and may delay or fail it. A managed EC (one with GPD positions in the tenant) is
    answered from its position; any other EC's notice is synthetic, payable with the given
    amount/description or with data generated from the NAV. Paid through the sandbox ->
    PAYMENT_DUPLICATED; held by a live token -> PAYMENT_ONGOING.
    """
    request = NoticeRequest(fiscal_code, nav, amount, description, company_name)
    checked = parsed(request)
    engine = unit.engine
    choice = engine.choose([NoticeFacts(checked.fiscal_code, checked.nav, amount)])
    try:
        _node_step(unit, "verify", engine.scenario(choice).steps.verify, None)
        info = lookup(unit, request)
    except PaymentFault as fault:
        _failed(unit, EventType.NOTICE_VERIFY_FAILED, fault, None, [checked])
    unit.record(EventType.NOTICE_VERIFIED, **info_data(info))
    return info


# --- the attempt ------------------------------------------------------------------------------------


def start_attempt(
    unit: Unit, notices: Cart | Sequence[NoticeLike], email: str | None = None
) -> PaymentAttempt:
    """Verify and activate every notice (all or none) and lock each for the token's life.

    Any notice that is not payable raises its ``PaymentFault`` and nothing is activated (a cart
    then records the fault); a notice another live attempt holds raises PAYMENT_ONGOING. The
    scenario is the cart's explicit one, else the rules' for these notices.
    """
    cart = notices if isinstance(notices, Cart) else None
    given: Sequence[NoticeLike] = notices.notices if isinstance(notices, Cart) else notices
    requests = [as_request(n) for n in given]
    checked = [parsed(r) for r in requests]
    cart_id = cart.id if cart is not None else None
    if cart is not None:
        unit.checkout.cart(cart.id, for_update=True)  # two activations of one cart take turns
        if cart.expired(unit.now):
            raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart.id)
    engine = unit.engine
    facts = [NoticeFacts(r.fiscal_code, r.nav, r.amount) for r in checked]
    choice = engine.rechoose(cart.scenario if cart is not None else None, facts)
    steps = engine.scenario(choice).steps
    failure = EventType.NOTICE_VERIFY_FAILED
    try:
        _node_step(unit, "verify", steps.verify, cart_id)
        verified = [lookup(unit, r) for r in requests]
        for info in verified:
            unit.record(EventType.NOTICE_VERIFIED, cart_id=cart_id, **info_data(info))
        failure = EventType.ATTEMPT_ACTIVATION_FAILED
        if _node_step(unit, "activate", steps.activate, cart_id):
            verified = [lookup(unit, r) for r in requests]  # the world may have moved while paused
        with unit.savepoint():  # all or none: a lock lost to a race undoes the others
            return _activate(unit, cart, verified, email, choice)
    except PaymentFault as fault:
        _failed(unit, failure, fault, cart_id, checked)


def _activate(
    unit: Unit, cart: Cart | None, verified: list[NoticeInfo], email: str | None, choice: ScenarioChoice
) -> PaymentAttempt:
    cart_id = id_cart = None
    stored = None
    if cart is not None:
        stored = unit.checkout.cart(cart.id) or cart
        if stored.expired(unit.now):
            raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart.id)
        cart_id, id_cart, email = cart.id, cart.id_cart, email or cart.email
    attempt = pay.activate(
        unit.ids.hex(),
        [attempt_notice(info, unit.ids.hex()) for info in verified],
        unit.now,
        cart_id=cart_id,
        id_cart=id_cart,
        email=(email or "").strip() or None,
        token_lifetime=pay.TOKEN_LIFETIME,
    )
    attempt = replace(attempt, scenario=choice)
    for n in attempt.notices:
        if not unit.checkout.lock_notice(
            n.fiscal_code, n.nav, attempt.id, attempt.token_expires_at, unit.now
        ):
            raise PaymentFault(FaultCategory.PAYMENT_ONGOING, ONGOING)  # lost a race
        # The lock is ours now; a payment that held it and committed meanwhile (PostgreSQL's
        # statements each see the latest commit) has recorded the notice paid: look again.
        if unit.receipts.notice_paid(n.fiscal_code, n.nav):
            raise PaymentFault(FaultCategory.PAYMENT_DUPLICATED, NODE_DUPLICATED)
    unit.checkout.insert_attempt(attempt)
    where: dict[str, Any] = {"cart_id": cart_id, "attempt_id": attempt.id}
    if stored is not None:
        if stored.scenario != choice:
            record_selected(unit, choice, **where)
        unit.checkout.save_cart(replace(stored, attempt_id=attempt.id, fault=None, scenario=choice))
    else:
        record_selected(unit, choice, **where)
    unit.record(
        EventType.ATTEMPT_ACTIVATED,
        **where,
        paymentTokens=list(attempt.payment_tokens),
        amount=attempt.amount,
        tokenExpiresAt=attempt.token_expires_at,
    )
    return attempt


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
        _delay(unit, "authorize", plan.delay, attempt.cart_id, attempt.id)
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


def _node_step(unit: Unit, name: str, step: NodeStep, cart_id: str | None) -> bool:
    """A verify/activate step of the scenario: its delay (slept, recorded), then its fault. True
    when the unit was paused for a delay."""
    if step.delay:
        _delay(unit, name, step.delay, cart_id, None)
    fault = step.payment_fault()
    if fault is not None:
        raise fault
    return bool(step.delay)


def _delay(unit: Unit, step: str, delay: timedelta, cart_id: str | None, attempt_id: str | None) -> None:
    slept = unit.pause(lambda: unit.engine.wait(delay))
    unit.record(
        EventType.STEP_DELAYED,
        cart_id=cart_id,
        attempt_id=attempt_id,
        step=step,
        delay=format_duration(delay),
        sleptSeconds=round(slept, 3),
    )


def _failed(
    unit: Unit, type: EventType, fault: PaymentFault, cart_id: str | None, notices: Sequence[NoticeRequest]
) -> NoReturn:
    """A verify/activate failure changed nothing: record it, and on a cart with no live attempt
    (its payment stops here: the payer's way out is the error page); then raise it, keeping what
    was recorded."""
    unit.record(
        type,
        cart_id=cart_id,
        faultCodeCategory=fault.category,
        faultCode=fault.fault_code,
        notices=[{"fiscalCode": n.fiscal_code, "noticeNumber": n.nav} for n in notices],
    )
    cart = unit.checkout.cart(cart_id) if cart_id is not None else None
    if cart is not None and not _has_live_attempt(unit, cart):
        unit.checkout.save_cart(replace(cart, fault=fault.fault_code))
    unit.fail(fault)


def _has_live_attempt(unit: Unit, cart: Cart) -> bool:
    """Whether the cart's latest attempt is under way, pending or paid: a failed verify/activate
    of another payment of it (a second tab, a racing request) must not mark it failed."""
    if cart.attempt_id is None:
        return False
    try:
        return get_attempt(unit, cart.attempt_id).state in _LIVE
    except PaymentAttemptError:
        return False


def _facts(attempt: PaymentAttempt) -> list[NoticeFacts]:
    return [NoticeFacts(n.fiscal_code, n.nav, n.amount) for n in attempt.notices]
