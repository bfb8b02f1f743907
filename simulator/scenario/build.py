"""Meaning: schema-valid data -> the frozen ``Scenario`` of ``model``. The model's own checks (Luhn,
ranges, regexes) become problems at the line of the value they are about."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from simulator.domain.payment import Resolution
from simulator.domain.test_cards import luhn_ok, normalize_number
from simulator.scenario.located import DataPath, Located, where
from simulator.scenario.model import (
    AmountRange,
    AuthorizeStep,
    CloseOutcome,
    CloseStep,
    MatchRules,
    NodeStep,
    NotifyMode,
    NotifyStep,
    PendingResolution,
    Problem,
    ReceiptMode,
    ReceiptStep,
    Scenario,
    ScenarioError,
    StationCall,
    StationReceipt,
    StationStep,
    Steps,
    UserAction,
    parse_authorize_outcome,
    parse_duration,
)

__all__ = ["build"]

_T = TypeVar("_T")


def build(file: str, doc: Located, *, builtin: bool = False) -> Scenario:
    """The scenario of data the schema accepted, or ``ScenarioError`` with the model's objections."""
    return _Builder(file, doc).scenario(builtin)


class _Builder:
    """Builds the Scenario from schema-valid data; the model's own checks become problems with
    the line of the value they are about."""

    def __init__(self, file: str, doc: Located) -> None:
        self.file = file
        self.doc = doc
        self.problems: list[Problem] = []

    def at(self, path: DataPath, make: Callable[[], _T]) -> _T | None:
        """``make()``, or None with a problem at ``path``'s line if the model objects."""
        try:
            return make()
        except (ValueError, re.error, OverflowError, RecursionError) as exc:
            self.problems.append(Problem(self.file, self.doc.line(path), f"{where(path)}{exc}"))
            return None

    def scenario(self, builtin: bool) -> Scenario:
        data: dict[str, Any] = self.doc.data
        steps = self.steps(data.get("steps") or {})
        match = self.match(data["match"]) if "match" in data else None
        built = self.at(
            ("id",),
            lambda: Scenario(
                id=data["id"],
                title=data["title"].strip(),
                title_it=data["title_it"].strip() if "title_it" in data else None,
                description=data["description"].strip(),
                steps=steps or Steps(),
                match=match,
                source=self.file,
                line=self.doc.line(("id",)),
                builtin=builtin,
            ),
        )
        if self.problems or built is None:
            raise ScenarioError(self.problems)
        return built

    def steps(self, data: dict[str, Any]) -> Steps | None:
        builders: dict[str, Callable[[Any], object]] = {
            "verify": self.node_step,
            "activate": self.node_step,
            "authorize": self.authorize,
            "close": self.close,
            "receipt": self.receipt,
            "notify": self.notify,
            "user": UserAction,
            "station": self.station,
        }
        parts = {
            name: self.at(("steps", name), partial(make, data[name]))
            for name, make in builders.items()
            if name in data
        }
        if any(v is None for v in parts.values()):
            return None
        return Steps(**parts)  # type: ignore[arg-type]

    @staticmethod
    def node_step(value: str | dict[str, Any]) -> NodeStep:
        if isinstance(value, str):
            return NodeStep() if value == "ok" else NodeStep(fault=value)
        return NodeStep(fault=value.get("fault"), delay=_delay(value))

    @staticmethod
    def authorize(value: str | int | dict[str, Any]) -> AuthorizeStep:
        if not isinstance(value, dict):
            return AuthorizeStep(parse_authorize_outcome(value))
        return AuthorizeStep(
            parse_authorize_outcome(value.get("outcome", "ok")),
            challenge=bool(value.get("challenge", False)),
            delay=_delay(value),
        )

    @staticmethod
    def close(value: str | dict[str, Any]) -> CloseStep:
        if isinstance(value, str):
            return CloseStep(CloseOutcome(value))
        then = value.get("then")
        resolution = (
            PendingResolution(parse_duration(then["after"]), Resolution(then["outcome"])) if then else None
        )
        return CloseStep(CloseOutcome(value["outcome"]), then=resolution)

    @staticmethod
    def receipt(value: str | dict[str, Any]) -> ReceiptStep:
        if isinstance(value, str):
            return ReceiptStep(ReceiptMode(value))
        return ReceiptStep(delay=_delay(value))

    @staticmethod
    def notify(value: str | dict[str, Any]) -> NotifyStep:
        if isinstance(value, str):
            return NotifyStep(NotifyMode(value))
        return NotifyStep(fail=int(value.get("fail", 0)), delay=_delay(value))

    @staticmethod
    def station(value: dict[str, Any]) -> StationStep:
        receipt = value.get("receipt")
        if isinstance(receipt, str):
            receipt = {"answer": receipt}
        return StationStep(
            verify=_station_call(value["verify"]) if "verify" in value else None,
            activate=_station_call(value["activate"]) if "activate" in value else None,
            receipt=StationReceipt(receipt["answer"], int(receipt.get("times", 1))) if receipt else None,
        )

    def match(self, data: dict[str, Any]) -> MatchRules | None:
        nav = self.at(("match", "nav"), lambda: re.compile(data["nav"])) if "nav" in data else None
        fiscal = (
            self.at(("match", "fiscalCode"), lambda: re.compile(data["fiscalCode"]))
            if "fiscalCode" in data
            else None
        )
        amount = (
            self.at(
                ("match", "amount"), lambda: AmountRange(data["amount"].get("min"), data["amount"].get("max"))
            )
            if "amount" in data
            else None
        )
        card = self.at(("match", "card"), lambda: _card(data["card"])) if "card" in data else None
        if self.problems:
            return None
        return self.at(("match",), lambda: MatchRules(nav=nav, fiscal_code=fiscal, amount=amount, card=card))


def _delay(value: dict[str, Any]) -> timedelta:
    return parse_duration(value["delay"]) if "delay" in value else timedelta(0)


def _station_call(value: str | dict[str, Any]) -> StationCall:
    if isinstance(value, str):
        return StationCall(answer=value)
    return StationCall(answer=value.get("answer"), delay=_delay(value))


def _card(text: str) -> str:
    number = normalize_number(text)
    if not 12 <= len(number) <= 19 or not luhn_ok(number):
        raise ValueError(f"{text!r} is not a card number the card page accepts (12-19 digits, Luhn check)")
    return number
