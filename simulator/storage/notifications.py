"""The notifications aggregate: an EC's webhook subscriptions, the outbox (one row per message per
endpoint, written in the transaction of the change it announces) and the log of delivery attempts.
Claiming across tenants for delivery is ``DeliveryQueue``'s, not a tenant's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from simulator.domain.notification import Delivery, DeliveryAttempt, DeliveryQuery, WebhookRow
from simulator.storage import tables as t
from simulator.storage.database import aware, maybe_aware

_w, _d, _at = t.webhooks.c, t.outbox.c, t.delivery_attempts.c


class NotificationRepository:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    # --- subscriptions -------------------------------------------------------------------------
    def insert_webhook(self, row: WebhookRow) -> None:
        self.conn.execute(
            insert(t.webhooks).values(
                tenant=self.tenant,
                id=row.id,
                fiscal_code=row.fiscal_code,
                url=row.url,
                events=list(row.events) if row.events is not None else None,
                secret=row.secret,
                created_at=row.created_at,
            )
        )

    def webhooks(self, fiscal_code: str | None = None) -> list[WebhookRow]:
        conds: list[Any] = [_w.tenant == self.tenant]
        if fiscal_code is not None:
            conds.append(_w.fiscal_code == fiscal_code)
        rows = self.conn.execute(select(t.webhooks).where(*conds).order_by(_w.created_at, _w.id)).all()
        return [_webhook_row(r) for r in rows]

    def webhook(self, webhook_id: str) -> WebhookRow | None:
        row = self.conn.execute(
            select(t.webhooks).where(_w.tenant == self.tenant, _w.id == webhook_id)
        ).first()
        return None if row is None else _webhook_row(row)

    def delete_webhook(self, webhook_id: str) -> bool:
        deleted = self.conn.execute(delete(t.webhooks).where(_w.tenant == self.tenant, _w.id == webhook_id))
        return bool(deleted.rowcount == 1)

    # --- the outbox ----------------------------------------------------------------------------
    def insert_deliveries(self, rows: Sequence[Delivery]) -> None:
        if rows:
            self.conn.execute(
                insert(t.outbox), [{"tenant": self.tenant, **_delivery_columns(r)} for r in rows]
            )

    def delivery(self, delivery_id: str) -> Delivery | None:
        row = self.conn.execute(
            select(t.outbox).where(_d.tenant == self.tenant, _d.id == delivery_id)
        ).first()
        return None if row is None else delivery_of(row)

    def deliveries(self, query: DeliveryQuery) -> list[Delivery]:
        """The newest first."""
        conds: list[Any] = [_d.tenant == self.tenant]
        if query.status is not None:
            conds.append(_d.status == query.status)
        if query.event_type is not None:
            conds.append(_d.event_type == query.event_type)
        if query.cart_id is not None:
            conds.append(_d.cart_id == query.cart_id)
        if query.webhook_id is not None:
            conds.append(_d.webhook_id == query.webhook_id)
        rows = self.conn.execute(
            select(t.outbox).where(*conds).order_by(_d.seq.desc()).limit(query.limit)
        ).all()
        return [delivery_of(r) for r in rows]

    def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        rows = self.conn.execute(
            select(t.delivery_attempts)
            .where(_at.tenant == self.tenant, _at.delivery_id == delivery_id)
            .order_by(_at.number)
        ).all()
        return [
            DeliveryAttempt(
                number=r.number,
                at=aware(r.at),
                status=r.status,
                error=r.error,
                latency_ms=r.latency_ms,
                response_excerpt=r.response_excerpt,
                worker=r.worker,
                simulated=bool(r.simulated),
            )
            for r in rows
        ]

    def fail_pending(self, subscription_id: str, reason: str) -> None:
        self.conn.execute(
            update(t.outbox)
            .where(_d.tenant == self.tenant, _d.subscription_id == subscription_id, _d.status == "pending")
            .values(status="failed", next_attempt_at=None, last_error=reason)
        )

    # --- a claimed delivery (the worker holds its lease) ----------------------------------------
    def finish_attempt(self, delivery_id: str, worker: str, attempt: DeliveryAttempt, **changes: Any) -> bool:
        """Record an attempt and its consequence (``changes`` to the outbox row), releasing the
        lease. False, and nothing written, when the row is no longer this worker's (a reset)."""
        updated = self.conn.execute(
            update(t.outbox)
            .where(_d.tenant == self.tenant, _d.id == delivery_id, _d.leased_by == worker)
            .values(lease_until=None, leased_by=None, attempts=attempt.number, **changes)
        )
        if updated.rowcount != 1:
            return False
        self.conn.execute(
            insert(t.delivery_attempts).values(
                tenant=self.tenant,
                delivery_id=delivery_id,
                number=attempt.number,
                at=attempt.at,
                status=attempt.status,
                error=attempt.error,
                latency_ms=attempt.latency_ms,
                response_excerpt=attempt.response_excerpt,
                worker=attempt.worker,
                simulated=attempt.simulated,
            )
        )
        return True

    def release(self, delivery_id: str, worker: str, **changes: Any) -> None:
        """Give a claimed delivery back untried, with ``changes`` (its scenario applied)."""
        self.conn.execute(
            update(t.outbox)
            .where(_d.tenant == self.tenant, _d.id == delivery_id, _d.leased_by == worker)
            .values(lease_until=None, leased_by=None, **changes)
        )

    def update_claimed(self, delivery_id: str, worker: str, **changes: Any) -> bool:
        updated = self.conn.execute(
            update(t.outbox)
            .where(_d.tenant == self.tenant, _d.id == delivery_id, _d.leased_by == worker)
            .values(**changes)
        )
        return bool(updated.rowcount == 1)

    def first_attempt_due(self, cart_id: str, url: str, event_type: str) -> datetime | None:
        """When the last of a cart's not yet attempted ``event_type`` deliveries to ``url`` is due
        (None: there is none)."""
        query = select(func.max(_d.next_attempt_at)).where(
            _d.tenant == self.tenant,
            _d.cart_id == cart_id,
            _d.url == url,
            _d.event_type == event_type,
            _d.status == "pending",
            _d.attempts == 0,
        )
        return maybe_aware(self.conn.execute(query).scalar())


class DeliveryQueue:
    """The outbox seen across tenants, as the delivery worker claims from it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def tenants_with_pending(self) -> list[str]:
        query = select(_d.tenant).where(_d.status == "pending").distinct()
        return [str(v) for v in self.conn.execute(query).scalars()]

    def due(self, tenant: str, *, due_by: datetime, now: datetime, limit: int) -> list[tuple[int, str]]:
        """``(seq, url)`` of up to ``limit`` of the tenant's pending deliveries due by ``due_by``
        (its clock) and not leased at ``now`` (the real clock), the earliest due first. On
        PostgreSQL the rows are locked (SKIP LOCKED) until the claim's transaction ends; on SQLite
        that transaction is already exclusive (BEGIN IMMEDIATE)."""
        conds = [_d.status == "pending", _d.tenant == tenant, _d.next_attempt_at <= due_by, _free(now)]
        query = select(_d.seq, _d.url).where(*conds).order_by(_d.next_attempt_at, _d.seq).limit(limit)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [(int(seq), str(url)) for seq, url in self.conn.execute(query).all()]

    def lease(
        self, seqs: Sequence[int], *, now: datetime, lease_until: datetime, worker: str
    ) -> list[tuple[str, Delivery]]:
        """Lease the rows ``seqs`` that are still pending and free to ``worker`` until
        ``lease_until``, each by a conditional UPDATE (a row another worker took is skipped);
        ``(tenant, delivery)`` in the order of ``seqs``."""
        claimed: list[int] = []
        for seq in seqs:
            taken = self.conn.execute(
                update(t.outbox)
                .where(_d.seq == seq, _d.status == "pending", _free(now))
                .values(lease_until=lease_until, leased_by=worker)
            )
            if taken.rowcount == 1:
                claimed.append(seq)
        if not claimed:
            return []
        rows = {r.seq: r for r in self.conn.execute(select(t.outbox).where(_d.seq.in_(claimed))).all()}
        return [(str(rows[seq].tenant), delivery_of(rows[seq])) for seq in claimed]


def _free(now: datetime) -> Any:
    return or_(_d.lease_until.is_(None), _d.lease_until < now)


def _webhook_row(row: Any) -> WebhookRow:
    return WebhookRow(
        id=row.id,
        fiscal_code=row.fiscal_code,
        url=row.url,
        events=tuple(row.events) if row.events is not None else None,
        secret=row.secret,
        created_at=aware(row.created_at),
    )


def _delivery_columns(row: Delivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "webhook_id": row.webhook_id,
        "event_type": row.event_type,
        "fiscal_code": row.fiscal_code,
        "cart_id": row.cart_id,
        "subscription_id": row.subscription_id,
        "url": row.url,
        "body": row.body,
        "status": row.status,
        "attempts": row.attempts,
        "fail_first": row.fail_first,
        "created_at": row.created_at,
        "next_attempt_at": row.next_attempt_at,
        "delivered_at": row.delivered_at,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "redelivery_of": row.redelivery_of,
        "scenario_id": row.scenario_id,
        "prepared": row.prepared,
    }


def delivery_of(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event_type=row.event_type,
        fiscal_code=row.fiscal_code,
        url=row.url,
        body=row.body,
        created_at=aware(row.created_at),
        next_attempt_at=maybe_aware(row.next_attempt_at),
        status=row.status,
        cart_id=row.cart_id,
        subscription_id=row.subscription_id,
        attempts=row.attempts,
        fail_first=row.fail_first,
        delivered_at=maybe_aware(row.delivered_at),
        last_status=row.last_status,
        last_error=row.last_error,
        redelivery_of=row.redelivery_of,
        scenario_id=row.scenario_id,
        prepared=bool(row.prepared),
    )
