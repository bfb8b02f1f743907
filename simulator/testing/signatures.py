"""Verifying what the sandbox signs, from an EC's test suite: the return URL's appended outcome
(``verify_return_url``) and a notification (``verify_notification``, Standard Webhooks)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.domain.return_signature import InvalidReturnSignature, verify_url

__all__ = ["InvalidReturnSignature", "verify_notification", "verify_return_url"]


def verify_return_url(
    url: str,
    secret: str,
    *,
    tolerance: timedelta | float = timedelta(minutes=5),
    now: datetime | None = None,
) -> dict[str, str]:
    """The signed parameters of a return URL (``outcome``, ``outcomeCode``, ``cartId``, ...), or
    ``InvalidReturnSignature`` when one is missing or repeated, the signature does not match, or
    ``ts`` is further than ``tolerance`` (seconds or a timedelta) from ``now`` (default: the
    real time)."""
    if not isinstance(tolerance, timedelta):
        tolerance = timedelta(seconds=tolerance)
    return verify_url(url, secret, now=now or datetime.now(UTC), tolerance=tolerance)


def verify_notification(body: bytes | str, headers: Mapping[str, str], secret: str) -> Any:
    """A notification's JSON body after checking its Standard Webhooks signature and timestamp
    (with the ``standardwebhooks`` package itself); raises its ``WebhookVerificationError``."""
    from standardwebhooks import Webhook

    return Webhook(secret).verify(body, dict(headers))
