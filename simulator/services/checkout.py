"""Checkout's cart use cases: create a cart (with the node's checkPosition, and the scenario that
will run it) and read it back."""

from __future__ import annotations

from dataclasses import dataclass, replace

from simulator.domain.cart import Cart, PaymentNotice, ReturnUrls, new_cart
from simulator.domain.ec_settings import EcSettings, url_allowed
from simulator.domain.errors import CheckoutError, CheckoutReason, InvalidInput
from simulator.domain.events import EventType
from simulator.domain.return_signature import check_appendable
from simulator.domain.rpt import WispSession
from simulator.domain.selection import ChoiceSource, ScenarioChoice
from simulator.scenario.model import NoticeFacts
from simulator.services import certifications
from simulator.services.destination_check import check_notify_url
from simulator.services.outbound import ec_secret
from simulator.services.scenario_engine import ScenarioEngine
from simulator.services.unit import Unit


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
    # The base URL the request came in at: the sandbox itself, never a notification endpoint.
    reached_at: str | None = None


def create_cart(
    unit: Unit, request: CartRequest, *, cart_id: str | None = None, wisp: WispSession | None = None
) -> Cart:
    """A new cart, and the scenario that will run it: the header's, else the body's (an unknown id
    in either is ``UnknownScenario``), else the rules' for its notices; in the tenant of a
    certification run, the run's next case decides first. ``cart_id`` and ``wisp``: a cart a
    station's RPTs became (modello 1)."""
    if request.notify_url is not None:
        check_notify_url(unit.settings, request.notify_url, "sandbox.notifyUrl", request.reached_at)
    certified = certifications.next_case(unit)
    choice = certified[2] if certified is not None else _choice(unit.engine, request)
    append = opt_in(unit, request.notices[0].fiscal_code, request.return_urls, request.append_outcome)
    if append:  # the EC's secret exists from now on: reading the signed return URL writes nothing
        ec_secret(unit, request.notices[0].fiscal_code)
    cart = new_cart(
        cart_id or unit.ids.uuid(),
        request.notices,
        request.return_urls,
        unit.now,
        api_version=request.api_version,
        email=request.email,
        id_cart=request.id_cart,
        all_ccp=request.all_ccp,
        scenario=choice,
        notify_url=request.notify_url,
        append_outcome=append,
    )
    if wisp is not None:
        cart = replace(cart, wisp=wisp)
    for notice in cart.notices:
        _check_position(unit, notice)
    unit.checkout.insert_cart(cart)
    if certified is not None:
        certifications.assign(unit, certified[0], certified[1], cart)
    unit.record(
        EventType.CART_CREATED,
        cart_id=cart.id,
        idCart=cart.id_cart,
        apiVersion=cart.api_version,
        totalAmount=cart.total_amount,
        notices=[{"fiscalCode": n.fiscal_code, "noticeNumber": n.notice_number} for n in cart.notices],
        expiresAt=cart.expires_at,
    )
    unit.record(
        EventType.SCENARIO_SELECTED,
        cart_id=cart.id,
        scenario=choice.scenario_id,
        source=choice.source,
        reason=choice.reason,
    )
    return cart


def get_cart(unit: Unit, cart_id: str) -> Cart:
    """A live cart of the tenant; CART_NOT_FOUND when unknown or expired."""
    cart = unit.checkout.cart(cart_id)
    if cart is None or cart.expired(unit.now):
        raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart_id)
    return cart


def _choice(engine: ScenarioEngine, request: CartRequest) -> ScenarioChoice:
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


def _check_position(unit: Unit, notice: PaymentNotice) -> None:
    """The node's checkPosition: it answers from the node's own record of payments and never
    calls the EC, so it refuses a notice the node knows paid or being paid (a live payment token,
    a pending outcome) and lets any other through — one its EC does not hold, or holds expired or
    invalidated, is refused later, at verify, with the EC's own fault."""
    fiscal_code, nav = notice.fiscal_code, notice.notice_number
    if unit.receipts.notice_paid(fiscal_code, nav) or unit.checkout.lock_holder(fiscal_code, nav, unit.now):
        raise CheckoutError(CheckoutReason.INVALID_NOTICE)


def opt_in(unit: Unit, fiscal_code: str, urls: ReturnUrls, asked: bool | None) -> bool:
    """Whether the cart's return URL gets the signed outcome (the cart's wish, else its EC's
    default), after the EC's allowlist: a return URL it does not allow is refused (400), as is one
    whose query already uses an appended name when the outcome is appended."""
    org = unit.tenants.organization(fiscal_code)
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
