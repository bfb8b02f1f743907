"""What the proposal notifies, with what body, to whom: the outbox rows written in the transaction
of the change they announce (so a notification exists exactly when its change committed and
survives a restart); the delivery worker sends them later, never inside the citizen's request.

The services call ``attempt_ended`` and ``receipt_created`` explicitly with what they hold. A cart
may hold notices of several ECs: an attempt's outcome goes to the endpoints of every EC in it (one
message, one webhook-id), a receipt to its notice's EC. The cart's own ``notifyUrl`` is the cart's
EC's (the first notice's) and is signed with that EC's secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.domain.cart import Cart
from simulator.domain.ec_settings import EcSettings
from simulator.domain.events import Event
from simulator.domain.notification import Delivery
from simulator.domain.organization import Organization
from simulator.domain.payment import OutcomeCode, PaymentAttempt
from simulator.domain.receipt_records import OFFLINE_PREFIX, PaidNotice
from simulator.notify.signing import new_secret
from simulator.services import organizations
from simulator.services.unit import Unit

__all__ = [
    "NOTIFIED_EVENTS",
    "PENDING",
    "STATUSES",
    "Target",
    "attempt_ended",
    "ec_secret",
    "ec_settings",
    "enqueue",
    "message_body",
    "receipt_created",
    "targets_for",
]

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
RECEIPT = "receipt.created"
_FIXED_OUTCOME = {
    "attempt.pending": "PENDING",
    "attempt.cancelled": "CANCELLED",
    "attempt.expired": "EXPIRED",
}


@dataclass(frozen=True, slots=True)
class Target:
    """An endpoint. ``subscription_id`` None: signed with the EC's own secret (a cart's notifyUrl,
    the EC's notificationUrl); otherwise with that subscription's secret."""

    url: str
    subscription_id: str | None = None


# --- an EC's settings and secret ------------------------------------------------------------------


def ec_settings(unit: Unit, fiscal_code: str) -> tuple[Organization, EcSettings]:
    """The EC (created on first use) and its settings, its secret created on first use too."""
    org = organizations.ensure(unit, fiscal_code)
    settings = EcSettings.from_stored(org.settings)
    if settings.secret is None:
        unit.require_write()
        settings = replace(settings, secret=new_secret())
        save_settings(unit, org, settings)
        org = unit.tenants.organization(fiscal_code) or org
    return org, settings


def ec_secret(unit: Unit, fiscal_code: str) -> str:
    _, settings = ec_settings(unit, fiscal_code)
    assert settings.secret is not None
    return settings.secret


def save_settings(unit: Unit, org: Organization, settings: EcSettings) -> None:
    unit.tenants.set_settings(org.fiscal_code, {**org.settings, **settings.stored()})


def targets_for(unit: Unit, fiscal_code: str, event_type: str, notify_url: str | None = None) -> list[Target]:
    """Where an event of the EC goes: its subscriptions that want ``event_type``, its registered
    notificationUrl and the cart's ``notify_url`` (the last two signed with the EC's secret)."""
    targets = [
        Target(w.url, w.id)
        for w in unit.notifications.webhooks(fiscal_code)
        if w.events is None or event_type in w.events
    ]
    org = unit.tenants.organization(fiscal_code)
    registered = EcSettings.from_stored(org.settings).notification_url if org is not None else None
    for url in (registered, notify_url):
        if url and Target(url) not in targets:
            targets.append(Target(url))
    return targets


# --- what is announced ----------------------------------------------------------------------------


def attempt_ended(unit: Unit, event: Event, attempt: PaymentAttempt, cart: Cart | None) -> list[Delivery]:
    """Notify an attempt's outcome event (closed, pending, resolved, cancelled, expired) to every
    EC of its notices."""
    payload = _attempt_payload(event, attempt, cart)
    recipients = list(dict.fromkeys(n.fiscal_code for n in attempt.notices))
    return _announce(unit, event, payload, recipients, attempt, cart)


def receipt_created(
    unit: Unit, event: Event, paid: PaidNotice, attempt: PaymentAttempt | None, cart: Cart | None
) -> list[Delivery]:
    """Notify a receipt delivered to its notice's EC."""
    return _announce(unit, event, _receipt_payload(event, paid), [paid.fiscal_code], attempt, cart)


