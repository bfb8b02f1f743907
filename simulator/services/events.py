"""Recording events: the one function every service calls, inside the transaction of the change
the event describes (so an event exists exactly when its change committed). The notifications'
outbox hooks in here: a notified event writes its outbox rows in that same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulator.domain.events import Event, EventType, timeline
from simulator.services import notify_events
from simulator.storage.store import Tx

__all__ = ["cart_timeline", "record"]


def record(
    tx: Tx,
    tenant: str,
    type: EventType,
    at: datetime,
    *,
    cart_id: str | None = None,
    attempt_id: str | None = None,
    **data: Any,
) -> Event:
    """Store one event of ``tenant`` (``at`` is the tenant's clock) in ``tx``; returns it with its id."""
    event = Event.of(type, at, cart_id=cart_id, attempt_id=attempt_id, **data)
    new_id = tx.add_event(tenant, event)
    stored = Event(event.type, event.at, event.cart_id, event.attempt_id, event.data, new_id)
    notify_events.enqueue_for(tx, tenant, stored)  # the outbox: same transaction, delivered later
    return stored


def cart_timeline(tx: Tx, tenant: str, cart_id: str) -> list[Event]:
    """A cart's events in the order they happened."""
    return timeline(tx.cart_events(tenant, cart_id))
