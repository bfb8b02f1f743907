"""Reloading the scenario library without a restart, in every worker process.

Each worker keeps its own library (``Sandbox.scenarios``, replaced whole: a request sees the old
library or the new one, never half of each). ``reload()`` (``POST /_sandbox/v1/scenarios/reload``)
loads the folders again and bumps a generation counter in the database; ``check()``, called on
requests at most once per ``settings.scenario_watch_seconds``, reloads when the user folders'
files changed (names, sizes, modification times) or another worker bumped the generation. A set of
files with a problem is never installed: the previous library stays active.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from simulator.scenario.library import ScenarioLibrary
from simulator.scenario.loader import load_library, scenario_files
from simulator.scenario.model import Problem, ScenarioError
from simulator.services.context import Sandbox
from simulator.storage.tenants import Counters

__all__ = ["GENERATION", "ScenarioWatcher", "fingerprint"]

log = logging.getLogger("simulator.scenarios")

GENERATION = "scenarios"  # the counter's name in the database

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(folders: Iterable[str]) -> Fingerprint:
    """What the user folders hold: each scenario file with its size and modification time (a
    missing folder counts as a state of its own). Built-ins never change while running."""
    found: list[tuple[str, int, int]] = []
    for folder in folders:
        try:
            files = scenario_files(folder)
        except ScenarioError:
            found.append((str(folder), -1, -1))
            continue
        for path in files:
            try:
                stat = Path(path).stat()
            except OSError:
                continue
            found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class ScenarioWatcher:
    def __init__(
        self,
        sandbox: Sandbox,
        *,
        load: Callable[[tuple[str, ...]], ScenarioLibrary] = load_library,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sandbox = sandbox
        self._load = load
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._next_check = monotonic() + sandbox.settings.scenario_watch_seconds
        self._fingerprint = fingerprint(self._folders)
        self._generation = self._read_generation()
        # The problems of the last automatic reload that failed (cleared by the next success).
        self.problems: tuple[Problem, ...] = ()

    @property
    def _folders(self) -> tuple[str, ...]:
        return self.sandbox.settings.scenario_dirs

    def reload(self) -> ScenarioLibrary:
        """Load the library again now, or raise ``ScenarioError`` (the previous one stays); other
        workers follow on their next check."""
        with self._lock:
            seen = fingerprint(self._folders)
            library = self._load(self._folders)
            with self.sandbox.transaction() as tx:
                generation = Counters(tx.conn).bump(GENERATION)
            self._install(library, seen, generation)
            return library

    def check(self) -> None:
        """Reload if the files or the generation changed; cheap, and at most once per interval."""
        now = self._monotonic()
        if now < self._next_check or not self._lock.acquire(blocking=False):
            return
        try:
            self._next_check = now + self.sandbox.settings.scenario_watch_seconds
            seen = fingerprint(self._folders)
            generation = self._read_generation()
            if seen == self._fingerprint and generation == self._generation:
                return
            try:
                library = self._load(self._folders)
            except ScenarioError as exc:
                log.warning("scenario files changed but were refused; the previous library stays:\n%s", exc)
                self.problems = exc.problems
                self._fingerprint, self._generation = seen, generation  # not again until they change
                return
            self._install(library, seen, generation)
        finally:
            self._lock.release()

    def _install(self, library: ScenarioLibrary, seen: Fingerprint, generation: int | None) -> None:
        self.sandbox.scenarios = library
        self._fingerprint, self._generation = seen, generation
        self.problems = ()
        log.info("scenario library loaded: %d scenarios", len(library))

    def _read_generation(self) -> int | None:
        try:
            with self.sandbox.transaction(write=False) as tx:
                return Counters(tx.conn).get(GENERATION)
        except Exception:  # no schema yet (a worker racing the master): look again next time
            log.debug("scenario generation not readable yet", exc_info=True)
            return None