def _announce(
    unit: Unit,
    event: Event,
    payload: Mapping[str, Any],
    recipients: Sequence[str],
    attempt: PaymentAttempt | None,
    cart: Cart | None,
) -> list[Delivery]:
    kind = event.type.value
    choice = (attempt.scenario if attempt else None) or (cart.scenario if cart else None)
    primary = cart.notices[0].fiscal_code if cart is not None and cart.notices else None
    message_id = "msg_" + unit.ids.hex()
    written: list[Delivery] = []
    for fiscal_code in recipients:
        notify_url = cart.notify_url if cart is not None and fiscal_code == primary else None
        written += enqueue(
            unit,
            kind,
            payload,
            targets_for(unit, fiscal_code, kind, notify_url),
            fiscal_code=fiscal_code,
            now=event.at,
            cart_id=event.cart_id,
            webhook_id=message_id,
            scenario_id=choice.scenario_id if choice is not None else None,
        )
    return written


def enqueue(
    unit: Unit,
    event_type: str,
    payload: Mapping[str, Any],
    targets: Sequence[Target],
    *,
    fiscal_code: str,
    now: datetime,
    cart_id: str | None = None,
    webhook_id: str | None = None,
    scenario_id: str | None = None,
    delay: timedelta = timedelta(0),
    fail_first: int = 0,
    copies: int = 1,
) -> list[Delivery]:
    """Write one row per distinct target (``copies`` rows each), due at ``now + delay`` on the
    tenant's clock. ``scenario_id``: the scenario whose notify step the worker applies on the first
    claim; ``fail_first``: answers the worker simulates as 5xx before a real attempt."""
    message_id = webhook_id or "msg_" + unit.ids.hex()
    body = message_body(event_type, now, payload)
    rows = [
        Delivery(
            id="dlv_" + unit.ids.hex(),
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
        for target in dict.fromkeys(targets)
        for _ in range(copies)
    ]
    unit.notifications.insert_deliveries(rows)
    return rows


def message_body(event_type: str, at: datetime, data: Mapping[str, Any]) -> str:
    """The JSON body, Standard Webhooks' recommended envelope: ``type``, ``timestamp``, ``data``.
    Serialized once, here, so every retry sends the very same bytes."""
    utc = at.astimezone(UTC)
    timestamp = f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
    return json.dumps(
        {"type": event_type, "timestamp": timestamp, "data": dict(data)},
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _outcome(kind: str, code: Any) -> str:
    if kind in _FIXED_OUTCOME:
        return _FIXED_OUTCOME[kind]
    return "OK" if code == OutcomeCode.SUCCESS.value else "KO"


def _attempt_payload(event: Event, attempt: PaymentAttempt, cart: Cart | None) -> dict[str, Any]:
    kind = event.type.value
    code = event.data.get("outcome")
    payload: dict[str, Any] = {
        "cartId": attempt.cart_id,
        "idCart": attempt.id_cart or (cart.id_cart if cart else None),
        "transactionId": attempt.id,
        "fiscalCode": (cart.notices[0].fiscal_code if cart else attempt.notices[0].fiscal_code),
        "outcome": _outcome(kind, code),
        "outcomeCode": code,
        "totalAmount": attempt.amount,
        "fees": attempt.fee if attempt.psp_id else None,
        "pspId": attempt.psp_id,
        "notices": [
            {"fiscalCode": n.fiscal_code, "noticeNumber": n.nav, "iuv": n.iuv, "amount": n.amount}
            for n in attempt.notices
        ],
    }
    if kind == "attempt.pending" and event.data.get("resolvesAt"):
        payload["resolvesAt"] = event.data["resolvesAt"]
    return {k: v for k, v in payload.items() if v is not None}


def _receipt_payload(event: Event, paid: PaidNotice) -> dict[str, Any]:
    notice = paid.document.get("notice", {})
    facts = paid.document.get("facts", {})
    offline = paid.attempt_id.startswith(OFFLINE_PREFIX)
    payload: dict[str, Any] = {
        "fiscalCode": paid.fiscal_code,
        "noticeNumber": paid.nav,
        "iuv": event.data.get("iuv"),
        "receiptId": event.data.get("receiptId"),
        "amount": notice.get("amount"),
        "fee": facts.get("fee"),
        "paymentDate": facts.get("paid_at"),
        "channel": "offline" if offline else "online",
        "pspId": facts.get("id_psp"),
        "cartId": event.cart_id,
        "transactionId": None if offline else event.attempt_id,
    }
    return {k: v for k, v in payload.items() if v is not None}
