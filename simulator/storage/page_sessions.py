"""The checkout pages' server-side sessions: one JSON document per random session id.

Kept in its own table (and its own MetaData, created on first use) so that the pages add no
column to the core schema; every worker process reads the same rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Engine, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

metadata = MetaData()

page_sessions = Table(
    "page_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
)


def create_table(engine: Engine) -> None:
    """Create the table if missing; a worker racing another one to create it is fine."""
    try:
        metadata.create_all(engine, checkfirst=True)
    except DBAPIError:
        metadata.create_all(engine, checkfirst=True)  # the other worker won: now it exists


class PageSessionRow:
    __slots__ = ("created_at", "data", "expires_at", "id", "tenant")

    def __init__(self, id: str, tenant: str, created_at: datetime, expires_at: datetime, data: Any) -> None:
        self.id = id
        self.tenant = tenant
        self.created_at = created_at
        self.expires_at = expires_at
        self.data: dict[str, Any] = dict(data or {})


def insert_session(conn: Connection, row: PageSessionRow) -> None:
    conn.execute(
        insert(page_sessions).values(
            id=row.id, tenant=row.tenant, created_at=row.created_at, expires_at=row.expires_at, data=row.data
        )
    )


def load_session(conn: Connection, session_id: str) -> PageSessionRow | None:
    found = conn.execute(select(page_sessions).where(page_sessions.c.id == session_id)).first()
    if found is None:
        return None
    return PageSessionRow(found.id, found.tenant, found.created_at, found.expires_at, found.data)


def save_session(conn: Connection, row: PageSessionRow) -> None:
    conn.execute(
        update(page_sessions)
        .where(page_sessions.c.id == row.id)
        .values(data=row.data, expires_at=row.expires_at)
    )


def delete_older_than(conn: Connection, tenant: str, moment: datetime) -> int:
    """Purge a tenant's sessions that ended before ``moment`` (each tenant has its own clock)."""
    c = page_sessions.c
    result = conn.execute(delete(page_sessions).where(c.tenant == tenant, c.expires_at < moment))
    return int(result.rowcount or 0)
