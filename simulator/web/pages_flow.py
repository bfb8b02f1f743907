"""Where a checkout session stands, as pages: the gate every mid-flow page passes, and the URL of
each step of the payer's journey (``services.journey`` makes the steps).

``step(unit, need)`` is every mid-flow page's gate: a finished session goes to its terminal page,
an expired one ends (releasing the notices) on ``/sessione-scaduta``, one missing an earlier step
goes back to that step. So the back button after paying, a stale form or a second "Paga" never
charges again: they are redirected before any payment step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from flask import redirect
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from simulator.domain import psps
from simulator.domain.cart import Ending
from simulator.domain.journey import CARD, Need, Step, missing
from simulator.services import journey, payments
from simulator.services.unit import Unit
from simulator.web import pages_session as ps
from simulator.web.pages_text import method_label

__all__ = ["CARD", "TERMINAL_PAGES", "Need"]

TERMINAL_PAGES = {
    Ending.OUTCOME.value: "/esito",
    Ending.CANCELLED.value: "/annullato",
    Ending.ERROR.value: "/errore",
    Ending.EXPIRED.value: "/sessione-scaduta",
}
STEP_PAGES = {
    Step.EMAIL: "/inserisci-email",
    Step.METHOD: "/scegli-metodo",
    Step.CARD: "/inserisci-carta",
    Step.PSP: "/lista-psp",
    Step.SUMMARY: "/riepilogo-pagamento",
}


def leave(unit: Unit, url: str) -> NoReturn:
    """Stop this view and send the browser to ``url`` (the gates' way out), keeping what the unit
    did on the way (an expired session's attempt ended, say)."""
    unit.fail(HTTPException(response=redirect(url, code=303)))


# --- the gate --------------------------------------------------------------------------------------


def step(unit: Unit, need: Need) -> ps.Current:
    current = ps.require(unit)
    state = current.state
    if state.finished:
        leave(unit, TERMINAL_PAGES[state.ending or Ending.ERROR.value])
    if current.expired:
        unit.require_write()
        journey.expire(unit, state)
        ps.save(unit, current)
        leave(unit, "/sessione-scaduta")
    gap = missing(state, need)
    if gap is not None:
        leave(unit, STEP_PAGES[gap])
    return current


def settle_outcome(unit: Unit) -> ps.Current:
    """``/esito``: the attempt's outcome as it stands now (a pending 17 may have been resolved)."""
    current = ps.require(unit)
    state = current.state
    if state.ending is not None and state.ending != Ending.OUTCOME.value:
        leave(unit, TERMINAL_PAGES[state.ending])
    before = (state.outcome, state.ending)
    if journey.refresh_outcome(unit, state) is None:  # not paid yet: back to where the flow stands
        step(unit, Need.PSP)
        leave(unit, "/riepilogo-pagamento")
    if (state.outcome, state.ending) != before:
        ps.save(unit, current)
    if state.ending != Ending.OUTCOME.value:
        leave(unit, TERMINAL_PAGES[state.ending or Ending.ERROR.value])
    return current


def terminal(unit: Unit, ending: Ending) -> ps.Current:
    """A terminal page reached with a session that did not end that way goes where it stands."""
    current = ps.require(unit)
    if current.state.ending != ending.value:
        step(unit, Need.NOTHING)
        leave(unit, resume_url(current.state))
    return current


def resume_url(state: ps.CheckoutState) -> str:
    """The page an unfinished session stands at."""
    if state.extra.get("challenge"):
        gap = missing(state, Need.CHALLENGE)
        return STEP_PAGES[gap] if gap is not None else "/verifica-3ds"
    gap = missing(state, Need.PSP)
    return STEP_PAGES[gap] if gap is not None else "/riepilogo-pagamento"


def exit_url(unit: Unit, current: ps.Current | None, ending: Ending | None = None) -> str:
    """A terminal page's button: the cart's return URL for that ending, or home."""
    return "/" if current is None else journey.exit_url(unit, current.state, ending)


# --- trainer mode ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainerPanel:
    """The summary page's "choose the outcome" panel: the scenarios a trainer may pick, and the one
    the payment runs now. ``fixed`` when a choice of higher precedence (sandbox API, header, cart
    body) stands."""

    options: list[tuple[str, str]]
    current: str
    current_title: str
    reason: str
    fixed: bool


def trainer_panel(unit: Unit, current: ps.Current) -> TrainerPanel | None:
    if not unit.settings.trainer_mode or current.state.attempt_id is None:
        return None
    attempt = payments.get_attempt(unit, current.state.attempt_id)
    choice = attempt.scenario
    running = unit.engine.scenario(choice)
    language = getattr(get_locale(), "language", "it")  # the page's: titles in it or en
    return TrainerPanel(
        options=[(s.id, s.title_in(language)) for s in journey.trainer_options(unit)],
        current=choice.scenario_id if choice is not None else running.id,
        current_title=running.title_in(language),
        reason=choice.reason if choice is not None else "",
        fixed=journey.trainer_fixed(attempt),
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
    return state.uses_card


def pay_with(state: ps.CheckoutState) -> str:
    """ "Paga con": the card's brand and last 4 digits, or the method's name."""
    if state.card is not None:
        return f"{state.card.brand.title()} •••• {state.card.last4}"
    method = journey.method_for(state)
    return method_label(method.value, method.label)


def psp_name(psp_id: str | None) -> str:
    psp = psps.psp_by_id(psp_id or "")
    return psp.name if psp else ""
