"""Events: everything that happens to a cart and its payment, in order, per tenant. The services
record one in the same transaction as the change it describes, so the timeline never claims what
did not commit; the status query draws a cart's timeline from them, and notifications will be
built on them. Wire names are the enum values (``attempt.activated``), never ordinals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

__all__ = ["Event", "EventType", "json_value", "timeline"]


class EventType(Enum):
    CART_CREATED = "cart.created"
    SCENARIO_SELECTED = "scenario.selected"  # data: scenario, source, reason
    STEP_DELAYED = "step.delayed"  # a scenario's delay: step, delay, sleptSeconds
    NOTICE_VERIFIED = "notice.verified"
    NOTICE_VERIFY_FAILED = "notice.verify_failed"  # data: faultCodeCategory, faultCode
    ATTEMPT_ACTIVATED = "attempt.activated"
    ATTEMPT_ACTIVATION_FAILED = "attempt.activation_failed"
    METHOD_CHOSEN = "method.chosen"
    PSP_CHOSEN = "psp.chosen"
    AUTHORIZATION_REQUESTED = "authorization.requested"
    AUTHORIZATION_COMPLETED = "authorization.completed"  # data: outcome (the PSP's answer)
    ATTEMPT_CLOSED = "attempt.closed"  # the payment ended: outcome, state
    ATTEMPT_PENDING = "attempt.pending"  # outcome 17: resolvesAt, resolution (if scripted)
    ATTEMPT_RESOLVED = "attempt.resolved"  # a pending payment's result: outcome, state
    ATTEMPT_CANCELLED = "attempt.cancelled"
    ATTEMPT_EXPIRED = "attempt.expired"
    RECEIPT_CREATED = "receipt.created"
    RECEIPT_DELAYED = "receipt.delayed"  # dueAt
    RECEIPT_DUPLICATED = "receipt.duplicated"  # a second delivery, refused: PAA_RECEIPT_DUPLICATA
    RECEIPT_LOST = "receipt.lost"  # never reaches the EC (nor GPD)
    STATION_CALLED = "station.called"  # the node called the EC's station: operation, outcome, faultCode
    USER_RETURNED = "user.returned"  # the browser went back to the EC: url
    USER_NEVER_RETURNED = "user.never_returned"


JsonValue = str | int | float | bool | None | list[Any] | dict[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened at ``at`` (the tenant's clock), about a cart and/or an attempt."""

    type: EventType
    at: datetime
    cart_id: str | None = None
    attempt_id: str | None = None
    data: Mapping[str, JsonValue] = field(default_factory=dict)
    id: int | None = None  # given by the store: the order events were recorded in

    @classmethod
    def of(
        cls,
        type: EventType,
        at: datetime,
        *,
        cart_id: str | None = None,
        attempt_id: str | None = None,
        **data: Any,
    ) -> Event:
        """An event whose data values are made JSON (datetimes as RFC 3339 UTC text, enums as
        their value, durations in seconds); None values are left out."""
        return cls(
            type,
            at,
            cart_id,
            attempt_id,
            {k: json_value(v) for k, v in data.items() if v is not None},
        )


def json_value(value: Any) -> JsonValue:
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, datetime):  # as the sandbox API writes times: UTC, milliseconds, a Z
        utc = value.astimezone(UTC)
        return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def timeline(events: Iterable[Event]) -> list[Event]:
    """Events in the order they happened: by time, then in the order recorded. A lazily applied
    event (a pending payment resolved when next read) carries the time it was due, so it takes
    its place among the others."""
    return sorted(events, key=lambda e: (e.at, e.id if e.id is not None else 0))
