"""The sandbox's control surface as use cases: a cart's status (the proposal's status query), the
scenario chosen per cart, and headless runs in which the sandbox plays the payer as the scenario's
``user`` step says, from the cart to the page the browser lands on.

A headless run makes the same service calls the pages make, one transaction each, so its events,
receipts and GPD effects are exactly those of a payment made on the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from simulator.domain import psps
from simulator.domain.cart import Cart
from simulator.domain.cart_status import CartState, cart_outcome, cart_return_url, cart_state
from simulator.domain.errors import CheckoutError, CheckoutReason, InvalidInput, PaymentFault
from simulator.domain.events import Event, EventType
from simulator.domain.payment import (
    AttemptState,
    FaultCategory,
    OutcomeCode,
    PaymentAttempt,
    Resolution,
    classify_fault,
)
from simulator.domain.selection import ChoiceSource, ScenarioChoice
from simulator.scenario.model import NoticeFacts, UserAction
from simulator.services import events
from simulator.services.context import Sandbox
from simulator.services.due import settle_due
from simulator.services.payments import PaymentService
from simulator.services.return_urls import sign_return_url
from simulator.services.scenario_engine import ScenarioEngine
from simulator.storage.store import ReceiptRow, Tx

__all__ = ["CartStatus", "CompleteRequest", "ControlService"]


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


@dataclass(frozen=True, slots=True)
class ControlService:
    sandbox: Sandbox

    @property
    def payments(self) -> PaymentService:
        return PaymentService(self.sandbox)

    @property
    def engine(self) -> ScenarioEngine:
        return ScenarioEngine(self.sandbox)

    def status(self, tenant: str, cart_id: str) -> CartStatus:
        """The cart, whatever its age (an expired cart answers EXPIRED, not 404), with its latest
        attempt settled, its receipts and its timeline. ``CART_NOT_FOUND`` in another tenant."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            settle_due(tx, self.sandbox, tenant, now)
            cart, attempt = self._cart(tx, tenant, cart_id, now)
            choice = (attempt.scenario if attempt is not None else None) or cart.scenario
            if choice is None:  # a cart stored before scenarios were chosen at creation
                choice = self.engine.choose(
                    [NoticeFacts(n.fiscal_code, n.notice_number, n.amount) for n in cart.notices]
                )
            return CartStatus(
                cart=cart,
                attempt=attempt,
                state=cart_state(cart, attempt, now),
                outcome=cart_outcome(cart, attempt),
                fault=(classify_fault(cart.fault)[0], cart.fault) if cart.fault is not None else None,
                scenario=choice,
                scenario_title=self.engine.title(choice),
                receipts=_receipts(tx, tenant, attempt),
                return_url=self._return_url(tx, tenant, cart, attempt, now),
                timeline=tuple(events.cart_timeline(tx, tenant, cart.id)),
                now=now,
            )

    def choose_scenario(self, tenant: str, cart_id: str, scenario_id: str) -> CartStatus:
        """``PUT /_sandbox/v1/carts/{id}/scenario``: the cart (and its attempt under way) runs this
        scenario from now on. ``CART_CLOSED`` once its payment ended or is pending;
        ``UnknownScenario`` for an id no scenario has."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            cart, attempt = self._cart(tx, tenant, cart_id, now)
            state = cart_state(cart, attempt, now)
            if state not in (CartState.OPEN, CartState.IN_PROGRESS):
                raise _closed(cart, state, "change its scenario")
            choice = self.engine.explicit(scenario_id, ChoiceSource.API)
            tx.save_cart(tenant, replace(cart, scenario=choice))
            if attempt is not None and attempt.state is AttemptState.ACTIVATED:
                tx.save_attempt(tenant, replace(attempt, scenario=choice))
            events.record(
                tx,
                tenant,
                EventType.SCENARIO_SELECTED,
                now,
                cart_id=cart.id,
                attempt_id=attempt.id if attempt is not None else None,
                scenario=choice.scenario_id,
                source=choice.source,
                reason=choice.reason,
            )
        return self.status(tenant, cart_id)

    def complete(self, tenant: str, cart_id: str, request: CompleteRequest) -> CartStatus:
        """Run the cart's payment to its end as the payer the scenario describes (``user``: pays,
        cancels, abandons, never-returns), or with the outcome asked for (the payer pays). A
        pending payment ends with the outcome asked for (ok or refunded). ``CART_CLOSED`` when its
        payment already ended, the cart expired, or a pending one is given no outcome."""
        current = self.status(tenant, cart_id)
        if current.state is CartState.PENDING and current.attempt is not None:
            return self._resolve(tenant, current, request.outcome)
        if current.state not in (CartState.OPEN, CartState.IN_PROGRESS):
            raise _closed(current.cart, current.state, "be completed")
        scenario = self.engine.scenario(current.scenario)
        user = UserAction.PAYS if request.outcome is not None else scenario.steps.user
        attempt = current.attempt if current.state is CartState.IN_PROGRESS else None
        if attempt is None:
            try:
                attempt = self.payments.start_attempt(tenant, current.cart)
            except PaymentFault:
                failed = self.status(tenant, cart_id)
                if failed.state is not CartState.FAILED:  # another payment of it is under way
                    raise _closed(failed.cart, failed.state, "be completed") from None
                return self._leave(tenant, cart_id, returned=True)
        if user is UserAction.ABANDONS:
            return self._abandon(tenant, cart_id, attempt)
        self._choose(tenant, attempt, request)
        if user is UserAction.CANCELS:
            self.payments.cancel(tenant, attempt.id)
        else:
            self.payments.authorize(tenant, attempt.id, request.outcome)  # a 3DS step is passed
        return self._leave(tenant, cart_id, returned=user is not UserAction.NEVER_RETURNS)

    # --- steps ---------------------------------------------------------------------------------
    def _cart(self, tx: Tx, tenant: str, cart_id: str, now: datetime) -> tuple[Cart, PaymentAttempt | None]:
        cart = tx.cart(tenant, cart_id)
        if cart is None:
            raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart_id)
        attempt = None
        if cart.attempt_id is not None and tx.attempt(tenant, cart.attempt_id) is not None:
            attempt = self.payments.load(tx, tenant, cart.attempt_id, now)
        return cart, attempt

    def _resolve(self, tenant: str, current: CartStatus, outcome: OutcomeCode | None) -> CartStatus:
        """A pending (17) payment ends now as asked: ok (0) or refunded (18). Without an outcome it
        waits for its scripted time (the tenant clock) or for this call with one."""
        assert current.attempt is not None
        if outcome is None:
            raise _closed(current.cart, current.state, "be completed without an outcome (ok or refunded)")
        resolution = _RESOLUTIONS.get(outcome)
        if resolution is None:
            raise InvalidInput("outcome", "a pending payment ends ok (0) or refunded (18)")
        self.payments.resolve_pending(tenant, current.attempt.id, resolution)
        return self.status(tenant, current.cart.id)

    def _choose(self, tenant: str, attempt: PaymentAttempt, request: CompleteRequest) -> None:
        if request.method is not None or attempt.method is None:
            method = request.method or psps.PaymentMethod.CP
            self.payments.choose_method(tenant, attempt.id, method, request.psp_id)
        elif request.psp_id is not None:
            self.payments.choose_psp(tenant, attempt.id, request.psp_id)

    def _abandon(self, tenant: str, cart_id: str, attempt: PaymentAttempt) -> CartStatus:
        """The payer walks away: the token and the cart end now, as the clock would end them."""
        self.payments.expire(tenant, attempt.id)
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            cart = tx.cart(tenant, cart_id)
            if cart is not None and not cart.expired(now):
                tx.save_cart(tenant, replace(cart, expires_at=now))
        return self._leave(tenant, cart_id, returned=True)

    def _return_url(
        self, tx: Tx, tenant: str, cart: Cart, attempt: PaymentAttempt | None, now: datetime
    ) -> str | None:
        """Where the browser lands: signed when the cart opted in (once: a landing is kept as is)."""
        url = cart_return_url(cart, attempt, now)
        if url is None or cart.landed_on is not None:
            return url
        return sign_return_url(tx, self.sandbox, tenant, cart, url)

    def _leave(self, tenant: str, cart_id: str, *, returned: bool) -> CartStatus:
        """The payer's last move: back to the EC through the return URL, or never."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            cart, attempt = self._cart(tx, tenant, cart_id, now)
            where = {"cart_id": cart.id, "attempt_id": attempt.id if attempt is not None else None}
            if returned:
                url = self._return_url(tx, tenant, cart, attempt, now)
                tx.save_cart(tenant, replace(cart, landed_on=url))
                events.record(tx, tenant, EventType.USER_RETURNED, now, **where, url=url)
            else:
                tx.save_cart(tenant, replace(cart, never_returned=True))
                events.record(tx, tenant, EventType.USER_NEVER_RETURNED, now, **where)
        return self.status(tenant, cart_id)


_RESOLUTIONS = {OutcomeCode.SUCCESS: Resolution.OK, OutcomeCode.REFUNDED: Resolution.REFUNDED}


def _receipts(tx: Tx, tenant: str, attempt: PaymentAttempt | None) -> tuple[ReceiptRow, ...]:
    """The receipts this cart's payment produced (one per notice, once delivered)."""
    if attempt is None:
        return ()
    found = []
    for notice in attempt.notices:
        row = tx.receipt(tenant, notice.fiscal_code, notice.iuv)
        if row is not None and row.receipt_id == notice.payment_token:
            found.append(row)
    return tuple(found)


def _closed(cart: Cart, state: CartState, action: str) -> CheckoutError:
    return CheckoutError(CheckoutReason.CART_CLOSED, cart_id=cart.id, state=state.value, action=action)
