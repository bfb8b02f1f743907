"""Which scenario a cart or a payment attempt runs, and why. The choice is stored with them, so the
status query can say which scenario applied and what chose it, and a later choice can tell whether
it may replace an earlier one (first match wins: an explicit choice outranks any rule)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["ChoiceSource", "ScenarioChoice", "explicit_choice"]


class ChoiceSource(Enum):
    """What chose the scenario, in precedence order: the explicit sources first, then the rules."""

    CERTIFICATION = "certification"  # the next case of the tenant's certification run
    API = "api"  # PUT /_sandbox/v1/carts/{id}/scenario
    HEADER = "header"  # X-Sandbox-Scenario on the cart request
    BODY = "body"  # "sandbox": {"scenario": ...} in the cart body
    TRAINER = "trainer"  # the tester's pick on the summary page (trainer mode)
    MATCH = "match"  # a scenario's match: rules
    UAT = "uat"  # a UAT convention (reference §6)
    DEFAULT = "default"  # nothing else: happy-path

    @property
    def explicit(self) -> bool:
        """Chosen by id: never re-evaluated when more is known (the card number)."""
        return self in _EXPLICIT_REASONS

    @property
    def rank(self) -> int:
        return _ORDER.index(self)


_ORDER = list(ChoiceSource)
_EXPLICIT_REASONS = {
    ChoiceSource.CERTIFICATION: "certification run: the next case",
    ChoiceSource.API: "sandbox API: PUT /_sandbox/v1/carts/{id}/scenario",
    ChoiceSource.HEADER: "header X-Sandbox-Scenario",
    ChoiceSource.BODY: "cart body: sandbox.scenario",
    ChoiceSource.TRAINER: "trainer mode: the tester's pick",
}


@dataclass(frozen=True, slots=True)
class ScenarioChoice:
    """A scenario id, what chose it, and why in words (``header X-Sandbox-Scenario``,
    ``match: NAV matching ...``, ``UAT: EC 77777777002``, ...)."""

    scenario_id: str
    source: ChoiceSource
    reason: str

    @property
    def explicit(self) -> bool:
        return self.source.explicit

    def yields_to(self, other: ScenarioChoice) -> bool:
        """Whether ``other`` may replace this choice: any choice replaces a rule's; an explicit
        one is replaced only by a source of the same or a higher precedence."""
        return not self.explicit or other.source.rank <= self.source.rank


def explicit_choice(scenario_id: str, source: ChoiceSource) -> ScenarioChoice:
    """The choice of a scenario by id through ``source`` (one of the explicit sources)."""
    if not source.explicit:
        raise ValueError(f"{source.value} is not an explicit source")
    return ScenarioChoice(scenario_id, source, _EXPLICIT_REASONS[source])
