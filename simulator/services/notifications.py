"""The proposal's notification use cases: an EC's settings and secret, its webhook subscriptions,
the delivery log and redelivery. Delivery itself is the worker's (``services.delivery``), never a
request's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from simulator.domain.codes import parse_fiscal_code
from simulator.domain.ec_settings import EcSettings
from simulator.domain.errors import InvalidInput, SandboxNotFound
from simulator.domain.notification import Delivery, DeliveryAttempt, DeliveryQuery, WebhookRow
from simulator.domain.organization import Organization
from simulator.domain.station import Station
from simulator.notify.signing import new_secret
from simulator.services import organizations
from simulator.services.destination_check import check_notify_url
from simulator.services.outbound import NOTIFIED_EVENTS, PENDING, ec_settings, save_settings
from simulator.services.unit import Unit

__all__ = [
    "MAX_WEBHOOKS_PER_EC",
    "DeliveryDetail",
    "OrganizationView",
    "deliveries",
    "delivery",
    "organization",
    "redeliver",
    "set_organization",
    "subscribe",
    "unsubscribe",
    "webhooks",
]

MAX_WEBHOOKS_PER_EC = 20


@dataclass(frozen=True, slots=True)
class OrganizationView:
    organization: Organization
    settings: EcSettings
    station: Station | None = None


@dataclass(frozen=True, slots=True)
class DeliveryDetail:
    delivery: Delivery
    attempts: list[DeliveryAttempt]


# --- the EC's settings ----------------------------------------------------------------------------


def organization(unit: Unit, fiscal_code: str) -> OrganizationView:
    org, settings = ec_settings(unit, parse_fiscal_code(fiscal_code))
    return OrganizationView(org, settings, Station.from_stored(org.settings.get("station")))


KEEP_STATION = object()  # set_organization's default: the station stays as it is


def set_organization(
    unit: Unit,
    fiscal_code: str,
    new: EcSettings,
    station: Station | object | None = KEEP_STATION,
    reached_at: str | None = None,
) -> OrganizationView:
    """Replace the EC's settings; its secret is kept unless ``new`` gives one. ``station``: the
    EC's own station (None removes it), which, like a notification endpoint, may not be the sandbox
    itself; ``reached_at``: the base URL the request came in at (the sandbox itself:
    never a notification endpoint)."""
    fiscal_code = parse_fiscal_code(fiscal_code)
    new.check()
    if new.notification_url is not None:
        check_notify_url(unit.settings, new.notification_url, "notificationUrl", reached_at)
    if isinstance(station, Station):
        station.check()
        check_notify_url(unit.settings, station.url, "station.url", reached_at)
    org, current = ec_settings(unit, fiscal_code)
    settings = replace(new, secret=new.secret or current.secret)
    save_settings(unit, org, settings)
    if station is not KEEP_STATION:
        stored = station.stored() if isinstance(station, Station) else None
        unit.tenants.set_settings(fiscal_code, {**org.settings, **settings.stored(), "station": stored})
    return organization(unit, fiscal_code)


# --- subscriptions --------------------------------------------------------------------------------


def subscribe(
    unit: Unit, url: str, fiscal_code: str, events: Sequence[str] | None, reached_at: str | None = None
) -> WebhookRow:
    check_notify_url(unit.settings, url, "url", reached_at)
    fiscal_code = parse_fiscal_code(fiscal_code)
    wanted = _check_events(events)
    organizations.ensure(unit, fiscal_code)
    if len(unit.notifications.webhooks(fiscal_code)) >= MAX_WEBHOOKS_PER_EC:
        raise InvalidInput("fiscalCode", f"has {MAX_WEBHOOKS_PER_EC} webhooks already: delete one")
    row = WebhookRow(
        id="wh_" + unit.ids.hex(),
        fiscal_code=fiscal_code,
        url=url,
        events=wanted,
        secret=new_secret(),
        created_at=unit.now,
    )
    unit.notifications.insert_webhook(row)
    return row


def webhooks(unit: Unit, fiscal_code: str | None = None) -> list[WebhookRow]:
    return unit.notifications.webhooks(parse_fiscal_code(fiscal_code) if fiscal_code is not None else None)


def unsubscribe(unit: Unit, webhook_id: str) -> None:
    """Delete a subscription; its pending deliveries fail (nothing left to sign them with)."""
    if not unit.notifications.delete_webhook(webhook_id):
        raise SandboxNotFound("webhook", webhook_id)
    unit.notifications.fail_pending(webhook_id, "the webhook subscription was deleted")


# --- the delivery log -----------------------------------------------------------------------------


def deliveries(unit: Unit, query: DeliveryQuery) -> list[Delivery]:
    return unit.notifications.deliveries(query)


def delivery(unit: Unit, delivery_id: str) -> DeliveryDetail:
    found = unit.notifications.delivery(delivery_id)
    if found is None:
        raise SandboxNotFound("delivery", delivery_id)
    return DeliveryDetail(found, unit.notifications.attempts(delivery_id))


def redeliver(unit: Unit, delivery_id: str) -> Delivery:
    """A new delivery of the same message (same webhook-id, same body) to the same endpoint, due
    now; the original stays as it was in the log."""
    original = unit.notifications.delivery(delivery_id)
    if original is None:
        raise SandboxNotFound("delivery", delivery_id)
    copy = Delivery(
        id="dlv_" + unit.ids.hex(),
        webhook_id=original.webhook_id,
        event_type=original.event_type,
        fiscal_code=original.fiscal_code,
        url=original.url,
        body=original.body,
        created_at=unit.now,
        next_attempt_at=unit.now,
        status=PENDING,
        cart_id=original.cart_id,
        subscription_id=original.subscription_id,
        redelivery_of=original.id,
    )
    unit.notifications.insert_deliveries([copy])
    return copy


def _check_events(events: Sequence[str] | None) -> tuple[str, ...] | None:
    if events is None:
        return None
    if not events:
        raise InvalidInput("events", "must name at least one event type (leave it out for all)")
    unknown = [e for e in events if e not in NOTIFIED_EVENTS]
    if unknown:
        raise InvalidInput(
            "events", f"unknown event type {str(unknown[0])[:60]!r}; known: {', '.join(NOTIFIED_EVENTS)}"
        )
    return tuple(dict.fromkeys(events))


def payload_of(delivery: Delivery) -> Any:
    """The JSON body a delivery sends."""
    return json.loads(delivery.body)
