"""The journal (requests in, calls out), per tenant and bounded in size, kept off the request's
path: entries are buffered in the process and written in one transaction, by a short-lived
background thread, at most ``interval`` seconds after they were recorded (or at once when the
journal is read, so a reader always sees its own process's entries). A request never opens a
transaction of its own for its journal entry; ``kill -9`` may lose the last ``interval`` of entries
(the journal is a log of what happened, never the record of a change)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from simulator.domain.journal import JournalEntry, JournalQuery
from simulator.services.unit import Unit
from simulator.storage.database import Database
from simulator.storage.history import append_journal

log = logging.getLogger("simulator.journal")

# An entry, or a function that builds it from what the request left (called by the writer).
Pending = JournalEntry | Callable[[], JournalEntry]

FLUSH_INTERVAL = 0.05  # seconds: entries reach the database within this (plus one flush)
IDLE_EXIT = 2.0  # seconds without entries before the writer thread ends (started again on demand)


class JournalWriter:
    def __init__(self, database: Database, keep: int, interval: float = FLUSH_INTERVAL) -> None:
        self.database = database
        self.keep = keep
        self.interval = interval
        self._buffer: list[tuple[str, Pending]] = []
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def record(self, tenant: str, entry: Pending) -> None:
        """Buffer one entry (or what builds it, called by the writer); never fails the caller."""
        with self._lock:
            self._buffer.append((tenant, entry))
            if not self._closed and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Write what is buffered now, in one transaction (an error is logged, not raised)."""
        with self._flushing:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return
            try:
                entries = [(tenant, e if isinstance(e, JournalEntry) else e()) for tenant, e in batch]
                with self.database.transaction(write=True) as tx:
                    append_journal(tx.conn, entries, self.keep)
            except Exception:
                log.exception("%d journal entries not recorded", len(batch))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is not None:
            thread.join(timeout=2)
        self.flush()

    def _run(self) -> None:
        idle_since = time.monotonic()
        while not self._closed:
            time.sleep(self.interval)
            with self._lock:
                pending = bool(self._buffer)
            if pending:
                self.flush()
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > IDLE_EXIT:
                with self._lock:  # end, unless an entry slipped in meanwhile
                    if not self._buffer:
                        self._thread = None
                        return


def read(unit: Unit, query: JournalQuery) -> list[JournalEntry]:
    return unit.history.journal(query)


def clear(unit: Unit) -> None:
    unit.history.clear_journal()
