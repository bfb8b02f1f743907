"""The proposal's notifications as records: an EC's webhook subscription, one message to one
endpoint (a delivery) and where it stands, each attempt to deliver it, and queries over them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The product in the User-Agent of every notification the sandbox sends ("pagopa-sandbox/1.2.3").
NOTIFIER_PRODUCT = "pagopa-sandbox"


@dataclass(frozen=True, slots=True)
class WebhookRow:
    """An EC's notification subscription; ``events`` None: every notified event type."""

    id: str
    fiscal_code: str
    url: str
    events: tuple[str, ...] | None
    secret: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to one endpoint, and where its delivery stands."""

    id: str
    webhook_id: str
    event_type: str
    fiscal_code: str
    url: str
    body: str
    created_at: datetime
    next_attempt_at: datetime | None
    status: str = "pending"  # pending | delivered | failed
    cart_id: str | None = None
    subscription_id: str | None = None
    attempts: int = 0
    fail_first: int = 0
    delivered_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    redelivery_of: str | None = None
    scenario_id: str | None = None
    prepared: bool = True


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    number: int
    at: datetime
    status: int | None
    error: str | None
    latency_ms: float
    response_excerpt: str | None = None
    worker: str | None = None
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    status: str | None = None
    event_type: str | None = None
    cart_id: str | None = None
    webhook_id: str | None = None
    limit: int = 100
