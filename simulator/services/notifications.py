"""The proposal's notification use cases: an EC's settings and secret, its webhook subscriptions,
the delivery log and redelivery, and which endpoints an event goes to. Delivery itself is the
worker's (simulator.notify.worker), never a request's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from simulator.domain.codes import parse_fiscal_code
from simulator.domain.ec_settings import EcSettings, check_http_url
from simulator.domain.errors import InvalidInput, SandboxNotFound
from simulator.notify.outbox import NOTIFIED_EVENTS, PENDING, Target, new_delivery_id
from simulator.notify.signing import new_secret
from simulator.services import organizations
from simulator.services.context import Sandbox
from simulator.storage.store import Delivery, DeliveryAttempt, DeliveryQuery, Organization, Tx, WebhookRow

__all__ = [
    "MAX_WEBHOOKS_PER_EC",
    "DeliveryDetail",
    "NotificationService",
    "OrganizationView",
    "ec_secret",
    "ec_settings",
    "targets_for",
]

MAX_WEBHOOKS_PER_EC = 20


@dataclass(frozen=True, slots=True)
class OrganizationView:
    organization: Organization
    settings: EcSettings


@dataclass(frozen=True, slots=True)
class DeliveryDetail:
    delivery: Delivery
    attempts: list[DeliveryAttempt]


def ec_settings(tx: Tx, tenant: str, fiscal_code: str, seed: int) -> tuple[Organization, EcSettings]:
    """The EC (created on first use) and its settings, its secret created on first use too."""
    org = organizations.ensure(tx, tenant, fiscal_code, seed)
    settings = EcSettings.from_stored(org.settings)
    if settings.secret is None:
        settings = replace(settings, secret=new_secret())
        _save(tx, tenant, org, settings)
        org = tx.organization(tenant, fiscal_code) or org
    return org, settings


def ec_secret(tx: Tx, tenant: str, fiscal_code: str, seed: int) -> str:
    _, settings = ec_settings(tx, tenant, fiscal_code, seed)
    assert settings.secret is not None
    return settings.secret


def targets_for(
    tx: Tx, tenant: str, fiscal_code: str, event_type: str, notify_url: str | None = None
) -> list[Target]:
    """Where an event of the EC goes: its subscriptions that want ``event_type``, its registered
    notificationUrl and the cart's ``notify_url`` (the last two signed with the EC's secret)."""
    targets = [
        Target(w.url, w.id)
        for w in tx.webhooks(tenant, fiscal_code)
        if w.events is None or event_type in w.events
    ]
    org = tx.organization(tenant, fiscal_code)
    registered = EcSettings.from_stored(org.settings).notification_url if org is not None else None
    for url in (registered, notify_url):
        if url and Target(url) not in targets:
            targets.append(Target(url))
    return targets


def _save(tx: Tx, tenant: str, org: Organization, settings: EcSettings) -> None:
    tx.set_organization_settings(tenant, org.fiscal_code, {**org.settings, **settings.stored()})


class NotificationService:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @property
    def _seed(self) -> int:
        return self.sandbox.settings.faker_seed

    # --- the EC's settings ----------------------------------------------------------------
    def organization(self, tenant: str, fiscal_code: str) -> OrganizationView:
        fiscal_code = parse_fiscal_code(fiscal_code)
        with self.sandbox.store.transaction() as tx:
            org, settings = ec_settings(tx, tenant, fiscal_code, self._seed)
        return OrganizationView(org, settings)

    def set_organization(self, tenant: str, fiscal_code: str, new: EcSettings) -> OrganizationView:
        """Replace the EC's settings; its secret is kept unless ``new`` gives one."""
        fiscal_code = parse_fiscal_code(fiscal_code)
        new.check()
        with self.sandbox.store.transaction() as tx:
            org, current = ec_settings(tx, tenant, fiscal_code, self._seed)
            settings = replace(new, secret=new.secret or current.secret)
            _save(tx, tenant, org, settings)
        return OrganizationView(org, settings)

    # --- subscriptions ------------------------------------------------------------------------
    def subscribe(self, tenant: str, url: str, fiscal_code: str, events: Sequence[str] | None) -> WebhookRow:
        check_http_url(url, "url")
        fiscal_code = parse_fiscal_code(fiscal_code)
        wanted = _check_events(events)
        with self.sandbox.store.transaction() as tx:
            organizations.ensure(tx, tenant, fiscal_code, self._seed)
            if len(tx.webhooks(tenant, fiscal_code)) >= MAX_WEBHOOKS_PER_EC:
                raise InvalidInput("fiscalCode", f"has {MAX_WEBHOOKS_PER_EC} webhooks already: delete one")
            row = WebhookRow(
                id="wh_" + uuid.uuid4().hex,
                fiscal_code=fiscal_code,
                url=url,
                events=wanted,
                secret=new_secret(),
                created_at=self.sandbox.tenant_now(tx, tenant),
            )
            tx.insert_webhook(tenant, row)
        return row

    def webhooks(self, tenant: str, fiscal_code: str | None = None) -> list[WebhookRow]:
        if fiscal_code is not None:
            fiscal_code = parse_fiscal_code(fiscal_code)
        with self.sandbox.store.transaction() as tx:
            return tx.webhooks(tenant, fiscal_code)

    def unsubscribe(self, tenant: str, webhook_id: str) -> None:
        """Delete a subscription; its pending deliveries fail (nothing left to sign them with)."""
        with self.sandbox.store.transaction() as tx:
            if not tx.delete_webhook(tenant, webhook_id):
                raise SandboxNotFound("webhook", webhook_id)
            tx.fail_pending_deliveries(tenant, webhook_id, "the webhook subscription was deleted")

    # --- the delivery log -------------------------------------------------------------------
    def deliveries(self, tenant: str, query: DeliveryQuery) -> list[Delivery]:
        with self.sandbox.store.transaction() as tx:
            return tx.deliveries(tenant, query)

    def delivery(self, tenant: str, delivery_id: str) -> DeliveryDetail:
        with self.sandbox.store.transaction() as tx:
            delivery = tx.delivery(tenant, delivery_id)
            if delivery is None:
                raise SandboxNotFound("delivery", delivery_id)
            return DeliveryDetail(delivery, tx.delivery_attempts(tenant, delivery_id))

    def redeliver(self, tenant: str, delivery_id: str) -> Delivery:
        """A new delivery of the same message (same webhook-id, same body) to the same endpoint,
        due now; the original stays as it was in the log."""
        with self.sandbox.store.transaction() as tx:
            original = tx.delivery(tenant, delivery_id)
            if original is None:
                raise SandboxNotFound("delivery", delivery_id)
            now = self.sandbox.tenant_now(tx, tenant)
            copy = Delivery(
                id=new_delivery_id(),
                webhook_id=original.webhook_id,
                event_type=original.event_type,
                fiscal_code=original.fiscal_code,
                url=original.url,
                body=original.body,
                created_at=now,
                next_attempt_at=now,
                status=PENDING,
                cart_id=original.cart_id,
                subscription_id=original.subscription_id,
                redelivery_of=original.id,
            )
            tx.insert_deliveries(tenant, [copy])
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
