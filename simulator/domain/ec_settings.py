"""A creditor's (EC's) opt-in to the proposal: its notification endpoint, its return-URL allowlist,
whether return URLs get the signed outcome by default, and its secret. Pure: validation and the
allowlist match live here; the store keeps these values in the organization's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from simulator.domain.errors import InvalidInput
from simulator.domain.return_signature import secret_key

__all__ = ["MAX_ALLOWLIST", "MAX_URL", "EcSettings", "check_http_url", "check_secret", "url_allowed"]

MAX_URL = 2048
MAX_ALLOWLIST = 50


def check_http_url(url: str, field_name: str) -> str:
    """An absolute http(s) URL with a host, at most ``MAX_URL`` characters."""
    if len(url) > MAX_URL:
        raise InvalidInput(field_name, f"must be at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise InvalidInput(field_name, "must be an absolute http(s) URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field_name, "must be an absolute http(s) URL")
    if any(c.isspace() for c in url):
        raise InvalidInput(field_name, "must not contain spaces or line breaks")
    return url


def check_secret(secret: str, field_name: str) -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 to 64 random bytes."""
    try:
        key = secret_key(secret)
    except ValueError as exc:
        raise InvalidInput(field_name, str(exc)) from None
    if not 24 <= len(key) <= 64:
        raise InvalidInput(field_name, "must encode 24 to 64 bytes")
    return secret


def url_allowed(url: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``url`` starts with one of ``prefixes`` at a boundary: ``https://ec.example`` allows
    ``https://ec.example/ok`` but not ``https://ec.example.evil.test/``. No prefixes: all allowed."""
    if not prefixes:
        return True
    for prefix in prefixes:
        if not url.startswith(prefix):
            continue
        rest = url[len(prefix) :]
        if prefix.endswith(("/", "?", "&", "#")) or rest == "" or rest[0] in "/?#":
            return True
    return False


@dataclass(frozen=True, slots=True)
class EcSettings:
    notification_url: str | None = None
    return_url_allowlist: tuple[str, ...] = field(default_factory=tuple)
    append_outcome: bool = False
    secret: str | None = None

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> EcSettings:
        return cls(
            notification_url=stored.get("notificationUrl"),
            return_url_allowlist=tuple(stored.get("returnUrlAllowlist") or ()),
            append_outcome=bool(stored.get("appendOutcome", False)),
            secret=stored.get("secret"),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "notificationUrl": self.notification_url,
            "returnUrlAllowlist": list(self.return_url_allowlist),
            "appendOutcome": self.append_outcome,
            "secret": self.secret,
        }

    def check(self) -> EcSettings:
        """Every field valid, or InvalidInput naming it."""
        if self.notification_url is not None:
            check_http_url(self.notification_url, "notificationUrl")
        if len(self.return_url_allowlist) > MAX_ALLOWLIST:
            raise InvalidInput("returnUrlAllowlist", f"must have at most {MAX_ALLOWLIST} prefixes")
        for i, prefix in enumerate(self.return_url_allowlist):
            check_http_url(prefix, f"returnUrlAllowlist[{i}]")
        if self.secret is not None:
            check_secret(self.secret, "secret")
        return self
