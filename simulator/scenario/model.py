"""Scenarios as values: what each party does at each step of one payment (the rules that pick a
scenario, the durations and the errors are ``rules``'s, ``durations``'s and ``problems``'s, re-exported
here). Pure: the loader turns YAML into these (no yaml or jsonschema here), and every value checks
its own invariants when built."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from types import MappingProxyType

from simulator.domain import payment as pay
from simulator.domain.errors import PaymentFault
from simulator.domain.fault_codes import KNOWN_FAULT_CODES
from simulator.domain.payment import FaultCategory, OutcomeCode, Resolution
from simulator.scenario.durations import NO_DELAY, _non_negative, format_duration, parse_duration
from simulator.scenario.problems import Problem, ScenarioError, UnknownScenario
from simulator.scenario.rules import AmountRange, MatchFacts, MatchRules, NoticeFacts
from simulator.scenario.station_steps import NO_STATION_SCRIPT, StationCall, StationReceipt, StationStep

__all__ = [
    "AUTHORIZE_OUTCOMES",
    "DEFAULT_SCENARIO",
    "FORMAT_VERSION",
    "MAX_NOTIFY_FAILURES",
    "AmountRange",
    "AuthorizeStep",
    "CloseOutcome",
    "CloseStep",
    "MatchFacts",
    "MatchRules",
    "NodeStep",
    "NoticeFacts",
    "NotifyMode",
    "NotifyStep",
    "PendingResolution",
    "Problem",
    "ReceiptMode",
    "ReceiptStep",
    "Scenario",
    "ScenarioError",
    "StationCall",
    "StationReceipt",
    "StationStep",
    "Steps",
    "UnknownScenario",
    "UserAction",
    "format_duration",
    "parse_authorize_outcome",
    "parse_duration",
]

FORMAT_VERSION = 1
DEFAULT_SCENARIO = "happy-path"  # what runs when nothing else selects a scenario
MAX_NOTIFY_FAILURES = 10
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")


# --- steps --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NodeStep:
    """``verify`` or ``activate``: the node answers after ``delay``, or fails with ``fault``."""

    fault: str | None = None
    delay: timedelta = NO_DELAY

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in KNOWN_FAULT_CODES:
            raise ValueError(f"{self.fault!r} is not a known node/EC fault code")
        _non_negative(self.delay, "delay")

    @property
    def ok(self) -> bool:
        return self.fault is None

    @property
    def category(self) -> FaultCategory | None:
        """Checkout's faultCodeCategory for the fault (None when the step succeeds)."""
        return None if self.fault is None else pay.classify_fault(self.fault)[0]

    def payment_fault(self) -> PaymentFault | None:
        """The error the service raises for this step (None when it succeeds)."""
        return None if self.fault is None else pay.fault(self.fault)


# Names for the authorization outcomes a PSP gives; 17 and 18 come from ``close``, not from here.
AUTHORIZE_OUTCOMES: Mapping[str, OutcomeCode] = MappingProxyType(
    {
        "ok": OutcomeCode.SUCCESS,
        "generic-error": OutcomeCode.GENERIC_ERROR,
        "declined": OutcomeCode.AUTH_ERROR,
        "invalid-data": OutcomeCode.INVALID_DATA,
        "timeout": OutcomeCode.TIMEOUT,
        "invalid-card": OutcomeCode.INVALID_CARD,
        "cancelled": OutcomeCode.CANCELED_BY_USER,
        "excessive-amount": OutcomeCode.EXCESSIVE_AMOUNT,
        "psp-error": OutcomeCode.PSP_ERROR,
        "backend-error": OutcomeCode.BE_KO,
        "insufficient-balance": OutcomeCode.BALANCE_NOT_AVAILABLE,
        "cvv-error": OutcomeCode.CVV_ERROR,
        "limit-exceeded": OutcomeCode.LIMIT_EXCEEDED,
    }
)
_NAME_OF = {code: name for name, code in AUTHORIZE_OUTCOMES.items()}


def parse_authorize_outcome(value: str | int | OutcomeCode) -> OutcomeCode:
    """An authorization outcome by name (``declined``) or number (2)."""
    if isinstance(value, OutcomeCode):
        code: OutcomeCode | None = value
    elif isinstance(value, str):
        code = AUTHORIZE_OUTCOMES.get(value)
    else:
        code = next((c for c in OutcomeCode if c.value == value), None)
    if code is None or code not in _NAME_OF:
        raise ValueError(f"{value!r} is not an authorization outcome")
    return code


def outcome_name(code: OutcomeCode) -> str:
    """The scenario name of an authorization outcome (``declined`` for 2); else its number."""
    return _NAME_OF.get(code, str(code.value))


@dataclass(frozen=True, slots=True)
class AuthorizeStep:
    """``authorize``: the PSP's answer after ``delay``, with the 3DS page first when ``challenge``."""

    outcome: OutcomeCode = OutcomeCode.SUCCESS
    challenge: bool = False
    delay: timedelta = NO_DELAY

    def __post_init__(self) -> None:
        parse_authorize_outcome(self.outcome)
        _non_negative(self.delay, "delay")


class CloseOutcome(Enum):
    """How closing an authorized payment ends: paid (0), taken in charge (17), refunded (18)."""

    OK = "ok"
    PENDING = "pending"
    REFUNDED = "refunded"

    @property
    def code(self) -> OutcomeCode:
        return _CLOSE_CODES[self]


