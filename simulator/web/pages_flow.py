"""Where a checkout session stands, and the service calls the pages make.

``step(need)`` is every mid-flow page's gate: a finished session goes to its terminal page, an
expired one ends (releasing the notices) on ``/sessione-scaduta``, one missing an earlier step goes
back to that step. So the back button after paying, a stale form or a second "Paga" never charges
again: they are redirected before any service call.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import IntEnum
from typing import NoReturn

from flask import abort, redirect

from simulator.domain import psps, test_cards
from simulator.domain.cart import Ending
from simulator.domain.errors import InvalidInput, PaymentAttemptError
from simulator.domain.money import format_euro_it
from simulator.domain.payment import AttemptState, PaymentAttempt
from simulator.domain.selection import ChoiceSource
from simulator.scenario.model import UserAction
from simulator.services.checkout import CheckoutService
from simulator.services.payments import NoticeRequest, PaymentService
from simulator.services.return_urls import signed_return_url
from simulator.services.scenario_engine import ScenarioEngine
from simulator.web import pages_session as ps
from simulator.web.pages_text import method_label
from simulator.web.pipeline import sandbox

CARD = psps.PaymentMethod.CP.value
TERMINAL_PAGES = {
    Ending.OUTCOME.value: "/esito",
    Ending.CANCELLED.value: "/annullato",
    Ending.ERROR.value: "/errore",
    Ending.EXPIRED.value: "/sessione-scaduta",
}


class Need(IntEnum):
    """What a page needs done before it, in flow order."""

    NOTHING = 0
    EMAIL = 1
    CARD_METHOD = 2  # the card page: the method chosen is CP
    ATTEMPT = 3  # the notices are activated and a method (and card) chosen
    PSP = 4
    CHALLENGE = 5  # "Paga" pressed with a card that asks for 3DS


def payments() -> PaymentService:
    return PaymentService(sandbox())


def leave(url: str) -> NoReturn:
    """Stop this view and send the browser to ``url`` (the gates' way out)."""
    abort(redirect(url, code=303))


# --- starting a session ----------------------------------------------------------------------------


def begin_with_notice(tenant: str, fiscal_code: str, nav: str, amount: int | None = None) -> ps.Current:
    """Verify a notice typed, scanned or deep-linked, and start a session paying it."""
    info = payments().verify(tenant, fiscal_code, nav, amount=amount)
    notice = ps.NoticeView(info.fiscal_code, info.nav, info.amount, info.company_name, info.description)
    return ps.start(tenant, ps.CheckoutState(origin=ps.ORIGIN_NOTICE, notices=[notice]))


def begin_with_cart(tenant: str, cart_id: str) -> ps.Current:
    """A cart from the EC (unknown or expired: the cart-not-found page); lives no longer than it."""
    cart = CheckoutService(sandbox()).get_cart(tenant, cart_id)
    urls = cart.return_urls
    state = ps.CheckoutState(
        origin=ps.ORIGIN_CART,
        notices=[
            ps.NoticeView(n.fiscal_code, n.notice_number, n.amount, n.company_name, n.description)
            for n in cart.notices
        ],
        cart_id=cart.id,
        return_urls={"ok": urls.ok, "cancel": urls.cancel, "error": urls.error, "waiting": urls.waiting},
        email=cart.email,
    )
    return ps.start(tenant, state, until=cart.expires_at)


# --- the gate --------------------------------------------------------------------------------------


def step(need: Need) -> ps.Current:
    current = ps.require()
    state = current.state
    if state.finished:
        leave(TERMINAL_PAGES[state.ending or Ending.ERROR.value])
    if current.expired:
        expire(current)
        leave("/sessione-scaduta")
    missing = _missing(state, need)
    if missing is not None:
        leave(missing)
    return current


def _missing(state: ps.CheckoutState, need: Need) -> str | None:
    if need >= Need.EMAIL and not state.email:
        return "/inserisci-email"
    if need >= Need.CARD_METHOD and state.method is None:
        return "/scegli-metodo"
    if need == Need.CARD_METHOD and state.method != CARD:
        return "/scegli-metodo"
    if need >= Need.ATTEMPT and uses_card(state) and state.card is None:
        return "/inserisci-carta"
    if need >= Need.ATTEMPT and state.attempt_id is None:
        return "/scegli-metodo"
    if need >= Need.PSP and state.psp_id is None:
        return "/lista-psp"
    if need >= Need.CHALLENGE and not (state.card and state.extra.get("challenge")):
        return "/riepilogo-pagamento"
    return None


def expire(current: ps.Current) -> None:
    """The session's time is up: its attempt (if still open) expires and frees the notices."""
    if current.state.attempt_id is not None:
        # already ended (paid, cancelled or expired by its token): nothing to release
        with contextlib.suppress(PaymentAttemptError):
            payments().expire(current.tenant, current.state.attempt_id)
    current.state.ending = Ending.EXPIRED.value
    ps.save(current)


# --- the payment -------------------------------------------------------------------------------------


def activate_and_choose(current: ps.Current, card_number: str | None = None) -> None:
    """Activate the notices (once per session) and pick the method with its cheapest PSP. The card
    number (never kept) lets the scenario be chosen again by card rules and test cards."""
    state = current.state
    if state.attempt_id is None:
        attempt = _start_attempt(current)
        state.attempt_id = attempt.id
        state.notices = [
            ps.NoticeView(n.fiscal_code, n.nav, n.amount, n.company_name, n.description)
            for n in attempt.notices
        ]
        ps.save(current)  # the attempt exists now, whatever happens next
    _take(
        current,
        payments().choose_method(current.tenant, state.attempt_id, state.method or CARD, card=card_number),
    )


def _start_attempt(current: ps.Current) -> PaymentAttempt:
    state = current.state
    if state.cart_id is not None:
        cart = CheckoutService(sandbox()).get_cart(current.tenant, state.cart_id)
        return payments().start_attempt(current.tenant, cart, state.email)
    requests = [
        NoticeRequest(n.fiscal_code, n.notice_number, n.amount, n.description, n.company_name)
        for n in state.notices
    ]
    return payments().start_attempt(current.tenant, requests, state.email)


def choose_psp(current: ps.Current, psp_id: str) -> None:
    assert current.state.attempt_id is not None
    _take(current, payments().choose_psp(current.tenant, current.state.attempt_id, psp_id))


def _take(current: ps.Current, attempt: PaymentAttempt) -> None:
    current.state.psp_id = attempt.psp_id
    current.state.fee = attempt.fee
    ps.save(current)


def press_pay(current: ps.Current, pick: str | None = None) -> str:
    """ "Paga" (with the trainer's pick of a scenario, in trainer mode): when the scenario asks for
    3DS, the card's code first; else authorized now, as the scenario says. The next page."""
    assert current.state.attempt_id is not None  # Need.PSP guarantees it
    if pick:
        if pick not in {scenario_id for scenario_id, _ in trainer_options()}:
            raise InvalidInput("scenario", "is not one of the scenarios offered")
        payments().pick_scenario(current.tenant, current.state.attempt_id, pick)
    if uses_card(current.state) and payments().needs_challenge(current.tenant, current.state.attempt_id):
        current.state.extra["challenge"] = True
        ps.save(current)
        return "/verifica-3ds"
    authorize(current)
    return "/esito"


def answer_challenge(current: ps.Current, code: str) -> None:
    """The 3DS code: the right one authorizes as the scenario says, a wrong one is denied (2)."""
    if code == test_cards.CHALLENGE_CODE:
        authorize(current)
    else:
        authorize(current, test_cards.CHALLENGE_FAILED_OUTCOME)


def card_view(number: str, holder: str, expiry: str) -> ps.CardView:
    """What is kept of a valid card: never its number, only brand, last 4 digits and behaviour."""
    behaviour = test_cards.behaviour_of(number)
    return ps.CardView(
        brand=test_cards.card_brand(number),
        last4=number[-4:],
        holder=holder,
        expiry=expiry,
        outcome=behaviour.outcome,
        challenge=behaviour.challenge,
    )


def authorize(current: ps.Current, outcome: int | None = None) -> None:
    """Pay (``outcome`` None: as the scenario says): the service refuses a second authorization,
    so a double "Paga" charges once."""
    assert current.state.attempt_id is not None
    attempt = payments().authorize(current.tenant, current.state.attempt_id, outcome)
    _record_outcome(current, attempt)


def cancel(current: ps.Current) -> None:
    if current.state.attempt_id is not None:
        payments().cancel(current.tenant, current.state.attempt_id)
    current.state.ending = Ending.CANCELLED.value
    ps.save(current)


def _record_outcome(current: ps.Current, attempt: PaymentAttempt) -> None:
    state = current.state
    if attempt.state is AttemptState.CANCELED:
        state.ending = Ending.CANCELLED.value
    elif attempt.state is AttemptState.EXPIRED_NOT_AUTHORIZED:
        state.ending = Ending.EXPIRED.value
    else:
        state.ending = Ending.OUTCOME.value
    state.outcome = attempt.outcome.value if attempt.outcome is not None else None
    ps.save(current)


def settle_outcome() -> ps.Current:
    """``/esito``: the attempt's outcome as it stands now (a pending 17 may have been resolved)."""
    current = ps.require()
    state = current.state
    if state.ending is not None and state.ending != Ending.OUTCOME.value:
        leave(TERMINAL_PAGES[state.ending])
    if state.attempt_id is None:
        step(Need.PSP)  # not paid yet: back to where the flow stands
        leave("/riepilogo-pagamento")
    attempt = payments().get_attempt(current.tenant, state.attempt_id)
    if attempt.outcome is None:  # still open: the payment was not made (yet)
        step(Need.PSP)
        leave("/riepilogo-pagamento")
    if state.outcome != attempt.outcome.value or state.ending is None:
        _record_outcome(current, attempt)
    if state.ending != Ending.OUTCOME.value:
        leave(TERMINAL_PAGES[state.ending or Ending.ERROR.value])
    return current


def terminal(ending: Ending) -> ps.Current:
    """A terminal page reached with a session that did not end that way goes where it stands."""
    current = ps.require()
    if current.state.ending != ending.value:
        step(Need.NOTHING)
        leave(resume_url(current.state))
    return current


def resume_url(state: ps.CheckoutState) -> str:
    """The page an unfinished session stands at."""
    if state.extra.get("challenge"):
        return _missing(state, Need.CHALLENGE) or "/verifica-3ds"
    return _missing(state, Need.PSP) or "/riepilogo-pagamento"


def exit_url(current: ps.Current | None, ending: Ending | None = None) -> str:
    """A terminal page's button: the cart's return URL for that ending (exactly as given, or with
    the signed outcome when the cart opted in), or home."""
    if current is None:
        return "/"
    state = current.state
    ending = ending or (Ending(state.ending) if state.ending else None)
    url = state.exit_url(ending)
    return signed_return_url(sandbox(), current.session.tenant, state.cart_id, url, ending)


# --- trainer mode ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainerPanel:
    """The summary page's "choose the outcome" panel: the scenarios that can still happen once the
    notices are activated (no verify/activate fault) and that the person at the keyboard does not
    play themselves (``user: pays``), and the one the payment runs now. ``fixed`` when a choice of
    higher precedence (sandbox API, header, cart body) stands."""

    options: list[tuple[str, str]]
    current: str
    current_title: str
    reason: str
    fixed: bool


def trainer_options() -> list[tuple[str, str]]:
    """(id, title) of the scenarios a trainer may pick on the summary page."""
    return [
        (s.id, s.title)
        for s in (sandbox().scenarios or [])
        if s.steps.fault is None and s.steps.user is UserAction.PAYS
    ]


def trainer_panel(current: ps.Current) -> TrainerPanel | None:
    sb = sandbox()
    if not sb.settings.trainer_mode or current.state.attempt_id is None:
        return None
    engine = ScenarioEngine(sb)
    choice = payments().get_attempt(current.tenant, current.state.attempt_id).scenario
    return TrainerPanel(
        options=trainer_options(),
        current=choice.scenario_id if choice is not None else engine.scenario(None).id,
        current_title=engine.title(choice),
        reason=choice.reason if choice is not None else "",
        fixed=choice is not None and choice.explicit and choice.source.rank < ChoiceSource.TRAINER.rank,
    )


# --- what the pages list -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MethodOffer:
    code: str
    label: str
    low: int
    high: int


def methods(current: ps.Current) -> list[MethodOffer]:
    amount = current.state.amount
    offers = []
    for method in psps.methods_for(amount):
        fees = psps.fee_range(method, amount)
        if fees is not None:
            offers.append(
                MethodOffer(method.value, method_label(method.value, method.label), fees[0], fees[1])
            )
    return offers


def offers(current: ps.Current) -> list[psps.PspOffer]:
    return psps.psps_for(current.state.method or CARD, current.state.amount)


def uses_card(state: ps.CheckoutState) -> bool:
    return state.method == CARD


def pay_with(state: ps.CheckoutState) -> str:
    """ "Paga con": the card's brand and last 4 digits, or the method's name."""
    if state.card is not None:
        return f"{state.card.brand.title()} •••• {state.card.last4}"
    method = psps.parse_method(state.method or CARD)
    return method_label(method.value, method.label)


def psp_name(psp_id: str | None) -> str:
    psp = psps.psp_by_id(psp_id or "")
    return psp.name if psp else ""


def euro(cents: int) -> str:
    return format_euro_it(cents)
