"""The outbox: a notification is a row written in the same transaction as the change it announces,
so it exists exactly when the change committed and survives a restart; the worker delivers it
later, never inside the citizen's request.

One row per endpoint ("target"); every row of one message shares its ``webhook-id``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.storage.store import Delivery, Tx

__all__ = ["NOTIFIED_EVENTS", "PENDING", "Target", "enqueue", "message_body", "new_delivery_id"]

# The event types that are notified (the journal's wire names): every final outcome of an attempt
# (closed: OK or KO with its code; cancelled; expired; pending, then resolved) and every receipt.
NOTIFIED_EVENTS: tuple[str, ...] = (
    "attempt.closed",
    "attempt.pending",
    "attempt.resolved",
    "attempt.cancelled",
    "attempt.expired",
    "receipt.created",
)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)


@dataclass(frozen=True, slots=True)
class Target:
    """An endpoint. ``subscription_id`` None: signed with the EC's own secret (a cart's notifyUrl,
    the EC's notificationUrl); otherwise with that subscription's secret."""

    url: str
    subscription_id: str | None = None


def new_delivery_id() -> str:
    return "dlv_" + uuid.uuid4().hex


def message_body(event_type: str, at: datetime, data: Mapping[str, Any]) -> str:
    """The JSON body, Standard Webhooks' recommended envelope: ``type``, ``timestamp``, ``data``.
    Serialized once, here, so every retry sends the very same bytes."""
    return json.dumps(
        {"type": event_type, "timestamp": _rfc3339(at), "data": dict(data)},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def enqueue(
    tx: Tx,
    tenant: str,
    event_type: str,
    payload: Mapping[str, Any],
    targets: Sequence[Target],
    *,
    fiscal_code: str,
    now: datetime,
    cart_id: str | None = None,
    webhook_id: str | None = None,
    delay: timedelta = timedelta(0),
    fail_first: int = 0,
    copies: int = 1,
    scenario_id: str | None = None,
) -> list[Delivery]:
    """Write one row per distinct target (``copies`` rows each) due at ``now + delay`` on the
    tenant's clock, in the caller's transaction ``tx``. ``scenario_id``: the scenario whose notify
    step the worker applies on the first claim (the library is the worker's, not the caller's)."""
    from simulator.notify.signing import new_message_id

    message_id = webhook_id or new_message_id()
    body = message_body(event_type, now, payload)
    rows: list[Delivery] = []
    seen: set[Target] = set()
    for target in targets:
        if target in seen:
            continue
        seen.add(target)
        rows += [
            Delivery(
                id=new_delivery_id(),
                webhook_id=message_id,
                event_type=event_type,
                fiscal_code=fiscal_code,
                url=target.url,
                body=body,
                created_at=now,
                next_attempt_at=now + delay,
                cart_id=cart_id,
                subscription_id=target.subscription_id,
                fail_first=fail_first,
                scenario_id=scenario_id,
                prepared=scenario_id is None,
            )
            for _ in range(copies)
        ]
    tx.insert_deliveries(tenant, rows)
    return rows


def _rfc3339(at: datetime) -> str:
    from datetime import UTC

    utc = at.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
