"""Payment attempts as the checkout pages and headless runs drive them: verify a notice, activate
every notice of a cart at once (locking them), choose method and PSP, authorize, cancel.

Each step follows the attempt's scenario (``scenario_engine``): verify and activate may be slow or
fail with a node/EC fault, the PSP answers what the scenario says, closing ends paid, pending (17,
perhaps resolved later) or refunded, and the receipt reaches the EC as scripted. Every change
records its events in its own transaction; a delay is slept before the transaction opens.

Expiry and scripted pending results follow the tenant clock lazily: an attempt is settled whenever
it is read, as GPD's positions are. A second ``authorize`` of the same attempt raises
``PaymentAttemptError`` (ALREADY_PROCESSED) and changes nothing, so a payment is never charged twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

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
from simulator.services import events, receipts
from simulator.services.attempt_effects import record_selected, save_transition
from simulator.services.context import Sandbox
from simulator.services.notice_lookup import (
    ONGOING,
    NoticeLike,
    NoticeRequest,
    as_request,
    attempt_notice,
    info_data,
    lookup,
    parsed,
)
from simulator.services.scenario_engine import ScenarioEngine
from simulator.storage.store import Tx

__all__ = ["NoticeLike", "NoticeRequest", "PaymentService"]

_LIVE = (AttemptState.ACTIVATED, AttemptState.CLOSED)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class PaymentService:
    sandbox: Sandbox
    token_lifetime: timedelta = pay.TOKEN_LIFETIME
    new_id: Callable[[], str] = _new_id

    @property
    def engine(self) -> ScenarioEngine:
        return ScenarioEngine(self.sandbox)

    # --- verify -----------------------------------------------------------------------------
    def verify(
        self,
        tenant: str,
        fiscal_code: str,
        nav: str,
        *,
        amount: int | None = None,
        description: str | None = None,
        company_name: str | None = None,
    ) -> NoticeInfo:
        """The node's verify: a payable notice's data, or ``PaymentFault``.

        The scenario is chosen for this notice alone (``match:`` rules, UAT conventions, else
        happy-path) and may delay or fail it. A managed EC (one with GPD positions in the
        tenant) is answered from its position; any other EC's notice is synthetic, payable with
        the given amount/description or with data generated from the NAV. Paid through the
        sandbox -> PAYMENT_DUPLICATED; held by a live token -> PAYMENT_ONGOING.
        """
        request = NoticeRequest(fiscal_code, nav, amount, description, company_name)
        checked = parsed(request)
        choice = self.engine.choose([NoticeFacts(checked.fiscal_code, checked.nav, amount)])
        try:
            self._node_step(tenant, "verify", self.engine.scenario(choice).steps.verify, None)
            with self.sandbox.store.transaction() as tx:
                now = self.sandbox.tenant_now(tx, tenant)
                info = self._verify(tx, tenant, request, now)
                events.record(tx, tenant, EventType.NOTICE_VERIFIED, now, **info_data(info))
                return info
        except PaymentFault as fault:
            self._failed(tenant, EventType.NOTICE_VERIFY_FAILED, fault, None, [checked])
            raise

    # --- the attempt --------------------------------------------------------------------------
    def start_attempt(
        self, tenant: str, notices: Cart | Sequence[NoticeLike], email: str | None = None
    ) -> PaymentAttempt:
        """Verify and activate every notice (all or none) and lock each for the token's life.

        Any notice that is not payable raises its ``PaymentFault`` and nothing is activated (a
        cart then records the fault); a notice another live attempt holds raises PAYMENT_ONGOING.
        The scenario is the cart's explicit one, else the rules' for these notices.
        """
        cart = notices if isinstance(notices, Cart) else None
        given: Sequence[NoticeLike] = notices.notices if isinstance(notices, Cart) else notices
        requests = [as_request(n) for n in given]
        checked = [parsed(r) for r in requests]
        cart_id = cart.id if cart is not None else None
        if cart is not None:
            self._require_live_cart(tenant, cart)
        facts = [NoticeFacts(r.fiscal_code, r.nav, r.amount) for r in checked]
        choice = self.engine.rechoose(cart.scenario if cart is not None else None, facts)
        steps = self.engine.scenario(choice).steps
        failure = EventType.NOTICE_VERIFY_FAILED
        try:
            self._node_step(tenant, "verify", steps.verify, cart_id)
            with self.sandbox.store.transaction() as tx:
                now = self.sandbox.tenant_now(tx, tenant)
                for request in requests:
                    info = self._verify(tx, tenant, request, now)
                    events.record(
                        tx, tenant, EventType.NOTICE_VERIFIED, now, cart_id=cart_id, **info_data(info)
                    )
            failure = EventType.ATTEMPT_ACTIVATION_FAILED
            self._node_step(tenant, "activate", steps.activate, cart_id)
            return self._activate(tenant, cart, requests, email, choice)
        except PaymentFault as fault:
            self._failed(tenant, failure, fault, cart_id, checked)
            raise

    def _activate(
        self,
        tenant: str,
        cart: Cart | None,
        requests: list[NoticeRequest],
        email: str | None,
        choice: ScenarioChoice,
    ) -> PaymentAttempt:
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            cart_id = id_cart = None
            if cart is not None:
                stored = tx.cart(tenant, cart.id) or cart
                if stored.expired(now):
                    raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart.id)
                cart_id, id_cart, email = cart.id, cart.id_cart, email or cart.email
            verified = [self._verify(tx, tenant, r, now) for r in requests]
            attempt = pay.activate(
                self.new_id(),
                [attempt_notice(info, self.new_id()) for info in verified],
                now,
                cart_id=cart_id,
                id_cart=id_cart,
                email=(email or "").strip() or None,
                token_lifetime=self.token_lifetime,
            )
            attempt = replace(attempt, scenario=choice)
            for n in attempt.notices:
                if not tx.lock_notice(
                    tenant, n.fiscal_code, n.nav, attempt.id, attempt.token_expires_at, now
                ):
                    raise PaymentFault(FaultCategory.PAYMENT_ONGOING, ONGOING)  # lost a race
            tx.insert_attempt(tenant, attempt)
            where = {"cart_id": cart_id, "attempt_id": attempt.id}
            if cart is not None:
                stored = tx.cart(tenant, cart.id) or cart
                if stored.scenario != choice:
                    record_selected(tx, tenant, choice, now, **where)
                tx.save_cart(tenant, replace(stored, attempt_id=attempt.id, fault=None, scenario=choice))
            else:
                record_selected(tx, tenant, choice, now, **where)
            events.record(
                tx,
                tenant,
                EventType.ATTEMPT_ACTIVATED,
                now,
                **where,
                paymentTokens=list(attempt.payment_tokens),
                amount=attempt.amount,
                tokenExpiresAt=attempt.token_expires_at,
            )
            return attempt

    def get_attempt(self, tenant: str, attempt_id: str) -> PaymentAttempt:
        """The attempt as of the tenant's now (an unauthorized one past its token has expired, a
        scripted pending one past its time has its result)."""
        with self.sandbox.store.transaction() as tx:
            return self.load(tx, tenant, attempt_id, self.sandbox.tenant_now(tx, tenant))

    def choose_method(
        self,
        tenant: str,
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
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self.load(tx, tenant, attempt_id, now, for_update=True)
            updated = self._choose(tx, tenant, attempt, chosen, psp_id, now)
            choice = self.engine.rechoose(attempt.scenario, _facts(attempt), number)
            if choice != attempt.scenario:
                updated = replace(updated, scenario=choice)
                record_selected(tx, tenant, choice, now, cart_id=attempt.cart_id, attempt_id=attempt.id)
            tx.save_attempt(tenant, updated)
            return updated

    def choose_psp(self, tenant: str, attempt_id: str, psp_id: str) -> PaymentAttempt:
        """Change the PSP for the method already chosen (``/lista-psp``)."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self.load(tx, tenant, attempt_id, now, for_update=True)
            if attempt.method is None:
                raise PaymentAttemptError(
                    AttemptReason.METHOD_NOT_CHOSEN, attempt_id=attempt.id, action="choose a PSP"
                )
            updated = self._choose(tx, tenant, attempt, attempt.method, psp_id, now)
            tx.save_attempt(tenant, updated)
            return updated

    def pick_scenario(
        self, tenant: str, attempt_id: str, scenario_id: str, source: ChoiceSource = ChoiceSource.TRAINER
    ) -> PaymentAttempt:
        """An explicit choice made while paying (trainer mode): it applies to the attempt and its
        cart unless a choice of higher precedence (the sandbox API, the header, the body) stands.
        ``UnknownScenario`` for an id no scenario has."""
        choice = self.engine.explicit(scenario_id, source)
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self.load(tx, tenant, attempt_id, now, for_update=True)
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
            tx.save_attempt(tenant, updated)
            if attempt.cart_id is not None:
                cart = tx.cart(tenant, attempt.cart_id)
                if cart is not None:
                    tx.save_cart(tenant, replace(cart, scenario=choice))
            record_selected(tx, tenant, choice, now, cart_id=attempt.cart_id, attempt_id=attempt.id)
            return updated

    def needs_challenge(self, tenant: str, attempt_id: str) -> bool:
        """Whether "Paga" leads to the 3DS page first: the attempt's scenario asks for it (with a card)."""
        attempt = self.get_attempt(tenant, attempt_id)
        return self.engine.challenge(self.engine.scenario(attempt.scenario), attempt.method)

    def authorize(
        self, tenant: str, attempt_id: str, outcome: OutcomeCode | int | None = None
    ) -> PaymentAttempt:
        """The PSP's answer and the closing, as the attempt's scenario scripts them, or as
        ``outcome`` says (0 paid, 17 pending, 18 refunded, a KO code refused).

        On 0, one receipt per notice and every managed option PO_PAID, in the same transaction
        (unless the scenario delays or loses the receipt); on 17 the notices stay locked until
        the result arrives; on a KO code they are free again. A second call raises
        ALREADY_PROCESSED and charges nothing."""
        requested = None if outcome is None else pay.parse_outcome(outcome)
        attempt = self.get_attempt(tenant, attempt_id)
        plan = self.engine.authorization(self.engine.scenario(attempt.scenario), requested)
        if plan.delay:
            self._delay(tenant, "authorize", plan.delay, attempt.cart_id, attempt.id)
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self.load(tx, tenant, attempt_id, now, for_update=True)
            where = {"cart_id": attempt.cart_id, "attempt_id": attempt.id}
            events.record(
                tx,
                tenant,
                EventType.AUTHORIZATION_REQUESTED,
                now,
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
                    attempt,
                    OutcomeCode.TAKEN_IN_CHARGE,
                    now,
                    resolves_at=resolves_at,
                    resolution=plan.resolution,
                )
            else:
                after = pay.authorize(attempt, OutcomeCode.SUCCESS, now)
            events.record(
                tx, tenant, EventType.AUTHORIZATION_COMPLETED, now, **where, outcome=plan.outcome.value
            )
            return self._save(tx, tenant, attempt, after, now)

    def resolve_pending(self, tenant: str, attempt_id: str, resolution: Resolution | str) -> PaymentAttempt:
        """A pending (17) payment ends: ``ok`` pays as ``authorize`` with 0 does, ``refunded`` frees."""
        try:
            how = Resolution(resolution)
        except ValueError:
            raise InvalidInput("resolution", "is ok or refunded") from None
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self.load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, attempt, pay.resolve(attempt, how, now), now)

    def cancel(self, tenant: str, attempt_id: str) -> PaymentAttempt:
        """The payer pressed Annulla: CANCELED (8), the notices free again."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self.load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, attempt, pay.cancel(attempt, now), now)

    def expire(self, tenant: str, attempt_id: str) -> PaymentAttempt:
        """End the session now, unpaid, as the token's end would (the payer abandoned it):
        EXPIRED_NOT_AUTHORIZED (4). Reading the attempt does the same by itself at the token's end."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self.load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, attempt, pay.expire(attempt, now), now)

    # --- inside a transaction --------------------------------------------------------------------
    def load(
        self, tx: Tx, tenant: str, attempt_id: str, now: datetime, *, for_update: bool = False
    ) -> PaymentAttempt:
        """An attempt settled at ``now`` (what time did to it is stored, with its effects)."""
        attempt = tx.attempt(tenant, attempt_id, for_update=for_update)
        if attempt is None:
            raise PaymentAttemptError(AttemptReason.NOT_FOUND, attempt_id=attempt_id)
        settled = pay.settle(attempt, now)
        if settled != attempt:
            if not for_update:  # re-read locked: a concurrent authorize may have just committed
                return self.load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, attempt, settled, now)
        return settled

    def resolve_due(self, tx: Tx, tenant: str, now: datetime) -> None:
        """Give every pending payment of the tenant whose scripted result has come that result."""
        for attempt_id in tx.pending_attempt_ids(tenant):
            self.load(tx, tenant, attempt_id, now)

    def _verify(self, tx: Tx, tenant: str, request: NoticeRequest, now: datetime) -> NoticeInfo:
        """The node's verify inside ``tx``, after what has come due is applied."""
        self.resolve_due(tx, tenant, now)
        receipts.deliver_due_receipts(tx, tenant, now)
        return lookup(tx, tenant, request, now, self.sandbox.settings.faker_seed)

    def _choose(
        self,
        tx: Tx,
        tenant: str,
        attempt: PaymentAttempt,
        method: psps.PaymentMethod,
        psp_id: str | None,
        now: datetime,
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
        chosen = pay.choose(attempt, method, psp, now)
        where = {"cart_id": attempt.cart_id, "attempt_id": attempt.id}
        if chosen.method != attempt.method:
            events.record(tx, tenant, EventType.METHOD_CHOSEN, now, **where, method=method)
        events.record(
            tx, tenant, EventType.PSP_CHOSEN, now, **where, pspId=psp.id, pspName=psp.name, fee=chosen.fee
        )
        return chosen

    def _save(
        self, tx: Tx, tenant: str, before: PaymentAttempt, after: PaymentAttempt, now: datetime
    ) -> PaymentAttempt:
        return save_transition(tx, self.engine, tenant, before, after, now)

    # --- scenario steps and failures ------------------------------------------------------------
    def _node_step(self, tenant: str, name: str, step: NodeStep, cart_id: str | None) -> None:
        """A verify/activate step of the scenario: its delay (slept, recorded), then its fault."""
        if step.delay:
            self._delay(tenant, name, step.delay, cart_id, None)
        fault = step.payment_fault()
        if fault is not None:
            raise fault

    def _delay(
        self, tenant: str, step: str, delay: timedelta, cart_id: str | None, attempt_id: str | None
    ) -> None:
        slept = self.engine.wait(delay)
        with self.sandbox.store.transaction() as tx:
            events.record(
                tx,
                tenant,
                EventType.STEP_DELAYED,
                self.sandbox.tenant_now(tx, tenant),
                cart_id=cart_id,
                attempt_id=attempt_id,
                step=step,
                delay=format_duration(delay),
                sleptSeconds=round(slept, 3),
            )

    def _failed(
        self,
        tenant: str,
        type: EventType,
        fault: PaymentFault,
        cart_id: str | None,
        notices: Sequence[NoticeRequest],
    ) -> None:
        """A verify/activate failure changed nothing: record it on its own, and on a cart with no
        live attempt (its payment stops here: the payer's way out is the error page)."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            events.record(
                tx,
                tenant,
                type,
                now,
                cart_id=cart_id,
                faultCodeCategory=fault.category,
                faultCode=fault.fault_code,
                notices=[{"fiscalCode": n.fiscal_code, "noticeNumber": n.nav} for n in notices],
            )
            cart = tx.cart(tenant, cart_id) if cart_id is not None else None
            if cart is None:
                return
            if cart.attempt_id is not None:
                try:
                    live = self.load(tx, tenant, cart.attempt_id, now).state in _LIVE
                except PaymentAttemptError:
                    live = False
                if live:
                    return
            tx.save_cart(tenant, replace(cart, fault=fault.fault_code))

    def _require_live_cart(self, tenant: str, cart: Cart) -> None:
        with self.sandbox.store.transaction() as tx:
            if cart.expired(self.sandbox.tenant_now(tx, tenant)):
                raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart.id)


def _facts(attempt: PaymentAttempt) -> list[NoticeFacts]:
    return [NoticeFacts(n.fiscal_code, n.nav, n.amount) for n in attempt.notices]
