"""The journal: every request the sandbox answered and every call it made, as an integrator
debugging a run wants to read them. Bodies are cut to a bounded size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

BODY_LIMIT = 2048
TRUNCATED = "…[truncated]"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    at: datetime
    direction: str  # "in" or "out"
    method: str
    url: str
    path: str
    status: int | None
    latency_ms: float
    cart_id: str | None = None
    request_body: str | None = None
    response_body: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class JournalQuery:
    path: str | None = None  # a prefix
    status: int | None = None
    cart_id: str | None = None
    since: datetime | None = None
    limit: int = 100


def excerpt(body: bytes | str | None, limit: int = BODY_LIMIT) -> str | None:
    """A body as text, cut to ``limit`` characters; None when empty."""
    if not body:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text if len(text) <= limit else text[:limit] + TRUNCATED
