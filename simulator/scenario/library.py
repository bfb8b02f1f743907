"""The loaded scenarios, and how one is chosen for a payment: by id, by ``match:`` rules, by the
UAT conventions integrators know from pagoPA's test environment (reference §6), else
``happy-path``. No YAML here: the loader builds a library, the services only read it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import MappingProxyType

import simulator
from simulator.domain.test_cards import SANDBOX_CARDS, behaviour_of, normalize_number
from simulator.scenario.model import DEFAULT_SCENARIO, MatchFacts, Scenario, UnknownScenario

__all__ = [
    "CHALLENGE_SCENARIO",
    "UAT_NAV_FAULTS",
    "UAT_OUTCOMES",
    "ScenarioLibrary",
    "Selection",
    "SelectionReason",
    "Trigger",
    "builtin_dir",
    "explain_uat",
    "uat_convention",
]

# --- the UAT conventions (reference §6) -----------------------------------------------------------

UAT_TEST_EC = re.compile(r"77777777([0-9]{3})\Z")  # the test EC 77777777777 and its family
UAT_SUCCESS_SUFFIXES = ("777", "000")
# pagoPA's mock EC: NAV digits 4-5 of an aux-3 NAV (3xxNN...) choose how verify fails.
UAT_NAV_FAULTS: Mapping[str, str] = MappingProxyType(
    {
        "95": "notice-already-paid",  # PAA_PAGAMENTO_DUPLICATO
        "96": "ec-syntax-error",  # PAA_SINTASSI_XSD
        "97": "station-unreachable",  # PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE
        "98": "station-timeout",  # PPT_STAZIONE_INT_PA_TIMEOUT
        "99": "notice-expired",  # PAA_PAGAMENTO_SCADUTO
        "40": "notice-unknown",  # PAA_PAGAMENTO_SCONOSCIUTO
    }
)
# The scenario that ends with each outcome code: chosen by the last 3 digits of a 77777777xxx EC
# (pagoPA's checkout mock) and by the sandbox's test cards.
UAT_OUTCOMES: Mapping[int, str] = MappingProxyType(
    {
        0: DEFAULT_SCENARIO,
        1: "generic-error",
        2: "card-declined",
        3: "invalid-card-data",
        4: "authorization-timeout",
        7: "card-expired",
        8: "authorization-cancelled",
        10: "excessive-amount",
        17: "pending-then-ok",
        18: "refunded",
        25: "psp-error",
        116: "insufficient-balance",
        117: "wrong-cvv",
        121: "limit-exceeded",
    }
)
CHALLENGE_SCENARIO = "3ds-challenge"


def uat_convention(fiscal_code: str | None, nav: str | None, card: str | None = None) -> str | None:
    """The scenario id a UAT convention gives, or None.

    In order: an EC of the ``77777777xxx`` family with an aux-3 NAV whose digits 4-5 are 95-99
    or 40 (verify fails); such an EC whose last 3 digits are a failing outcome code (002 -> 2,
    017 -> 17 ...); a sandbox test card (its outcome, or the 3DS challenge); finally
    ``77777777777``/``77777777000``, which mean success. The NAV rule is kept to the test EC so
    that an integrator's own NAVs never fail by accident.
    """
    found = explain_uat(fiscal_code, nav, card)
    return found[0] if found is not None else None


def explain_uat(fiscal_code: str | None, nav: str | None, card: str | None = None) -> tuple[str, str] | None:
    """(scenario id, which convention gave it, in words), or None: see ``uat_convention``."""
    test_ec = UAT_TEST_EC.match(fiscal_code or "")
    suffix = test_ec.group(1) if test_ec else None
    if suffix is not None and nav and len(nav) == 18 and nav.isdigit() and nav[0] == "3":
        fault = UAT_NAV_FAULTS.get(nav[3:5])
        if fault is not None:
            return fault, f"UAT: NAV 3xx{nav[3:5]}... of EC {fiscal_code}"
    if suffix is not None and suffix not in UAT_SUCCESS_SUFFIXES:
        failing = UAT_OUTCOMES.get(int(suffix))
        if failing is not None:
            return failing, f"UAT: EC {fiscal_code}"
    if card:
        number = normalize_number(card)
        by_card = _card_scenario(number)
        if by_card is not None:
            return by_card, f"UAT: test card {_grouped(number)}"
    if suffix in UAT_SUCCESS_SUFFIXES:
        return DEFAULT_SCENARIO, f"UAT: EC {fiscal_code}"
    return None


def _grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


def _card_scenario(number: str) -> str | None:
    if not any(c.number == number for c in SANDBOX_CARDS):
        return None
    behaviour = behaviour_of(number)
    return CHALLENGE_SCENARIO if behaviour.challenge else UAT_OUTCOMES.get(behaviour.outcome)


def _uat_triggers() -> dict[str, list[str]]:
    """How each UAT-convention scenario is triggered, in words."""
    found: dict[str, list[str]] = {}
    for digits, scenario_id in UAT_NAV_FAULTS.items():
        found.setdefault(scenario_id, []).append(f"UAT: NAV 3xx{digits}... of EC 77777777777")
    for code, scenario_id in UAT_OUTCOMES.items():
        if code != 0:
            found.setdefault(scenario_id, []).append(f"UAT: EC 77777777{code:03d}")
    found.setdefault(DEFAULT_SCENARIO, []).append("UAT: EC 77777777777 or 77777777000")
    for card in SANDBOX_CARDS:
        by_card = _card_scenario(card.number)
        if by_card is not None:
            found.setdefault(by_card, []).append(f"UAT: card {_grouped(card.number)}")
    return found


# --- the library -------------------------------------------------------------------------------------


class SelectionReason(Enum):
    EXPLICIT = "explicit"  # the sandbox API, X-Sandbox-Scenario, sandbox.scenario, trainer mode
    MATCH = "match"  # a scenario's match: rules
    UAT = "uat"  # a UAT convention (reference §6)
    DEFAULT = "default"  # nothing else: happy-path


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen scenario, the kind of rule that chose it, and that rule in words."""

    scenario: Scenario
    reason: SelectionReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Trigger:
    """One way a scenario gets chosen, in words (``kind`` is a SelectionReason)."""

    kind: SelectionReason
    text: str


