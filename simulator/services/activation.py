"""Verify and activation, in the caller's unit: a notice's verify, and the activation of every
notice of a cart at once (locking them), each following the scenario's ``verify`` and ``activate``
steps (a delay slept with the unit paused, a fault recorded and then raised)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, NoReturn

from simulator.domain import payment as pay
from simulator.domain.cart import Cart
from simulator.domain.errors import CheckoutError, CheckoutReason, PaymentAttemptError, PaymentFault
from simulator.domain.events import EventType
from simulator.domain.payment import AttemptState, FaultCategory, NoticeInfo, PaymentAttempt
from simulator.domain.selection import ScenarioChoice
from simulator.scenario.model import NodeStep, NoticeFacts, format_duration
from simulator.services.attempt_effects import get_attempt, record_selected
from simulator.services.notice_lookup import (
    NODE_DUPLICATED,
    ONGOING,
    NoticeLike,
    NoticeRequest,
    as_request,
    attempt_notice,
    bind_at_station,
    info_data,
    lookup,
    parsed,
)
from simulator.services.unit import Unit

__all__ = ["delay", "start_attempt", "verify"]

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
    steps = engine.scenario(choice).steps
    try:
        _node_step(unit, "verify", steps.verify, None)
        info = lookup(unit, request, script=steps.station)
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
    rpt = cart is not None and cart.wisp is not None  # modello 1: the RPTs say what is due
    try:
        _node_step(unit, "verify", steps.verify, cart_id)
        verified = [lookup(unit, r, cart_id, from_rpt=rpt, script=steps.station) for r in requests]
        for info in verified:
            unit.record(EventType.NOTICE_VERIFIED, cart_id=cart_id, **info_data(info))
        failure = EventType.ATTEMPT_ACTIVATION_FAILED
        if _node_step(unit, "activate", steps.activate, cart_id):
            verified = [lookup(unit, r, cart_id, from_rpt=rpt, script=steps.station) for r in requests]
        verified = [
            bind_at_station(unit, info, cart_id, from_rpt=rpt, script=steps.station) for info in verified
        ]
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


# --- helpers ----------------------------------------------------------------------------------------


def _node_step(unit: Unit, name: str, step: NodeStep, cart_id: str | None) -> bool:
    """A verify/activate step of the scenario: its delay (slept, recorded), then its fault. True
    when the unit was paused for a delay."""
    if step.delay:
        delay(unit, name, step.delay, cart_id, None)
    fault = step.payment_fault()
    if fault is not None:
        raise fault
    return bool(step.delay)


def delay(unit: Unit, step: str, delay: timedelta, cart_id: str | None, attempt_id: str | None) -> None:
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
