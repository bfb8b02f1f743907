"""Recording and reading the journal (requests in, calls out), per tenant and bounded in size."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from simulator.domain.journal import JournalEntry, JournalQuery
from simulator.services.context import Sandbox

log = logging.getLogger("simulator.journal")


@dataclass(frozen=True, slots=True)
class JournalService:
    sandbox: Sandbox

    def record(self, tenant: str, entry: JournalEntry) -> None:
        """Never fails the caller: a journal that cannot be written is logged, not raised."""
        try:
            with self.sandbox.store.transaction() as tx:
                tx.add_journal_entry(tenant, entry, self.sandbox.settings.journal_size)
        except Exception:
            log.exception("journal entry not recorded for %s %s", entry.method, entry.path)

    def read(self, tenant: str, query: JournalQuery) -> list[JournalEntry]:
        with self.sandbox.store.transaction() as tx:
            return tx.journal(tenant, query, self.sandbox.settings.journal_size)

    def clear(self, tenant: str) -> None:
        with self.sandbox.store.transaction() as tx:
            tx.clear_journal(tenant)
