"""The scenario engine: what the payment service asks at each step. It chooses a scenario for a
cart or notices (and says why), finds the scenario a stored choice names, turns the authorize and
close steps into a plan, and honours delays with a real, capped sleep.

It never opens a transaction: the services decide when to ask, and sleep outside their
transactions so a slow scenario never holds the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from simulator.domain.errors import InvalidInput
from simulator.domain.payment import OutcomeCode, Resolution, parse_outcome
from simulator.domain.psps import PaymentMethod
from simulator.domain.selection import ChoiceSource, ScenarioChoice, explicit_choice
from simulator.scenario.library import ScenarioLibrary, SelectionReason
from simulator.scenario.model import (
    AUTHORIZE_OUTCOMES,
    DEFAULT_SCENARIO,
    CloseOutcome,
    MatchFacts,
    NoticeFacts,
    Scenario,
    UnknownScenario,
)

__all__ = ["AuthorizationPlan", "ScenarioEngine", "parse_requested_outcome"]

# What runs when no library is loaded (a Sandbox built by hand): everything goes well.
FALLBACK = Scenario(id=DEFAULT_SCENARIO, title="Everything works", description="No library loaded.")

_SOURCES = {
    SelectionReason.MATCH: ChoiceSource.MATCH,
    SelectionReason.UAT: ChoiceSource.UAT,
    SelectionReason.DEFAULT: ChoiceSource.DEFAULT,
}

# Outcomes a caller may ask for by name, besides the authorization outcomes of the scenarios.
_CLOSE_NAMES = {"pending": OutcomeCode.TAKEN_IN_CHARGE, "refunded": OutcomeCode.REFUNDED}


@dataclass(frozen=True, slots=True)
class AuthorizationPlan:
    """What ``authorize`` does: the PSP's answer, then (on 0) how closing ends, and when a
    pending payment resolves (``resolve_after`` None: it stays pending until resolved by hand)."""

    outcome: OutcomeCode
    close: CloseOutcome = CloseOutcome.OK
    resolve_after: timedelta | None = None
    resolution: Resolution = Resolution.OK
    delay: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class ScenarioEngine:
    library: ScenarioLibrary | None
    delay_cap_seconds: float = 10.0
    sleep: Callable[[float], None] = time.sleep

    # --- choosing --------------------------------------------------------------------------
    def explicit(self, scenario_id: str, source: ChoiceSource) -> ScenarioChoice:
        """A choice by id; ``UnknownScenario`` when no loaded scenario has it."""
        if self.library is None:
            if scenario_id != DEFAULT_SCENARIO:
                raise UnknownScenario(scenario_id)
        else:
            self.library.get(scenario_id)
        return explicit_choice(scenario_id, source)

    def choose(self, notices: Iterable[NoticeFacts], card: str | None = None) -> ScenarioChoice:
        """The rules' choice for these notices (and card, once typed): ``match:`` rules, the UAT
        conventions, else happy-path."""
        if self.library is None:
            return ScenarioChoice(DEFAULT_SCENARIO, ChoiceSource.DEFAULT, "default: no library loaded")
        selection = self.library.select(MatchFacts(tuple(notices), card))
        return ScenarioChoice(selection.scenario.id, _SOURCES[selection.reason], selection.detail)

    def rechoose(
        self, current: ScenarioChoice | None, notices: Iterable[NoticeFacts], card: str | None = None
    ) -> ScenarioChoice:
        """The choice once more is known: an explicit one stands, a rule's is evaluated again."""
        if current is not None and current.explicit:
            return current
        return self.choose(notices, card)

    def scenario(self, choice: ScenarioChoice | None) -> Scenario:
        """The scenario a stored choice names; happy-path if it is gone (a reload removed it)."""
        library = self.library
        if library is None:
            return FALLBACK
        found = library.find(choice.scenario_id) if choice is not None else None
        return found or library.find(DEFAULT_SCENARIO) or FALLBACK

    def title(self, choice: ScenarioChoice | None) -> str:
        return self.scenario(choice).title

    # --- steps -----------------------------------------------------------------------------
    def authorization(
        self,
        scenario: Scenario,
        requested: OutcomeCode | None = None,
    ) -> AuthorizationPlan:
        """The scenario's authorize and close steps as a plan; a ``requested`` outcome (the
        headless API's, a wrong 3DS code's) replaces both: 0 paid, 17 pending (resolved as the
        scenario's ``then`` says, if it has one), 18 refunded, any other the PSP's KO."""
        steps = scenario.steps
        then = steps.close.then
        resolve_after = then.after if then is not None else None
        resolution = then.outcome if then is not None else Resolution.OK
        if requested is None:
            return AuthorizationPlan(
                steps.authorize.outcome,
                steps.close.outcome,
                resolve_after,
                resolution,
                steps.authorize.delay,
            )
        if requested is OutcomeCode.TAKEN_IN_CHARGE:
            return AuthorizationPlan(OutcomeCode.SUCCESS, CloseOutcome.PENDING, resolve_after, resolution)
        if requested is OutcomeCode.REFUNDED:
            return AuthorizationPlan(OutcomeCode.SUCCESS, CloseOutcome.REFUNDED)
        return AuthorizationPlan(requested)

    def challenge(self, scenario: Scenario, method: PaymentMethod | None) -> bool:
        """Whether the pages ask for the 3DS code first: the scenario says so, and it is a card."""
        return scenario.steps.authorize.challenge and method is PaymentMethod.CP

    def wait(self, delay: timedelta) -> float:
        """Honour a scenario's delay: sleep it, capped by ``delay_cap_seconds`` (the settings'); returns
        the seconds slept."""
        seconds = max(0.0, min(delay.total_seconds(), self.delay_cap_seconds))
        if seconds > 0:
            self.sleep(seconds)
        return seconds


def parse_requested_outcome(value: object, field: str = "outcome") -> OutcomeCode:
    """An outcome asked for by number (0, 2, 17 ...) or by name (``declined``, ``pending``,
    ``refunded`` ...); ``InvalidInput`` naming ``field`` otherwise."""
    if isinstance(value, str) and not value.isdigit():
        code = AUTHORIZE_OUTCOMES.get(value) or _CLOSE_NAMES.get(value)
        if code is None:
            names = ", ".join([*AUTHORIZE_OUTCOMES, *_CLOSE_NAMES])
            raise InvalidInput(field, f"{value!r} is not an outcome (a code, or one of {names})")
        return code
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(field, "is an outcome code (a number) or an outcome name")
    return parse_outcome(value, field)