_CLOSE_CODES = {
    CloseOutcome.OK: OutcomeCode.SUCCESS,
    CloseOutcome.PENDING: OutcomeCode.TAKEN_IN_CHARGE,
    CloseOutcome.REFUNDED: OutcomeCode.REFUNDED,
}


@dataclass(frozen=True, slots=True)
class PendingResolution:
    """A pending (17) payment's result arrives ``after`` the close: paid or refunded."""

    after: timedelta
    outcome: Resolution

    def __post_init__(self) -> None:
        _non_negative(self.after, "after")

    @property
    def code(self) -> OutcomeCode:
        return OutcomeCode.SUCCESS if self.outcome is Resolution.OK else OutcomeCode.REFUNDED


@dataclass(frozen=True, slots=True)
class CloseStep:
    """``close``: ok, refunded, or pending, resolved by ``then`` (None: stays pending until the
    sandbox API resolves it)."""

    outcome: CloseOutcome = CloseOutcome.OK
    then: PendingResolution | None = None

    def __post_init__(self) -> None:
        if self.then is not None and self.outcome is not CloseOutcome.PENDING:
            raise ValueError("only a pending close has a 'then'")

    @property
    def final_code(self) -> OutcomeCode:
        """The outcome the payment ends with once nothing more happens."""
        return self.then.code if self.then is not None else self.outcome.code


class ReceiptMode(Enum):
    OK = "ok"
    DUPLICATE = "duplicate"  # sent twice: the EC answers the second with PAA_RECEIPT_DUPLICATA
    LOST = "lost"  # never reaches the EC: it must ask GPD


@dataclass(frozen=True, slots=True)
class ReceiptStep:
    """``receipt``: how the receipt reaches the EC, ``delay`` after the payment."""

    mode: ReceiptMode = ReceiptMode.OK
    delay: timedelta = NO_DELAY

    def __post_init__(self) -> None:
        _non_negative(self.delay, "delay")


class NotifyMode(Enum):
    OK = "ok"
    DUPLICATE = "duplicate"  # delivered twice, same webhook-id
    OUT_OF_ORDER = "out-of-order"  # a later event arrives before an earlier one


@dataclass(frozen=True, slots=True)
class NotifyStep:
    """``notify`` (the proposal's signed notification): answered 5xx ``fail`` times before it
    is delivered, sent ``delay`` after the event."""

    mode: NotifyMode = NotifyMode.OK
    fail: int = 0
    delay: timedelta = NO_DELAY

    def __post_init__(self) -> None:
        if not 0 <= self.fail <= MAX_NOTIFY_FAILURES:
            raise ValueError(f"fail is 0 to {MAX_NOTIFY_FAILURES}")
        _non_negative(self.delay, "delay")


class UserAction(Enum):
    """What the simulated payer does in a headless run."""

    PAYS = "pays"
    CANCELS = "cancels"  # presses Annulla: outcome 8, back to the cancel URL
    ABANDONS = "abandons"  # walks away: the session and the token expire (outcome 4)
    NEVER_RETURNS = "never-returns"  # pays, but never follows the button back to the EC


@dataclass(frozen=True, slots=True)
class Steps:
    """Every step, each defaulting to what production does when all goes well."""

    verify: NodeStep = NodeStep()
    activate: NodeStep = NodeStep()
    authorize: AuthorizeStep = AuthorizeStep()
    close: CloseStep = CloseStep()
    receipt: ReceiptStep = ReceiptStep()
    notify: NotifyStep = NotifyStep()
    user: UserAction = UserAction.PAYS
    station: StationStep = NO_STATION_SCRIPT

    @property
    def fault(self) -> NodeStep | None:
        """The verify or activate step that fails, if any (the payment never starts)."""
        return next((s for s in (self.verify, self.activate) if not s.ok), None)

    @property
    def final_outcome(self) -> OutcomeCode | None:
        """The outcome code the payment ends with; None when verify/activate fails first."""
        if self.fault is not None:
            return None
        if self.user is UserAction.CANCELS:
            return OutcomeCode.CANCELED_BY_USER
        if self.user is UserAction.ABANDONS:
            return OutcomeCode.TIMEOUT
        if self.authorize.outcome is not OutcomeCode.SUCCESS:
            return self.authorize.outcome
        return self.close.final_code


# --- the scenario -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """One loaded scenario. ``source`` is the file (and ``line`` its ``id``) it came from;
    ``overrides`` names the built-in file a user scenario with the same id replaces."""

    id: str
    title: str
    description: str
    steps: Steps = Steps()
    title_it: str | None = None  # what the Italian pages show; ``title`` (English) where missing
    match: MatchRules | None = None
    source: str = "<memory>"
    line: int = 1
    builtin: bool = False
    overrides: str | None = None

    def __post_init__(self) -> None:
        if not ID_PATTERN.match(self.id) or len(self.id) > 64:
            raise ValueError(f"{self.id!r} is not an id (lower-case letters, digits and dashes)")
        if not self.title.strip():
            raise ValueError("a scenario needs a title")

    @property
    def location(self) -> str:
        return f"{self.source}:{self.line}"

    def title_in(self, language: str) -> str:
        """The title for pages in ``language`` (``it`` or ``en``)."""
        return self.title_it if language == "it" and self.title_it else self.title
