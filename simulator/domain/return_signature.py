"""The proposal's signed return URL: the outcome appended to the EC's return URL, with an HMAC so
the EC can trust what the browser brings back. Pure: the canonical string, the HMAC, appending
(keeping the URL's own query) and verifying are all here, so every language can redo them.

The canonical string is the eight parameters below, in this order, one ``key=value`` line each,
joined by a line feed (no trailing one), the values exactly as appended (before URL-encoding).
``sig`` is the lowercase hex HMAC-SHA256 of its UTF-8 bytes, keyed with the raw bytes of the
base64 part of the EC's ``whsec_`` secret (the key Standard Webhooks uses). docs/proposal.md
has a worked test vector.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = [
    "SECRET_PREFIX",
    "SIGNED_PARAMS",
    "SIG_PARAM",
    "InvalidReturnSignature",
    "ReturnOutcome",
    "ReturnParams",
    "append_outcome",
    "canonical_string",
    "check_appendable",
    "secret_key",
    "sign",
    "verify_params",
    "verify_url",
]

SECRET_PREFIX = "whsec_"
SIGNED_PARAMS = (
    "outcome",
    "outcomeCode",
    "cartId",
    "idCart",
    "transactionId",
    "totalAmount",
    "fees",
    "ts",
)
SIG_PARAM = "sig"
RESERVED = (*SIGNED_PARAMS, SIG_PARAM)
DEFAULT_TOLERANCE = timedelta(minutes=5)


class ReturnOutcome(Enum):
    """How the payment ended, as the return URL says it."""

    OK = "OK"
    KO = "KO"
    CANCELLED = "CANCELLED"
    PENDING = "PENDING"


class InvalidReturnSignature(ValueError):
    """A return URL whose parameters are missing, repeated, tampered with, or too old/new."""


@dataclass(frozen=True, slots=True)
class ReturnParams:
    """What is appended. Absent values (no attempt yet, no idCart, no PSP fee) are empty strings in
    the URL and in the canonical string; amounts are euro cents; ``ts`` is UNIX seconds."""

    outcome: ReturnOutcome
    cart_id: str
    total_amount: int
    ts: int
    outcome_code: int | None = None
    id_cart: str | None = None
    transaction_id: str | None = None
    fees: int | None = None

    def values(self) -> dict[str, str]:
        """The parameters in canonical order, as text."""

        def text(value: object) -> str:
            return "" if value is None else str(value)

        return {
            "outcome": self.outcome.value,
            "outcomeCode": text(self.outcome_code),
            "cartId": self.cart_id,
            "idCart": text(self.id_cart),
            "transactionId": text(self.transaction_id),
            "totalAmount": text(self.total_amount),
            "fees": text(self.fees),
            "ts": text(self.ts),
        }


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret: the raw bytes its base64 part encodes."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a secret starts with whsec_")
    body = secret[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except binascii.Error:
        raise ValueError("a secret is whsec_ followed by base64") from None
    if not key:
        raise ValueError("a secret may not be empty")
    return key


def canonical_string(values: Mapping[str, str]) -> str:
    """``key=value`` for each signed parameter, in the fixed order, joined by line feeds. A value
    holding a line feed would make two different parameter sets sign alike: refused."""
    lines = []
    for key in SIGNED_PARAMS:
        value = values[key]
        if "\n" in value or "\r" in value:
            raise ValueError(f"{key} may not contain a line break")
        lines.append(f"{key}={value}")
    return "\n".join(lines)


def sign(values: Mapping[str, str], secret: str) -> str:
    """The lowercase hex HMAC-SHA256 of the canonical string."""
    data = canonical_string(values).encode("utf-8")
    return hmac.new(secret_key(secret), data, hashlib.sha256).hexdigest()


def check_appendable(url: str) -> None:
    """A return URL whose own query already uses one of the appended names would carry it twice:
    refused (ValueError) rather than ambiguous."""
    taken = sorted({k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)} & set(RESERVED))
    if taken:
        raise ValueError(f"the URL's query already uses {', '.join(taken)}, which the outcome appends")


def append_outcome(url: str, params: ReturnParams, secret: str) -> str:
    """``url`` with the signed parameters appended after its own query (kept byte for byte) and
    before its fragment."""
    check_appendable(url)
    values = params.values()
    values[SIG_PARAM] = sign(values, secret)
    parts = urlsplit(url)
    added = urlencode(values, quote_via=quote, safe="")
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def verify_params(
    pairs: list[tuple[str, str]],
    secret: str,
    *,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> dict[str, str]:
    """Check decoded query pairs: each signed parameter and ``sig`` exactly once, the signature
    matching, ``ts`` within ``tolerance`` of ``now``. Returns the signed parameters."""
    seen: dict[str, str] = {}
    for key, value in pairs:
        if key in RESERVED:
            if key in seen:
                raise InvalidReturnSignature(f"{key} appears more than once")
            seen[key] = value
    missing = [k for k in RESERVED if k not in seen]
    if missing:
        raise InvalidReturnSignature(f"missing {', '.join(missing)}")
    values = {k: seen[k] for k in SIGNED_PARAMS}
    try:
        expected = sign(values, secret)
    except ValueError as exc:
        raise InvalidReturnSignature(str(exc)) from None
    if not hmac.compare_digest(expected, seen[SIG_PARAM].lower()):
        raise InvalidReturnSignature(
            "the signature does not match: the URL was changed, or the secret is wrong"
        )
    try:
        ts = datetime.fromtimestamp(int(values["ts"]), UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidReturnSignature("ts is not a UNIX time in seconds") from None
    if ts < now - tolerance:
        raise InvalidReturnSignature("the URL is too old (ts is past the tolerance)")
    if ts > now + tolerance:
        raise InvalidReturnSignature("the URL is from the future (ts is past the tolerance)")
    return values


def verify_url(
    url: str, secret: str, *, now: datetime, tolerance: timedelta = DEFAULT_TOLERANCE
) -> dict[str, str]:
    """``verify_params`` on a whole URL's query."""
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    return verify_params(pairs, secret, now=now, tolerance=tolerance)
