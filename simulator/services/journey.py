"""The payer's journey, one step per call, in the caller's unit: the pages make one step per
request (their state lives in the page session), and a headless run (``control.complete``) makes
the same steps in one request, as the scenario's ``user`` step says. So a payment made either way
has the same events, receipts, GPD effects and notifications."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from simulator.domain import psps, test_cards
from simulator.domain.cart import Cart, Ending
from simulator.domain.errors import InvalidInput, PaymentAttemptError
from simulator.domain.journey import CARD, ORIGIN_CART, ORIGIN_NOTICE, CardView, CheckoutState, NoticeView
from simulator.domain.payment import AttemptState, OutcomeCode, PaymentAttempt
from simulator.domain.selection import ChoiceSource
from simulator.scenario.model import Scenario, UserAction
from simulator.services import checkout, payments
from simulator.services.notice_lookup import NoticeRequest
from simulator.services.return_urls import sign_return_url
from simulator.services.unit import Unit

__all__ = [
    "CHALLENGE",
    "PAID",
    "abandon",
    "activate_and_choose",
    "answer_challenge",
    "authorize",
    "cancel",
    "card_view",
    "choose_psp",
    "exit_url",
    "expire",
    "for_cart",
    "for_notice",
    "press_pay",
    "refresh_outcome",
    "trainer_options",
]

CHALLENGE, PAID = "challenge", "paid"  # what pressing "Paga" led to


def for_notice(unit: Unit, fiscal_code: str, nav: str, amount: int | None = None) -> CheckoutState:
    """Verify a notice typed, scanned or deep-linked: the journey paying it."""
    info = payments.verify(unit, fiscal_code, nav, amount=amount)
    notice = NoticeView(info.fiscal_code, info.nav, info.amount, info.company_name, info.description)
    return CheckoutState(origin=ORIGIN_NOTICE, notices=[notice])


def for_cart(cart: Cart) -> CheckoutState:
    """The journey paying a cart the EC started."""
    urls = cart.return_urls
    return CheckoutState(
        origin=ORIGIN_CART,
        notices=[
            NoticeView(n.fiscal_code, n.notice_number, n.amount, n.company_name, n.description)
            for n in cart.notices
        ],
        cart_id=cart.id,
        return_urls={"ok": urls.ok, "cancel": urls.cancel, "error": urls.error, "waiting": urls.waiting},
        email=cart.email,
    )


def activate_and_choose(
    unit: Unit, state: CheckoutState, card_number: str | None = None, psp_id: str | None = None
) -> PaymentAttempt:
    """Activate the notices (once per journey) and pick the method with its cheapest PSP (or
    ``psp_id``). The card number (never kept) lets the scenario be chosen again by card rules."""
    if state.attempt_id is None:
        attempt = _start(unit, state)
        state.attempt_id = attempt.id
        state.notices = [
            NoticeView(n.fiscal_code, n.nav, n.amount, n.company_name, n.description) for n in attempt.notices
        ]
    chosen = payments.choose_method(unit, state.attempt_id, state.method or CARD, psp_id, card=card_number)
    _take(state, chosen)
    return chosen


def _start(unit: Unit, state: CheckoutState) -> PaymentAttempt:
    if state.cart_id is not None:
        return payments.start_attempt(unit, checkout.get_cart(unit, state.cart_id), state.email)
    requests = [
        NoticeRequest(n.fiscal_code, n.notice_number, n.amount, n.description, n.company_name)
        for n in state.notices
    ]
    return payments.start_attempt(unit, requests, state.email)


def choose_psp(unit: Unit, state: CheckoutState, psp_id: str) -> None:
    assert state.attempt_id is not None
    _take(state, payments.choose_psp(unit, state.attempt_id, psp_id))


def _take(state: CheckoutState, attempt: PaymentAttempt) -> None:
    state.psp_id = attempt.psp_id
    state.fee = attempt.fee


def press_pay(unit: Unit, state: CheckoutState, pick: str | None = None) -> str:
    """ "Paga" (with the trainer's pick of a scenario, in trainer mode): when the scenario asks for
    3DS, CHALLENGE (the card's code comes first); else authorized now as the scenario says, PAID."""
    assert state.attempt_id is not None
    if pick:
        if pick not in {scenario.id for scenario in trainer_options(unit)}:
            raise InvalidInput("scenario", "is not one of the scenarios offered")
        payments.pick_scenario(unit, state.attempt_id, pick)
    attempt = payments.get_attempt(unit, state.attempt_id)
    if state.uses_card and payments.needs_challenge(unit, attempt):
        state.extra["challenge"] = True
        return CHALLENGE
    authorize(unit, state)
    return PAID


def answer_challenge(unit: Unit, state: CheckoutState, code: str) -> None:
    """The 3DS code: the right one authorizes as the scenario says, a wrong one is denied (2)."""
    if code == test_cards.CHALLENGE_CODE:
        authorize(unit, state)
    else:
        authorize(unit, state, test_cards.CHALLENGE_FAILED_OUTCOME)


def authorize(unit: Unit, state: CheckoutState, outcome: OutcomeCode | int | None = None) -> PaymentAttempt:
    """Pay (``outcome`` None: as the scenario says): a second authorization is refused, so a
    double "Paga" charges once."""
    assert state.attempt_id is not None
    attempt = payments.authorize(unit, state.attempt_id, outcome)
    _record_outcome(state, attempt)
    return attempt


def cancel(unit: Unit, state: CheckoutState) -> None:
    if state.attempt_id is not None:
        payments.cancel(unit, state.attempt_id)
    state.ending = Ending.CANCELLED.value


def expire(unit: Unit, state: CheckoutState) -> None:
    """The pages' session is over (its 10 minutes, or its cart's, ran out). Its attempt is left to
    its payment token: the token lives 900 s from activation whatever the cart's age, so the
    notices stay "in corso" until it ends by itself (by the tenant's clock)."""
    state.ending = Ending.EXPIRED.value


def abandon(unit: Unit, state: CheckoutState) -> None:
    """The payer walked away for good (a headless ``abandons``): the attempt, if still open, ends
    now as its token's end would, and frees the notices."""
    if state.attempt_id is not None:
        # already ended (paid, cancelled or expired by its token): nothing to release
        with contextlib.suppress(PaymentAttemptError):
            payments.expire(unit, state.attempt_id)
    state.ending = Ending.EXPIRED.value


def end_cart_now(unit: Unit, cart_id: str) -> None:
    """The cart ends now, as its clock would end it (a payer who abandoned it)."""
    cart = unit.checkout.cart(cart_id)
    if cart is not None and not cart.expired(unit.now):
        unit.checkout.save_cart(replace(cart, expires_at=unit.now))


def refresh_outcome(unit: Unit, state: CheckoutState) -> PaymentAttempt | None:
    """The attempt as it stands now (a pending 17 may have been resolved), recorded in the state;
    None when no payment was made yet."""
    if state.attempt_id is None:
        return None
    attempt = payments.get_attempt(unit, state.attempt_id)
    if attempt.outcome is None:
        return None
    if state.outcome != attempt.outcome.value or state.ending is None:
        _record_outcome(state, attempt)
    return attempt


def _record_outcome(state: CheckoutState, attempt: PaymentAttempt) -> None:
    if attempt.state is AttemptState.CANCELED:
        state.ending = Ending.CANCELLED.value
    elif attempt.state is AttemptState.EXPIRED_NOT_AUTHORIZED:
        state.ending = Ending.EXPIRED.value
    else:
        state.ending = Ending.OUTCOME.value
    state.outcome = attempt.outcome.value if attempt.outcome is not None else None


def exit_url(unit: Unit, state: CheckoutState, ending: Ending | None = None) -> str:
    """A terminal page's button: the cart's return URL for that ending (exactly as given, or with
    the signed outcome when the cart opted in), or home."""
    url = state.exit_url(ending or (Ending(state.ending) if state.ending else None))
    if state.cart_id is None or not url.startswith(("http://", "https://")):
        return url
    cart = unit.checkout.cart(state.cart_id)
    return url if cart is None else sign_return_url(unit, cart, url, ending)


def card_view(number: str, holder: str, expiry: str) -> CardView:
    """What is kept of a valid card: never its number, only brand, last 4 digits and behaviour."""
    behaviour = test_cards.behaviour_of(number)
    return CardView(
        brand=test_cards.card_brand(number),
        last4=number[-4:],
        holder=holder,
        expiry=expiry,
        outcome=behaviour.outcome,
        challenge=behaviour.challenge,
    )


def trainer_options(unit: Unit) -> list[Scenario]:
    """The scenarios a trainer may pick on the summary page: those that can still happen once the
    notices are activated (no verify/activate fault) and that the person at the keyboard does not
    play themselves (``user: pays``)."""
    library = unit.engine.library
    return [s for s in (library or []) if s.steps.fault is None and s.steps.user is UserAction.PAYS]


def trainer_fixed(attempt: PaymentAttempt) -> bool:
    """Whether a choice of higher precedence than the trainer's (API, header, body) stands."""
    choice = attempt.scenario
    return choice is not None and choice.explicit and choice.source.rank < ChoiceSource.TRAINER.rank


def method_for(state: CheckoutState) -> psps.PaymentMethod:
    return psps.parse_method(state.method or CARD)
