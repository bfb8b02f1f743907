"""The Sandbox: the one object that holds what every use case needs (settings, database, clock,
id source, scenario library) and opens units of work, and the tenant names that scope them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.engine import Connection

from simulator.config import Settings
from simulator.domain.errors import TenantError
from simulator.domain.ids import RandomIds
from simulator.domain.journal import JournalEntry
from simulator.scenario.library import ScenarioLibrary
from simulator.services.clock import Clock, system_clock
from simulator.services.unit import Unit
from simulator.storage.checkout import ANY_RESULT_DUE, ANY_TOKEN_ENDED, cart_tenant
from simulator.storage.database import Database, Transaction
from simulator.storage.positions import ANY_DUE_DATE_PASSED, ANY_VALIDITY_REACHED
from simulator.storage.receipts import ANY_RECEIPT_DUE
from simulator.storage.tenants import clock_offset

TENANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_TENANT = "default"

# Is anything due for the tenant by now? One statement of five questions, each answered from an
# index (tests/functional/test_due_check_plan.py reads SQLite's plan).
_ANYTHING_DUE = select(
    ANY_RESULT_DUE, ANY_TOKEN_ENDED, ANY_RECEIPT_DUE, ANY_VALIDITY_REACHED, ANY_DUE_DATE_PASSED
)

Settle = Callable[[Unit], None]
TenantOf = Callable[[Connection], str]


def check_tenant(name: str) -> str:
    if not TENANT_NAME.match(name):
        raise TenantError(
            "a tenant name is 1 to 64 letters, digits, dots, dashes or underscores,"
            " starting with a letter or digit"
        )
    return name


class Sandbox:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock | None = None,
        scenarios: ScenarioLibrary | None = None,
        *,
        ids: RandomIds | None = None,
        settle: Settle | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock: Clock = clock or system_clock
        self.ids = ids or RandomIds()
        # The loaded scenario library (None: not loaded, e.g. a Sandbox built by hand in a test).
        # Replace it whole to reload: a new library is only ever built complete.
        self.scenarios = scenarios
        # What the tenant's clock has made due, applied when a unit opens (services.due.settle).
        self.settle = settle
        # Where journal entries go (``services.journal.JournalWriter``: set by the app factory).
        self.journal: JournalSink = _NoJournal()

    @contextmanager
    def unit(self, tenant: str | TenantOf, *, write: bool = True) -> Iterator[Unit]:
        """The unit of work of one request in ``tenant`` (or in the tenant a function finds in the
        same transaction). A read (``write=False``) never takes the write lock; when the tenant's
        clock has made something due, that is applied first in a write transaction, and the read
        is served from it (the only case of two transactions)."""
        find = tenant if callable(tenant) else None
        if not write:
            with self.database.transaction(write=False) as tx:
                unit = self._bind(tx, find(tx.conn) if find else str(tenant))
                if not self._due(unit):
                    yield unit
                    return
        with self.database.transaction(write=True) as tx:
            unit = self._bind(tx, find(tx.conn) if find else str(tenant))
            if self.settle is not None and self._due(unit):
                self.settle(unit)
            yield unit

    def cart_unit(self, cart_id: str, default_tenant: str, *, write: bool = True) -> ContextManager[Unit]:
        """A unit in the tenant that owns ``cart_id`` (``default_tenant`` when no tenant does), found
        in the unit's own transaction: what a browser following the cart's link needs, since it
        cannot say its tenant."""
        return self.unit(lambda conn: cart_tenant(conn, cart_id) or default_tenant, write=write)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """A transaction bound to no tenant: the delivery queue, the shared counters, health."""
        with self.database.transaction(write=write) as tx:
            yield tx

    def _bind(self, tx: Transaction, tenant: str) -> Unit:
        return Unit(
            tx,
            tenant,
            clock=self.clock,
            offset=clock_offset(tx.conn, tenant),
            ids=self.ids,
            settings=self.settings,
            scenarios=self.scenarios,
            journal=lambda entry: self.journal.record(tenant, entry),
        )

    def _due(self, unit: Unit) -> bool:
        row = unit.tx.conn.execute(_ANYTHING_DUE, {"tenant": unit.tenant, "now": unit.now}).one()
        return any(row)

    def close(self) -> None:
        """Write what is buffered and let go of the database (the end of a test, of a worker)."""
        self.journal.close()
        self.database.dispose()


class JournalSink(Protocol):
    def record(self, tenant: str, entry: JournalEntry | Callable[[], JournalEntry]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class _NoJournal:
    def record(self, tenant: str, entry: JournalEntry | Callable[[], JournalEntry]) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass
