"""Standard Webhooks signatures, with the ``standardwebhooks`` package itself so the sandbox signs
exactly as any receiver built on it verifies: ``webhook-id``, ``webhook-timestamp`` (UNIX seconds)
and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``)."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

from simulator.domain.return_signature import SECRET_PREFIX

__all__ = ["SECRET_BYTES", "new_secret", "signed_headers"]

SECRET_BYTES = 24


def new_secret() -> str:
    """``whsec_`` + base64 of 24 random bytes (the format Standard Webhooks libraries accept)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signed_headers(secret: str, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``at``."""
    timestamp = datetime.fromtimestamp(int(at.timestamp()), UTC)
    signature = Webhook(secret).sign(message_id, timestamp, body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }
