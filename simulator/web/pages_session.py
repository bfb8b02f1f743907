"""The checkout pages' session: a random id in Flask's signed cookie, the state kept server-side.

The cookie holds only that id, the CSRF token and the chosen language. The state (which cart or
notice, email, method, card brand and last 4 digits, PSP, attempt id, how it ended) lives in the
database through ``PageSessionService``; a full card number or CVV is never kept anywhere.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from flask import g, request, session

from simulator.domain.cart import Ending, ReturnUrls, return_url
from simulator.services.page_sessions import PageSession, PageSessionService
from simulator.web.errors import CsrfRejected, SessionExpired
from simulator.web.pipeline import sandbox

SESSION_TTL = timedelta(minutes=10)  # like a cart's TTL: the whole checkout must happen within it
CSRF_FIELD = "csrf_token"
ORIGIN_CART = "cart"
ORIGIN_NOTICE = "notice"


@dataclass(slots=True)
class NoticeView:
    """A notice as the pages show it (from the cart or from verify)."""

    fiscal_code: str
    notice_number: str
    amount: int
    company_name: str
    description: str


@dataclass(slots=True)
class CardView:
    """What is kept of a card: brand, last 4 digits, holder, expiry, and what paying with it does."""

    brand: str
    last4: str
    holder: str
    expiry: str
    outcome: int
    challenge: bool


@dataclass(slots=True)
class CheckoutState:
    origin: str
    notices: list[NoticeView]
    cart_id: str | None = None
    return_urls: dict[str, str | None] | None = None
    email: str | None = None
    method: str | None = None
    card: CardView | None = None
    psp_id: str | None = None
    fee: int | None = None
    attempt_id: str | None = None
    outcome: int | None = None
    ending: str | None = None  # an ``Ending`` value once the session is over
    email_confirmed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return sum(n.amount for n in self.notices)

    @property
    def total(self) -> int:
        return self.amount + (self.fee or 0)

    @property
    def finished(self) -> bool:
        return self.ending is not None

    def exit_url(self, ending: Ending | None = None) -> str:
        """Where a terminal page's button leads: the cart's return URL for how the session ended
        (or for ``ending``), exactly as the EC gave it; the start page for a notice entered here."""
        ending = ending or (Ending(self.ending) if self.ending else None)
        if self.return_urls is None or ending is None:
            return "/"
        urls = ReturnUrls(
            ok=self.return_urls["ok"] or "",
            cancel=self.return_urls["cancel"] or "",
            error=self.return_urls["error"] or "",
            waiting=self.return_urls.get("waiting"),
        )
        return return_url(urls, ending, self.outcome)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckoutState:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["notices"] = [NoticeView(**n) for n in values.get("notices", [])]
        if values.get("card") is not None:
            values["card"] = CardView(**values["card"])
        return cls(**values)


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


def _service() -> PageSessionService:
    return PageSessionService(sandbox())


def start(tenant: str, state: CheckoutState, until: datetime | None = None) -> Current:
    """A fresh session for a new checkout (replacing any previous one of this browser)."""
    created = _service().start(tenant, state.to_dict(), SESSION_TTL, until)
    session["sid"] = created.session.id
    current = Current(created.session, state, created.now, expired=False)
    g.checkout = current
    return current


def load() -> Current | None:
    """This browser's session, or None when it has none (or the server forgot it)."""
    if "checkout" in g:
        return g.checkout  # type: ignore[no-any-return]
    sid = session.get("sid")
    if not isinstance(sid, str):
        return None
    loaded = _service().load(sid)
    if loaded is None:
        return None
    current = Current(
        loaded.session, CheckoutState.from_dict(loaded.session.data), loaded.now, loaded.expired
    )
    g.checkout = current
    return current


def require() -> Current:
    """The session of a mid-flow page: missing -> the session-expired page."""
    current = load()
    if current is None:
        raise SessionExpired()
    return current


def save(current: Current) -> None:
    current.session.data = current.state.to_dict()
    _service().save(current.session)


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
