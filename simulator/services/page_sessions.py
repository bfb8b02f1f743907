"""Server-side sessions of the checkout pages: what the browser's cookie id points to.

The pages keep their state (the payer's journey: which cart or notice, email, method, PSP,
attempt id; never a card number) as a small JSON document here, so any worker process can serve
the next page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulator.services.unit import Unit

# How long a finished or abandoned session is kept before it may be purged.
RETENTION = timedelta(days=1)


@dataclass(slots=True)
class PageSession:
    id: str
    tenant: str
    expires_at: datetime
    data: dict[str, Any] = field(default_factory=dict)


def start(unit: Unit, data: dict[str, Any], ttl: timedelta, until: datetime | None = None) -> PageSession:
    """A new session living ``ttl`` from the tenant's now (or until ``until``)."""
    expires = unit.now + ttl if until is None else min(unit.now + ttl, until)
    unit.history.purge_page_sessions(unit.now - RETENTION)
    session = PageSession(secrets.token_urlsafe(32), unit.tenant, expires, dict(data))
    unit.history.insert_page_session(session.id, unit.now, expires, _doc(session))
    return session


def load(unit: Unit, session_id: str) -> PageSession | None:
    """The unit's tenant's session with this id, if it has one."""
    data = unit.history.page_session(session_id)
    if data is None:
        return None
    expires = datetime.fromisoformat(data["expiresAt"])
    return PageSession(session_id, unit.tenant, expires, dict(data["state"]))


def save(unit: Unit, session: PageSession) -> None:
    unit.history.save_page_session(session.id, session.expires_at, _doc(session))


def _doc(session: PageSession) -> dict[str, Any]:
    # The expiry is kept in the document too: SQLite drops the offset of a DateTime column.
    return {"expiresAt": session.expires_at.isoformat(), "state": session.data}
