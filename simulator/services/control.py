"""The sandbox's control surface as use cases: a cart's status (the proposal's status query), the
scenario chosen per cart, and headless runs in which the sandbox plays the payer as the scenario's
``user`` step says, from the cart to the page the browser lands on.

A headless run makes the payer's journey (``services.journey``) in one unit, the same steps the
pages make one request at a time, so its events, receipts, GPD effects and notifications are
exactly those of a payment made on the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from simulator.domain import psps
from simulator.domain.cart import Cart
from simulator.domain.cart_status import CartState, cart_outcome, cart_return_url, cart_state
from simulator.domain.errors import CheckoutError, CheckoutReason, InvalidInput, PaymentFault
from simulator.domain.events import Event, EventType, timeline
from simulator.domain.payment import (
    AttemptState,
    FaultCategory,
    OutcomeCode,
    PaymentAttempt,
    Resolution,
    classify_fault,
)
from simulator.domain.receipt_records import ReceiptRow
from simulator.domain.selection import ChoiceSource, ScenarioChoice
from simulator.scenario.model import NoticeFacts, UserAction
from simulator.services import journey, payments
from simulator.services.return_urls import sign_return_url
from simulator.services.unit import Unit

__all__ = ["CartStatus", "CompleteRequest", "choose_scenario", "complete", "status"]


@dataclass(frozen=True, slots=True)
class CartStatus:
    """A cart as the status query shows it, as of ``now`` (the tenant's clock)."""

    cart: Cart
    attempt: PaymentAttempt | None
    state: CartState
    outcome: OutcomeCode | None
    fault: tuple[FaultCategory, str] | None  # a verify/activate failure: category and code
    scenario: ScenarioChoice
    scenario_title: str
    receipts: tuple[ReceiptRow, ...]
    return_url: str | None
    timeline: tuple[Event, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class CompleteRequest:
    """A headless run's overrides: the outcome (else the scenario decides), method and PSP."""

    outcome: OutcomeCode | None = None
    method: psps.PaymentMethod | None = None
    psp_id: str | None = None
    user: UserAction | None = None  # the payer's move instead of the scenario's (a dashboard's "cancel")


def status(unit: Unit, cart_id: str) -> CartStatus:
    """The cart, whatever its age (an expired cart answers EXPIRED, not 404), with its latest
    attempt, its receipts and its timeline. ``CART_NOT_FOUND`` in another tenant."""
    cart, attempt = _cart(unit, cart_id)
    engine = unit.engine
    choice = (attempt.scenario if attempt is not None else None) or cart.scenario
    if choice is None:  # a cart stored before scenarios were chosen at creation
        choice = engine.choose([NoticeFacts(n.fiscal_code, n.notice_number, n.amount) for n in cart.notices])
    return CartStatus(
        cart=cart,
        attempt=attempt,
        state=cart_state(cart, attempt, unit.now),
        outcome=cart_outcome(cart, attempt),
        fault=(classify_fault(cart.fault)[0], cart.fault) if cart.fault is not None else None,
        scenario=choice,
        scenario_title=engine.title(choice),
        receipts=_receipts(unit, attempt),
        return_url=_return_url(unit, cart, attempt),
        timeline=tuple(timeline(unit.timeline(cart.id))),
        now=unit.now,
    )


def choose_scenario(unit: Unit, cart_id: str, scenario_id: str) -> CartStatus:
    """``PUT /_sandbox/v1/carts/{id}/scenario``: the cart (and its attempt under way) runs this
    scenario from now on. ``CART_CLOSED`` once its payment ended or is pending; ``UnknownScenario``
    for an id no scenario has."""
    cart, attempt = _cart(unit, cart_id)
    state = cart_state(cart, attempt, unit.now)
    if state not in (CartState.OPEN, CartState.IN_PROGRESS):
        raise _closed(cart, state, "change its scenario")
    choice = unit.engine.explicit(scenario_id, ChoiceSource.API)
    unit.checkout.save_cart(replace(cart, scenario=choice))
    if attempt is not None and attempt.state is AttemptState.ACTIVATED:
        unit.checkout.save_attempt(replace(attempt, scenario=choice))
    unit.record(
        EventType.SCENARIO_SELECTED,
        cart_id=cart.id,
        attempt_id=attempt.id if attempt is not None else None,
        scenario=choice.scenario_id,
        source=choice.source,
        reason=choice.reason,
    )
    return status(unit, cart_id)


def complete(unit: Unit, cart_id: str, request: CompleteRequest) -> CartStatus:
    """Run the cart's payment to its end as the payer the scenario describes (``user``: pays,
    cancels, abandons, never-returns), or with the outcome asked for (the payer pays). A pending
    payment ends with the outcome asked for (ok or refunded). ``CART_CLOSED`` when its payment
    already ended, the cart expired, or a pending one is given no outcome."""
    unit.checkout.cart(cart_id, for_update=True)  # concurrent completions of the cart take turns
    current = status(unit, cart_id)
    if current.state is CartState.PENDING and current.attempt is not None:
        return _resolve(unit, current, request.outcome)
    if current.state not in (CartState.OPEN, CartState.IN_PROGRESS):
        raise _closed(current.cart, current.state, "be completed")
    scenario = unit.engine.scenario(current.scenario)
    user = request.user or (UserAction.PAYS if request.outcome is not None else scenario.steps.user)
    state = journey.for_cart(current.cart)
    attempt = current.attempt if current.state is CartState.IN_PROGRESS else None
    if attempt is None:
        state.method = (request.method or psps.PaymentMethod.CP).value
        try:
            attempt = journey.activate_and_choose(unit, state, psp_id=request.psp_id)
        except PaymentFault:
            failed = status(unit, cart_id)
            if failed.state is not CartState.FAILED:  # another payment of it is under way
                raise _closed(failed.cart, failed.state, "be completed") from None
            return _leave(unit, cart_id, returned=True)
    else:
        state.attempt_id = attempt.id
        if request.method is not None or attempt.method is None:
            state.method = (request.method or psps.PaymentMethod.CP).value
            journey.activate_and_choose(unit, state, psp_id=request.psp_id)
        elif request.psp_id is not None:
            journey.choose_psp(unit, state, request.psp_id)
    if user is UserAction.ABANDONS:
        journey.abandon(unit, state)
        journey.end_cart_now(unit, cart_id)
        return _leave(unit, cart_id, returned=True)
    if user is UserAction.CANCELS:
        journey.cancel(unit, state)
    else:
        journey.authorize(unit, state, request.outcome)  # a 3DS step is passed
    return _leave(unit, cart_id, returned=user is not UserAction.NEVER_RETURNS)


# --- steps -----------------------------------------------------------------------------------------


def _cart(unit: Unit, cart_id: str) -> tuple[Cart, PaymentAttempt | None]:
    cart = unit.checkout.cart(cart_id)
    if cart is None:
        raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart_id)
    attempt = None
    if cart.attempt_id is not None and unit.checkout.attempt(cart.attempt_id) is not None:
        attempt = payments.get_attempt(unit, cart.attempt_id)
    return cart, attempt


def _resolve(unit: Unit, current: CartStatus, outcome: OutcomeCode | None) -> CartStatus:
    """A pending (17) payment ends now as asked: ok (0) or refunded (18). Without an outcome it
    waits for its scripted time (the tenant clock) or for this call with one."""
    assert current.attempt is not None
    if outcome is None:
        raise _closed(current.cart, current.state, "be completed without an outcome (ok or refunded)")
    resolution = _RESOLUTIONS.get(outcome)
    if resolution is None:
        raise InvalidInput("outcome", "a pending payment ends ok (0) or refunded (18)")
    payments.resolve_pending(unit, current.attempt.id, resolution)
    return status(unit, current.cart.id)


def _return_url(unit: Unit, cart: Cart, attempt: PaymentAttempt | None) -> str | None:
    """Where the browser lands: signed when the cart opted in (once: a landing is kept as is)."""
    url = cart_return_url(cart, attempt, unit.now)
    if url is None or cart.landed_on is not None:
        return url
    return sign_return_url(unit, cart, url)


def _leave(unit: Unit, cart_id: str, *, returned: bool) -> CartStatus:
    """The payer's last move: back to the EC through the return URL, or never."""
    cart, attempt = _cart(unit, cart_id)
    where: dict[str, Any] = {"cart_id": cart.id, "attempt_id": attempt.id if attempt is not None else None}
    if returned:
        url = _return_url(unit, cart, attempt)
        unit.checkout.save_cart(replace(cart, landed_on=url))
        unit.record(EventType.USER_RETURNED, **where, url=url)
    else:
        unit.checkout.save_cart(replace(cart, never_returned=True))
        unit.record(EventType.USER_NEVER_RETURNED, **where)
    return status(unit, cart_id)


_RESOLUTIONS = {OutcomeCode.SUCCESS: Resolution.OK, OutcomeCode.REFUNDED: Resolution.REFUNDED}


def _receipts(unit: Unit, attempt: PaymentAttempt | None) -> tuple[ReceiptRow, ...]:
    """The receipts this cart's payment produced (one per notice, once delivered)."""
    if attempt is None:
        return ()
    found = []
    for notice in attempt.notices:
        row = unit.receipts.get(notice.fiscal_code, notice.iuv)
        if row is not None and row.receipt_id == notice.payment_token:
            found.append(row)
    return tuple(found)


def _closed(cart: Cart, state: CartState, action: str) -> CheckoutError:
    return CheckoutError(CheckoutReason.CART_CLOSED, cart_id=cart.id, state=state.value, action=action)
