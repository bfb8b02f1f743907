"""The checkout pages' session: a random id in Flask's signed cookie, the state kept server-side.

The cookie holds only that id, the session's tenant, the CSRF token and the chosen language. The
state (the payer's journey: which cart or notice, email, method, card brand and last 4 digits,
PSP, attempt id, how it ended) lives in the database (``services.page_sessions``), read and
written in the page request's one unit; a full card number or CVV is never kept anywhere.
"""

from __future__ import annotations

import hmac
import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g, request, session

from simulator.domain.journey import ORIGIN_CART, ORIGIN_NOTICE, CardView, CheckoutState, NoticeView
from simulator.services import page_sessions
from simulator.services.page_sessions import PageSession
from simulator.services.unit import Unit
from simulator.web.errors import CsrfRejected, SessionExpired
from simulator.web.pipeline import sandbox, tenant, writes

__all__ = [
    "CSRF_FIELD",
    "ORIGIN_CART",
    "ORIGIN_NOTICE",
    "SESSION_TTL",
    "CardView",
    "CheckoutState",
    "Current",
    "NoticeView",
    "check_csrf",
    "csrf_token",
    "load",
    "page_unit",
    "require",
    "save",
    "start",
]

SESSION_TTL = timedelta(minutes=10)  # like a cart's TTL: the whole checkout must happen within it
CSRF_FIELD = "csrf_token"


@dataclass(slots=True)
class Current:
    """The loaded session of this request: its state, the tenant and the tenant's now."""

    session: PageSession
    state: CheckoutState
    now: datetime
    expired: bool

    @property
    def tenant(self) -> str:
        return self.session.tenant


def page_unit(*, write: bool = True, entry: bool = False) -> AbstractContextManager[Unit]:
    """The unit of a page request: mid-flow, in the tenant of this browser's checkout session
    (kept in the signed cookie, since a browser cannot send X-Sandbox-Tenant); at an entry point
    (``entry``), in the request's tenant, where the new session will live."""
    kept = session.get("tenant")
    owner = kept if isinstance(kept, str) and not entry else tenant()
    g.journal_tenant = owner  # the request is journaled where its session lives
    return sandbox().unit(owner, write=write or writes())


def start(unit: Unit, state: CheckoutState, until: datetime | None = None) -> Current:
    """A fresh session for a new checkout (replacing any previous one of this browser)."""
    created = page_sessions.start(unit, state.to_dict(), SESSION_TTL, until)
    session["sid"] = created.id
    session["tenant"] = unit.tenant
    current = Current(created, state, unit.now, expired=False)
    g.checkout = current
    return current


def load(unit: Unit) -> Current | None:
    """This browser's session, or None when it has none (or the server forgot it)."""
    if "checkout" in g:
        return g.checkout  # type: ignore[no-any-return]
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    loaded = page_sessions.load(unit, sid)
    if loaded is None:
        return None
    current = Current(loaded, CheckoutState.from_dict(loaded.data), unit.now, unit.now >= loaded.expires_at)
    g.checkout = current
    return current


def require(unit: Unit) -> Current:
    """The session of a mid-flow page: missing -> the session-expired page."""
    current = load(unit)
    if current is None:
        raise SessionExpired()
    return current


def save(unit: Unit, current: Current) -> None:
    unit.require_write()
    current.session.data = current.state.to_dict()
    page_sessions.save(unit, current.session)


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """Every form post carries the cookie's token; a forged or missing one changes nothing."""
    expected = session.get("csrf")
    sent = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRejected()
