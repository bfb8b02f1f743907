"""Checkout's cart use cases: create a cart (with the node's checkPosition, and the scenario that
will run it) and read it back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from simulator.domain import debt_position as dp
from simulator.domain.cart import Cart, PaymentNotice, ReturnUrls, new_cart
from simulator.domain.ec_settings import EcSettings, url_allowed
from simulator.domain.errors import CheckoutError, CheckoutReason, InvalidInput
from simulator.domain.events import EventType
from simulator.domain.return_signature import check_appendable
from simulator.domain.selection import ChoiceSource, ScenarioChoice
from simulator.scenario.model import NoticeFacts
from simulator.services import events
from simulator.services.context import Sandbox
from simulator.services.scenario_engine import ScenarioEngine
from simulator.storage.store import Tx


@dataclass(frozen=True, slots=True)
class CartRequest:
    notices: tuple[PaymentNotice, ...]
    return_urls: ReturnUrls
    api_version: int
    email: str | None = None
    id_cart: str | None = None
    all_ccp: bool | None = None
    # Scenario ids asked for by the header X-Sandbox-Scenario and by "sandbox": {"scenario": ...}.
    header_scenario: str | None = None
    body_scenario: str | None = None
    # The proposal's opt-in: "sandbox": {"notifyUrl": ..., "appendOutcome": ...}; None: the EC's.
    notify_url: str | None = None
    append_outcome: bool | None = None


@dataclass(frozen=True, slots=True)
class CheckoutService:
    sandbox: Sandbox

    def create_cart(self, tenant: str, request: CartRequest) -> Cart:
        """A new cart, and the scenario that will run it: the header's, else the body's (an
        unknown id in either is ``UnknownScenario``), else the rules' for its notices."""
        choice = self._choice(request)
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            append = opt_in(
                tx, tenant, request.notices[0].fiscal_code, request.return_urls, request.append_outcome
            )
            cart = new_cart(
                str(uuid.uuid4()),
                request.notices,
                request.return_urls,
                now,
                api_version=request.api_version,
                email=request.email,
                id_cart=request.id_cart,
                all_ccp=request.all_ccp,
                scenario=choice,
                notify_url=request.notify_url,
                append_outcome=append,
            )
            for notice in cart.notices:
                self._check_position(tx, tenant, notice)
            tx.insert_cart(tenant, cart)
            events.record(
                tx,
                tenant,
                EventType.CART_CREATED,
                now,
                cart_id=cart.id,
                idCart=cart.id_cart,
                apiVersion=cart.api_version,
                totalAmount=cart.total_amount,
                notices=[
                    {"fiscalCode": n.fiscal_code, "noticeNumber": n.notice_number} for n in cart.notices
                ],
                expiresAt=cart.expires_at,
            )
            events.record(
                tx,
                tenant,
                EventType.SCENARIO_SELECTED,
                now,
                cart_id=cart.id,
                scenario=choice.scenario_id,
                source=choice.source,
                reason=choice.reason,
            )
            return cart

    def _choice(self, request: CartRequest) -> ScenarioChoice:
        engine = ScenarioEngine(self.sandbox)
        asked = [
            engine.explicit(scenario_id, source)
            for source, scenario_id in (
                (ChoiceSource.HEADER, request.header_scenario),
                (ChoiceSource.BODY, request.body_scenario),
            )
            if scenario_id is not None
        ]
        if asked:
            return asked[0]
        return engine.choose([NoticeFacts(n.fiscal_code, n.notice_number, n.amount) for n in request.notices])

    def get_cart(self, tenant: str, cart_id: str) -> Cart:
        with self.sandbox.store.transaction() as tx:
            cart = tx.cart(tenant, cart_id)
            if cart is None or cart.expired(self.sandbox.tenant_now(tx, tenant)):
                raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart_id)
            return cart

    def tenant_of(self, cart_id: str) -> str | None:
        """The tenant that created a cart, whoever asks: what a browser following the redirect needs."""
        with self.sandbox.store.transaction() as tx:
            return tx.cart_tenant(cart_id)

    def _check_position(self, tx: Tx, tenant: str, notice: PaymentNotice) -> None:
        """The node's checkPosition: only notices of ECs whose positions the sandbox holds are
        checked; any other EC's notice is synthetic and payable (the EC is not called here)."""
        if not tx.organization_has_positions(tenant, notice.fiscal_code):
            return
        position = tx.position_by_nav(tenant, notice.fiscal_code, notice.notice_number)
        now = self.sandbox.tenant_now(tx, tenant)
        if dp.payer_view(position, notice.notice_number, now) is not dp.PayerView.PAYABLE:
            raise CheckoutError(CheckoutReason.INVALID_NOTICE)


def opt_in(tx: Tx, tenant: str, fiscal_code: str, urls: ReturnUrls, asked: bool | None) -> bool:
    """Whether the cart's return URL gets the signed outcome (the cart's wish, else its EC's
    default), after the EC's allowlist: a return URL it does not allow is refused (400), as is one
    whose query already uses an appended name when the outcome is appended."""
    org = tx.organization(tenant, fiscal_code)
    settings = EcSettings.from_stored(org.settings) if org is not None else EcSettings()
    append = settings.append_outcome if asked is None else asked
    for key, url in _return_urls(urls):
        if not url_allowed(url, settings.return_url_allowlist):
            raise InvalidInput(f"returnUrls.{key}", "is not in the EC's return-URL allowlist")
        if append:
            try:
                check_appendable(url)
            except ValueError as exc:
                raise InvalidInput(f"returnUrls.{key}", str(exc)) from None
    return append


def _return_urls(urls: ReturnUrls) -> list[tuple[str, str]]:
    named = [
        ("returnOkUrl", urls.ok),
        ("returnCancelUrl", urls.cancel),
        ("returnErrorUrl", urls.error),
        ("returnWaitingUrl", urls.waiting),
    ]
    return [(key, url) for key, url in named if url]
