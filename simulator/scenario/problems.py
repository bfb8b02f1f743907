"""The errors of scenarios: one problem of a scenario file, the error listing every problem that
refused the files, and the error for a scenario id no loaded scenario has."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simulator.domain.errors import InvalidInput

__all__ = ["Problem", "ScenarioError", "UnknownScenario"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario file; ``line`` is 1-based (None: the file as a whole)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        message = _one_line(self.message)
        return f"{self.file}:{self.line}: {message}" if self.line else f"{self.file}: {message}"


def _one_line(text: str) -> str:
    """Unprintable characters (a key may hold any) escaped: one problem is always one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class ScenarioError(Exception):
    """Scenario files were refused; ``problems`` lists every one, each printed ``file:line: message``."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line or 0, p.message)))
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid scenarios")


class UnknownScenario(InvalidInput):
    """A scenario was asked for by an id no loaded scenario has."""

    def __init__(self, scenario_id: str) -> None:
        super().__init__("scenario", f"no scenario has the id {scenario_id!r}")
        self.scenario_id = scenario_id
