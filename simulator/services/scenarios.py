"""The scenario library as the sandbox API shows it: every scenario with how to trigger it, the
published JSON Schema of the format, and reloading the library from its folders."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from simulator.scenario.library import Trigger
from simulator.scenario.model import Problem, Scenario
from simulator.services.context import Sandbox
from simulator.services.scenario_engine import FALLBACK
from simulator.services.scenario_reload import ScenarioWatcher

__all__ = ["ScenarioCatalog", "ScenarioEntry", "schema_bytes"]


@dataclass(frozen=True, slots=True)
class ScenarioEntry:
    scenario: Scenario
    triggers: tuple[Trigger, ...]


def schema_bytes() -> bytes:
    """``simulator/scenario/schema.json`` exactly as published (the loader validates with it)."""
    return resources.files("simulator.scenario").joinpath("schema.json").read_bytes()


@dataclass(frozen=True, slots=True)
class ScenarioCatalog:
    sandbox: Sandbox
    watcher: ScenarioWatcher | None = None

    def entries(self) -> list[ScenarioEntry]:
        """Every loaded scenario in match order, with every way to trigger it."""
        library = self.sandbox.scenarios
        if library is None:
            return [ScenarioEntry(FALLBACK, ())]
        return [ScenarioEntry(s, library.triggers(s.id)) for s in library]

    def reload(self) -> int:
        """Load the folders again (``ScenarioError``: nothing changes); the number of scenarios."""
        if self.watcher is None:
            raise RuntimeError("this sandbox has no scenario watcher")
        return len(self.watcher.reload())

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Why the last automatic reload (a file changed) was refused, if it was."""
        return self.watcher.problems if self.watcher is not None else ()
