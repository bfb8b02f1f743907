"""Server-side sessions of the checkout pages: what the browser's cookie id points to.

The pages keep their state (which cart or notice, email, method, PSP, attempt id; never a card
number) as a small JSON document here, so any worker process can serve the next page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulator.services.context import Sandbox

# How long a finished or abandoned session is kept before it may be purged.
RETENTION = timedelta(days=1)


@dataclass(slots=True)
class PageSession:
    id: str
    tenant: str
    expires_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoadedSession:
    session: PageSession
    now: datetime  # the tenant's "now", read in the same transaction

    @property
    def expired(self) -> bool:
        return self.now >= self.session.expires_at


@dataclass(frozen=True, slots=True)
class PageSessionService:
    sandbox: Sandbox

    def now(self, tenant: str) -> datetime:
        with self.sandbox.store.transaction() as tx:
            return self.sandbox.tenant_now(tx, tenant)

    def start(
        self, tenant: str, data: dict[str, Any], ttl: timedelta, until: datetime | None = None
    ) -> LoadedSession:
        """A new session for ``tenant`` living ``ttl`` from the tenant's now (or until ``until``)."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            expires = now + ttl if until is None else min(now + ttl, until)
            tx.purge_page_sessions(tenant, now - RETENTION)
            session = PageSession(secrets.token_urlsafe(32), tenant, expires, dict(data))
            tx.insert_page_session(session.id, tenant, now, expires, _doc(session))
            return LoadedSession(session, now)

    def load(self, session_id: str) -> LoadedSession | None:
        with self.sandbox.store.transaction() as tx:
            found = tx.page_session(session_id)
            if found is None:
                return None
            tenant, data = found
            now = self.sandbox.tenant_now(tx, tenant)
        expires = datetime.fromisoformat(data["expiresAt"])
        return LoadedSession(PageSession(session_id, tenant, expires, dict(data["state"])), now)

    def save(self, session: PageSession) -> None:
        with self.sandbox.store.transaction() as tx:
            tx.save_page_session(session.id, session.expires_at, _doc(session))


def _doc(session: PageSession) -> dict[str, Any]:
    # The expiry is kept in the document too: SQLite drops the offset of a DateTime column.
    return {"expiresAt": session.expires_at.isoformat(), "state": session.data}