class ScenarioLibrary:
    """An immutable set of scenarios with unique ids, in match order (the order given)."""

    def __init__(self, scenarios: Iterable[Scenario]) -> None:
        ordered = tuple(scenarios)
        self._by_id: Mapping[str, Scenario] = MappingProxyType({s.id: s for s in ordered})
        if len(self._by_id) != len(ordered):
            raise ValueError("scenario ids must be unique")
        self._ordered = ordered

    def __len__(self) -> int:
        return len(self._ordered)

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self._ordered)

    def __contains__(self, scenario_id: object) -> bool:
        return scenario_id in self._by_id

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self._ordered)

    def get(self, scenario_id: str) -> Scenario:
        """The scenario with this id; ``UnknownScenario`` (an InvalidInput) if there is none."""
        try:
            return self._by_id[scenario_id]
        except KeyError:
            raise UnknownScenario(scenario_id) from None

    def find(self, scenario_id: str) -> Scenario | None:
        return self._by_id.get(scenario_id)

    @property
    def default(self) -> Scenario:
        return self.get(DEFAULT_SCENARIO)

    @property
    def overrides(self) -> Mapping[str, str]:
        """Built-in ids a user scenario replaces -> the built-in file replaced."""
        return {s.id: s.overrides for s in self._ordered if s.overrides is not None}

    def match(self, facts: MatchFacts) -> Scenario | None:
        """The first scenario, in library order, whose ``match:`` rules all hold for the facts."""
        return next((s for s in self._ordered if s.match is not None and s.match.matches(facts)), None)

    def uat(self, facts: MatchFacts) -> Scenario | None:
        """The scenario a UAT convention gives for the first notice that has one."""
        found = self._uat(facts)
        return found[0] if found is not None else None

    def _uat(self, facts: MatchFacts) -> tuple[Scenario, str] | None:
        for notice in facts.notices:
            explained = explain_uat(notice.fiscal_code, notice.nav, facts.card)
            if explained is not None and explained[0] in self._by_id:
                return self._by_id[explained[0]], explained[1]
        if not facts.notices and facts.card:
            explained = explain_uat(None, None, facts.card)
            if explained is not None and explained[0] in self._by_id:
                return self._by_id[explained[0]], explained[1]
        return None

    def select(self, facts: MatchFacts, explicit: str | None = None) -> Selection:
        """The design's selection, first that applies: the explicit id (unknown ->
        ``UnknownScenario``), ``match:`` rules, the UAT conventions, ``happy-path``.

        Call it again when the card number becomes known (authorize): card rules and test cards
        can only choose then."""
        if explicit is not None:
            return Selection(self.get(explicit), SelectionReason.EXPLICIT, "explicit id")
        matched = self.match(facts)
        if matched is not None and matched.match is not None:
            return Selection(matched, SelectionReason.MATCH, matched.match.describe())
        by_uat = self._uat(facts)
        if by_uat is not None:
            return Selection(by_uat[0], SelectionReason.UAT, by_uat[1])
        return Selection(self.default, SelectionReason.DEFAULT, "default: nothing else chose a scenario")

    def triggers(self, scenario_id: str) -> tuple[Trigger, ...]:
        """Every way to get this scenario: its id, its match rules, the UAT conventions."""
        scenario = self.get(scenario_id)
        found = [Trigger(SelectionReason.EXPLICIT, f"X-Sandbox-Scenario: {scenario.id}")]
        if scenario.match is not None:
            found.append(Trigger(SelectionReason.MATCH, scenario.match.describe()))
        found += [Trigger(SelectionReason.UAT, text) for text in _UAT_TRIGGERS.get(scenario.id, [])]
        if scenario.id == DEFAULT_SCENARIO:
            found.append(Trigger(SelectionReason.DEFAULT, "default: when nothing else chooses"))
        return tuple(found)


_UAT_TRIGGERS = _uat_triggers()


# --- where the built-ins are ---------------------------------------------------------------------


def builtin_dir() -> Path | None:
    """The built-in scenarios: ``simulator/_builtin_scenarios`` in an installed wheel (pyproject
    maps the repo's ``scenarios/`` there), else the checkout's ``scenarios/`` beside the package
    (a source checkout, or an editable install, which imports the package from the checkout)."""
    package = Path(simulator.__file__).resolve().parent
    installed = package / "_builtin_scenarios"
    if installed.is_dir():
        return installed
    checkout = package.parent / "scenarios"
    if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return None
