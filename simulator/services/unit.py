"""The unit of work: one tenant, one transaction, one "now".

Every use case takes a ``Unit``. It is opened by ``Sandbox.unit(tenant)`` (one per request), which
reads the tenant's clock once and has already applied what that clock made due; it exposes one
repository per aggregate, records events explicitly in the same transaction, and commits once
when the request's block ends (or rolls back whole when it raises).

    tenants        clock offset, organizations (creditors) and their settings
    positions      GPD debt positions
    checkout       carts, payment attempts, notice locks
    receipts       receipts and the node's record of paid notices
    notifications  webhook subscriptions, the outbox, delivery attempts
    history        events, the journal, page sessions
    certifications certification runs (started here, or running in this tenant)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from simulator.config import Settings
from simulator.domain.events import Event, EventType
from simulator.domain.ids import RandomIds
from simulator.domain.journal import JournalEntry
from simulator.scenario.library import ScenarioLibrary
from simulator.services.clock import Clock, shifted
from simulator.services.scenario_engine import ScenarioEngine
from simulator.storage.certifications import CertificationRepository
from simulator.storage.checkout import CheckoutRepository
from simulator.storage.database import Transaction
from simulator.storage.history import HistoryRepository
from simulator.storage.notifications import NotificationRepository
from simulator.storage.positions import PositionRepository
from simulator.storage.receipts import ReceiptRepository
from simulator.storage.tenants import TenantRepository

T = TypeVar("T")


class ReadOnlyUnit(Exception):
    """A read unit was asked to write: the request runs again in a write unit (the web layer
    does it), which happens only where a read finds that time moved something (an expired page
    session, an EC's first secret)."""


class Unit:
    def __init__(
        self,
        tx: Transaction,
        tenant: str,
        *,
        clock: Clock,
        offset: float,
        ids: RandomIds,
        settings: Settings,
        scenarios: ScenarioLibrary | None,
        journal: Callable[[JournalEntry], None] | None = None,
    ) -> None:
        conn = tx.conn
        self.tx = tx
        self.tenant = tenant
        self.clock = clock  # the real clock: for what another system compares with its own
        self.offset = offset
        self.now: datetime = shifted(clock(), offset)
        self.ids = ids
        self.settings = settings
        # The library as it was when the unit opened: a reload never changes it mid-request.
        self.engine = ScenarioEngine(scenarios, settings.delay_cap_seconds)
        self.tenants = TenantRepository(conn, tenant)
        self.positions = PositionRepository(conn, tenant)
        self.checkout = CheckoutRepository(conn, tenant)
        self.receipts = ReceiptRepository(conn, tenant)
        self.notifications = NotificationRepository(conn, tenant)
        self.history = HistoryRepository(conn, tenant)
        self.certifications = CertificationRepository(conn, tenant)
        # The tenant's journal, for the calls the node makes inside a request (a station's SOAP).
        self.journal: Callable[[JournalEntry], None] = journal or (lambda entry: None)
        # Events are written in one statement when the transaction commits (or is read back).
        self._events: list[Event] = []
        tx.before_commit.append(self.flush_events)

    @property
    def writes(self) -> bool:
        return self.tx.write

    def require_write(self) -> None:
        """Call before writing where a read-only request may write: ``ReadOnlyUnit`` in a read."""
        if not self.tx.write:
            raise ReadOnlyUnit()

    def record(
        self,
        type: EventType,
        *,
        at: datetime | None = None,
        cart_id: str | None = None,
        attempt_id: str | None = None,
        **data: Any,
    ) -> Event:
        """Record one event (``at``: the tenant's time, default now) in this transaction."""
        event = Event.of(type, at or self.now, cart_id=cart_id, attempt_id=attempt_id, **data)
        self._events.append(event)
        return event

    def flush_events(self) -> None:
        """Write the events recorded so far (before a commit, or before they are read back)."""
        if self._events:
            events, self._events = self._events, []
            self.history.add_events(events)

    def timeline(self, cart_id: str) -> list[Event]:
        """A cart's events in the order they were recorded, this unit's included."""
        self.flush_events()
        return self.history.cart_events(cart_id)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """What fails inside rolls back alone, the events it recorded too; the rest goes on."""
        recorded = len(self._events)
        try:
            with self.tx.conn.begin_nested():
                yield
        except BaseException:
            del self._events[recorded:]
            raise

    def pause(self, outside: Callable[[], T]) -> T:
        """Commit what was done, run ``outside()`` with no transaction open (a scenario's delay),
        then go on in a new transaction with the tenant's now read again."""
        result: T = self.tx.pause(outside)
        self.now = shifted(self.clock(), self.tenants.clock_offset())
        return result

    def fail(self, error: BaseException) -> NoReturn:
        """Raise ``error`` but keep what this unit recorded (a failure the timeline must show)."""
        self.tx.commit_on_error = True
        raise error
