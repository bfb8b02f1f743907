"""The history aggregate: what happened, per tenant — the events (a cart's timeline), the journal
(requests in, calls out) and the checkout pages' server-side sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from simulator.domain.events import Event, EventType
from simulator.domain.journal import JournalEntry, JournalQuery
from simulator.storage import tables as t
from simulator.storage.database import aware

_e, _j, _s = t.events.c, t.journal.c, t.page_sessions.c
_INSERT_EVENT = insert(t.events)
_CART_EVENTS = (
    select(t.events).where(_e.tenant == bindparam("tenant"), _e.cart_id == bindparam("cart")).order_by(_e.id)
)
_SESSION = select(_s.tenant, _s.data).where(_s.id == bindparam("id"))
_SAVE_SESSION = (
    update(t.page_sessions)
    .where(_s.id == bindparam("k_id"))
    .values(data=bindparam("data"), expires_at=bindparam("expires_at"))
)
_OLDEST_KEPT = (
    select(_j.id)
    .where(_j.tenant == bindparam("tenant"))
    .order_by(_j.id.desc())
    .offset(bindparam("skip"))
    .limit(1)
)
_TRIM = delete(t.journal).where(_j.tenant == bindparam("tenant"), _j.id < bindparam("oldest"))


class HistoryRepository:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    # --- events --------------------------------------------------------------------------------
    def add_events(self, events: Sequence[Event]) -> None:
        self.conn.execute(
            _INSERT_EVENT,
            [
                {
                    "tenant": self.tenant,
                    "cart_id": e.cart_id,
                    "attempt_id": e.attempt_id,
                    "at": e.at,
                    "type": e.type.value,
                    "data": dict(e.data),
                }
                for e in events
            ],
        )

    def cart_events(self, cart_id: str) -> list[Event]:
        """A cart's events in the order recorded."""
        rows = self.conn.execute(_CART_EVENTS, {"tenant": self.tenant, "cart": cart_id}).all()
        return [
            Event(EventType(r.type), aware(r.at), r.cart_id, r.attempt_id, dict(r.data or {}), r.id)
            for r in rows
        ]

    # --- the journal ---------------------------------------------------------------------------
    def journal(self, query: JournalQuery) -> list[JournalEntry]:
        """The newest entries first (by the time of the request, whichever process wrote them)."""
        conds: list[Any] = [_j.tenant == self.tenant]
        if query.path:
            conds.append(_j.path.startswith(query.path, autoescape=True))
        if query.status is not None:
            conds.append(_j.status == query.status)
        if query.cart_id:
            conds.append(_j.cart_id == query.cart_id)
        if query.since is not None:
            conds.append(_j.at >= query.since)
        rows = self.conn.execute(
            select(t.journal).where(*conds).order_by(_j.at.desc(), _j.id.desc()).limit(query.limit)
        ).all()
        return [_journal_entry(r) for r in rows]

    def journal_entry(self, entry_id: int) -> JournalEntry | None:
        """One entry of the tenant's journal (None in another tenant, or trimmed away)."""
        row = self.conn.execute(select(t.journal).where(_j.tenant == self.tenant, _j.id == entry_id)).first()
        return None if row is None else _journal_entry(row)

    def clear_journal(self) -> None:
        self.conn.execute(delete(t.journal).where(_j.tenant == self.tenant))

    # --- page sessions -------------------------------------------------------------------------
    def insert_page_session(
        self, session_id: str, created_at: datetime, expires_at: datetime, data: dict[str, Any]
    ) -> None:
        self.conn.execute(
            insert(t.page_sessions).values(
                id=session_id, tenant=self.tenant, created_at=created_at, expires_at=expires_at, data=data
            )
        )

    def page_session(self, session_id: str) -> dict[str, Any] | None:
        """A page session's data, if it is this tenant's (the cookie's random id is the key)."""
        row = self.conn.execute(_SESSION, {"id": session_id}).first()
        if row is None or row.tenant != self.tenant:
            return None
        return dict(row.data or {})

    def save_page_session(self, session_id: str, expires_at: datetime, data: dict[str, Any]) -> None:
        self.conn.execute(_SAVE_SESSION, {"k_id": session_id, "data": data, "expires_at": expires_at})

    def purge_page_sessions(self, before: datetime) -> None:
        """Forget the tenant's sessions that ended before ``before`` (each tenant has its own clock)."""
        self.conn.execute(delete(t.page_sessions).where(_s.tenant == self.tenant, _s.expires_at < before))


def page_session_tenant(conn: Connection, session_id: str) -> str | None:
    row = conn.execute(_SESSION, {"id": session_id}).first()
    return None if row is None else str(row.tenant)


def append_journal(conn: Connection, entries: Sequence[tuple[str, JournalEntry]], keep: int) -> None:
    """Append ``(tenant, entry)`` pairs in one statement, then drop each tenant's entries beyond
    its newest ``keep`` (every tenant written to is trimmed, whatever the ids)."""
    if not entries:
        return
    conn.execute(
        insert(t.journal),
        [
            {
                "tenant": tenant,
                "at": e.at,
                "direction": e.direction,
                "method": e.method,
                "url": e.url,
                "path": e.path[:2048],
                "status": e.status,
                "latency_ms": e.latency_ms,
                "cart_id": e.cart_id,
                "request_body": e.request_body,
                "response_body": e.response_body,
            }
            for tenant, e in entries
        ],
    )
    for tenant in dict.fromkeys(tenant for tenant, _ in entries):
        oldest = conn.execute(_OLDEST_KEPT, {"tenant": tenant, "skip": keep - 1}).scalar()
        if oldest is not None:
            conn.execute(_TRIM, {"tenant": tenant, "oldest": oldest})


_LATEST_EVENT = select(func.max(_e.id)).where(_e.tenant == bindparam("tenant"))
_LATEST_ENTRY = select(func.max(_j.id)).where(_j.tenant == bindparam("tenant"))


def latest_change(repo: HistoryRepository) -> tuple[int, int]:
    """The tenant's newest event id and journal entry id: whatever happened moves one of them."""
    args = {"tenant": repo.tenant}
    return (
        int(repo.conn.execute(_LATEST_EVENT, args).scalar() or 0),
        int(repo.conn.execute(_LATEST_ENTRY, args).scalar() or 0),
    )


def _journal_entry(r: Any) -> JournalEntry:
    return JournalEntry(
        id=r.id,
        at=aware(r.at),
        direction=r.direction,
        method=r.method,
        url=r.url,
        path=r.path,
        status=r.status,
        latency_ms=r.latency_ms,
        cart_id=r.cart_id,
        request_body=r.request_body,
        response_body=r.response_body,
    )
