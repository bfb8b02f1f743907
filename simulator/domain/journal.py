"""The journal: every request the sandbox answered and every call it made, as an integrator
debugging a run wants to read them. Bodies are cut to a bounded size."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

BODY_LIMIT = 2048
TRUNCATED = "…[truncated]"
REDACTED = "[redacted]"

# What the journal never keeps: secrets (a webhook's, shown once; an EC's) and card data.
_SECRET_JSON = re.compile(r'("(?:secret|number|cvv)"\s*:\s*)"(?:[^"\\]|\\.)*"')
_CARD_FORM = re.compile(r"(^|&)(number|cvv|expirationDate)=[^&]*")
# A station's password in the node's SOAP requests (<password>, any prefix).
_SOAP_PASSWORD = re.compile(r"(<(?:[\w.-]+:)?password\b[^>]*>)[^<]*(</(?:[\w.-]+:)?password>)")


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
    """A body as text, its secrets and card data redacted, cut to ``limit`` characters; None when
    empty."""
    if not body:
        return None
    text = redact(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
    return text if len(text) <= limit else text[:limit] + TRUNCATED


def redact(text: str) -> str:
    """``text`` with the values of JSON ``secret``/``number``/``cvv`` members, of the card form's
    ``number``/``cvv``/``expirationDate`` fields and of SOAP ``<password>`` elements replaced by
    ``[redacted]``."""
    text = _SECRET_JSON.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    text = _SOAP_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)
    return _CARD_FORM.sub(lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}", text)
