"""The store: one transaction per use case, every query scoped to a tenant.

Uniqueness (IUPD, IUV, NAV, receipts) is enforced by the database's constraints, so it holds
across several worker processes; a violation surfaces as ``Duplicate``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Engine, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from simulator.domain.cart import Cart
from simulator.domain.debt_position import DebtPosition, PositionStatus
from simulator.domain.events import Event, EventType
from simulator.domain.journal import JournalEntry, JournalQuery
from simulator.domain.payment import PaymentAttempt
from simulator.storage import tables as t
from simulator.storage.documents import from_document, to_document

JOURNAL_TRIM_EVERY = 50  # trimming costs a query: do it on one insert in fifty


class Duplicate(Exception):
    """A unique constraint refused the write."""


@dataclass(frozen=True, slots=True)
class Organization:
    fiscal_code: str
    company_name: str
    segregation_code: int
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PositionQuery:
    page: int = 0
    limit: int = 10
    due_date_from: date | None = None
    due_date_to: date | None = None
    payment_date_from: date | None = None
    payment_date_to: date | None = None
    status: PositionStatus | None = None
    orderby: str = "INSERTED_DATE"
    ordering: str = "DESC"


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    total: int


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    organization: str
    iuv: str
    receipt_id: str
    debtor: str | None
    payment_date: datetime
    xml: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PaidNotice:
    """A row of ``paid_notices``: a notice the node saw paid, and its receipt's fate."""

    fiscal_code: str
    nav: str
    iuv: str
    attempt_id: str
    cart_id: str | None
    paid_at: datetime
    receipt: str  # delivered | due | lost | refused
    receipt_due_at: datetime | None
    duplicate: bool
    document: dict[str, Any]
    id: int | None = None


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
    """A row of ``outbox``: one message to one endpoint, and where its delivery stands."""

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


_ORDER = {
    "INSERTED_DATE": t.debt_positions.c.inserted_date,
    "IUPD": t.debt_positions.c.iupd,
    "STATUS": t.debt_positions.c.status,
    "COMPANY_NAME": t.debt_positions.c.company_name,
}


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite admits one writer at a time and makes the others poll with growing sleeps (up to
        # 100 ms each); queueing this process's threads on a lock instead keeps latency flat. Other
        # processes still wait on the database's own lock.
        self._local_writer: threading.RLock | None = (
            threading.RLock() if engine.dialect.name == "sqlite" else None
        )

    def create_schema(self) -> None:
        t.metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        if self._local_writer is None:
            with self.engine.begin() as conn:
                yield Tx(conn)
            return
        with self._local_writer, self.engine.begin() as conn:
            yield Tx(conn)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))


class Tx:
    """Queries and writes inside one database transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: what fails inside it rolls back alone, the rest goes on."""
        with self.conn.begin_nested():
            yield

    # --- tenants and their clocks -------------------------------------------------------
    def clock_offset(self, tenant: str) -> float:
        value = self.conn.execute(select(t.tenants.c.clock_offset).where(t.tenants.c.name == tenant)).scalar()
        return float(value or 0.0)

    def advance_clock(self, tenant: str, seconds: float) -> float:
        current = self.conn.execute(
            select(t.tenants.c.clock_offset).where(t.tenants.c.name == tenant)
        ).scalar()
        if current is None:
            self.conn.execute(insert(t.tenants).values(name=tenant, clock_offset=seconds))
            return seconds
        new = float(current) + seconds
        self.conn.execute(update(t.tenants).where(t.tenants.c.name == tenant).values(clock_offset=new))
        return new

    # --- organizations -------------------------------------------------------------------
    def organization(self, tenant: str, fiscal_code: str) -> Organization | None:
        row = self.conn.execute(
            select(t.organizations).where(
                t.organizations.c.tenant == tenant, t.organizations.c.fiscal_code == fiscal_code
            )
        ).first()
        if row is None:
            return None
        return Organization(row.fiscal_code, row.company_name, row.segregation_code, dict(row.settings or {}))

    def add_organization(self, tenant: str, org: Organization) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.organizations).values(
                        tenant=tenant,
                        fiscal_code=org.fiscal_code,
                        company_name=org.company_name,
                        segregation_code=org.segregation_code,
                        iuv_sequence=0,
                        settings=org.settings,
                    )
                )
        except IntegrityError:
            pass  # another worker created it first: same deterministic content

    def next_iuv_sequence(self, tenant: str, fiscal_code: str) -> int:
        cond = and_(t.organizations.c.tenant == tenant, t.organizations.c.fiscal_code == fiscal_code)
        self.conn.execute(
            update(t.organizations).where(cond).values(iuv_sequence=t.organizations.c.iuv_sequence + 1)
        )
        return int(self.conn.execute(select(t.organizations.c.iuv_sequence).where(cond)).scalar_one())

    def iuv_or_nav_taken(self, tenant: str, organization: str, iuv: str, nav: str) -> bool:
        o = t.payment_options.c
        query = select(
            exists().where(
                o.tenant == tenant, o.organization == organization, or_(o.iuv == iuv, o.nav == nav)
            )
        )
        return bool(self.conn.execute(query).scalar())

    # --- debt positions ------------------------------------------------------------------
    def insert_position(self, tenant: str, position: DebtPosition) -> None:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(t.debt_positions).values(tenant=tenant, **_position_columns(position))
                )
                position_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                self._insert_options(tenant, position_id, position)
        except IntegrityError as exc:
            raise Duplicate(str(exc.orig)) from exc

    def save_position(self, tenant: str, position: DebtPosition) -> None:
        """Rewrite an existing position (same IUPD) and its option index."""
        position_id = self._position_id(tenant, position.organization_fiscal_code, position.iupd)
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(t.debt_positions)
                    .where(t.debt_positions.c.id == position_id)
                    .values(**_position_columns(position))
                )
                self.conn.execute(
                    delete(t.payment_options).where(t.payment_options.c.position_id == position_id)
                )
                self._insert_options(tenant, position_id, position)
        except IntegrityError as exc:
            raise Duplicate(str(exc.orig)) from exc

    def _insert_options(self, tenant: str, position_id: int, position: DebtPosition) -> None:
        rows = [
            {
                "position_id": position_id,
                "tenant": tenant,
                "organization": position.organization_fiscal_code,
                "iuv": o.iuv,
                "nav": o.nav,
                "due_date": o.due_date,
                "payment_date": o.payment.payment_date if o.payment else None,
            }
            for o in position.options
        ]
        if rows:
            self.conn.execute(insert(t.payment_options), rows)

    def _position_id(self, tenant: str, organization: str, iupd: str) -> int:
        p = t.debt_positions.c
        return int(
            self.conn.execute(
                select(p.id).where(p.tenant == tenant, p.organization == organization, p.iupd == iupd)
            ).scalar_one()
        )

    def position(self, tenant: str, organization: str, iupd: str) -> DebtPosition | None:
        p = t.debt_positions.c
        doc = self.conn.execute(
            select(p.document).where(p.tenant == tenant, p.organization == organization, p.iupd == iupd)
        ).scalar()
        return None if doc is None else from_document(DebtPosition, doc)

    def position_by_nav(self, tenant: str, organization: str, nav: str) -> DebtPosition | None:
        o = t.payment_options.c
        doc = self.conn.execute(
            select(t.debt_positions.c.document)
            .join(t.payment_options, o.position_id == t.debt_positions.c.id)
            .where(o.tenant == tenant, o.organization == organization, o.nav == nav)
        ).scalar()
        return None if doc is None else from_document(DebtPosition, doc)

    def delete_position(self, tenant: str, organization: str, iupd: str) -> None:
        position_id = self._position_id(tenant, organization, iupd)
        self.conn.execute(delete(t.payment_options).where(t.payment_options.c.position_id == position_id))
        self.conn.execute(delete(t.debt_positions).where(t.debt_positions.c.id == position_id))

    def positions_to_settle(self, tenant: str, organization: str, now: datetime) -> list[DebtPosition]:
        """Positions whose status may have moved with time (the domain decides for each)."""
        p = t.debt_positions.c
        docs = self.conn.execute(
            select(p.document).where(
                p.tenant == tenant,
                p.organization == organization,
                or_(
                    and_(p.status == PositionStatus.PUBLISHED.value, p.validity_date <= now),
                    and_(
                        p.status == PositionStatus.VALID.value,
                        p.switch_to_expired.is_(True),
                        p.last_due_date < now,
                    ),
                ),
            )
        ).scalars()
        return [from_document(DebtPosition, d) for d in docs]

    def list_positions(self, tenant: str, organization: str, q: PositionQuery) -> Page:
        p, o = t.debt_positions.c, t.payment_options.c
        conds: list[Any] = [p.tenant == tenant, p.organization == organization]
        if q.status is not None:
            conds.append(p.status == q.status.value)
        option_conds: list[Any] = []
        if q.due_date_from is not None:
            option_conds.append(o.due_date >= _day_start(q.due_date_from))
        if q.due_date_to is not None:
            option_conds.append(o.due_date <= _day_end(q.due_date_to))
        if q.payment_date_from is not None:
            option_conds.append(o.payment_date >= _day_start(q.payment_date_from))
        if q.payment_date_to is not None:
            option_conds.append(o.payment_date <= _day_end(q.payment_date_to))
        if option_conds:
            conds.append(exists().where(o.position_id == p.id, *option_conds))
        total = int(
            self.conn.execute(select(func.count()).select_from(t.debt_positions).where(*conds)).scalar_one()
        )
        column = _ORDER[q.orderby]
        order = [column.asc(), p.id.asc()] if q.ordering == "ASC" else [column.desc(), p.id.desc()]
        docs = self.conn.execute(
            select(p.document).where(*conds).order_by(*order).limit(q.limit).offset(q.page * q.limit)
        ).scalars()
        return Page([from_document(DebtPosition, d) for d in docs], total)

    # --- receipts ------------------------------------------------------------------------
    def insert_receipt(self, tenant: str, row: ReceiptRow) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.receipts).values(
                        tenant=tenant,
                        organization=row.organization,
                        iuv=row.iuv,
                        receipt_id=row.receipt_id,
                        debtor=row.debtor,
                        payment_date=row.payment_date,
                        xml=row.xml,
                        document=row.document,
                    )
                )
        except IntegrityError as exc:
            raise Duplicate(str(exc.orig)) from exc

    def receipt(self, tenant: str, organization: str, iuv: str) -> ReceiptRow | None:
        r = t.receipts.c
        row = self.conn.execute(
            select(t.receipts).where(r.tenant == tenant, r.organization == organization, r.iuv == iuv)
        ).first()
        return None if row is None else _receipt_row(row)

    def list_receipts(
        self,
        tenant: str,
        organization: str,
        *,
        page: int,
        size: int,
        debtor: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        debtor_or_iuv: str | None = None,
    ) -> Page:
        r = t.receipts.c
        conds: list[Any] = [r.tenant == tenant, r.organization == organization]
        if debtor:
            conds.append(r.debtor == debtor)
        if date_from is not None:
            conds.append(r.payment_date >= date_from)
        if date_to is not None:
            conds.append(r.payment_date <= date_to)
        if debtor_or_iuv:
            conds.append(
                or_(
                    r.debtor.startswith(debtor_or_iuv, autoescape=True),
                    r.iuv.startswith(debtor_or_iuv, autoescape=True),
                )
            )
        total = int(
            self.conn.execute(select(func.count()).select_from(t.receipts).where(*conds)).scalar_one()
        )
        rows = self.conn.execute(
            select(t.receipts)
            .where(*conds)
            .order_by(r.payment_date.desc(), r.id.desc())
            .limit(size)
            .offset(page * size)
        ).all()
        return Page([_receipt_row(x) for x in rows], total)

    # --- carts ---------------------------------------------------------------------------
    def insert_cart(self, tenant: str, cart: Cart) -> None:
        self.conn.execute(
            insert(t.carts).values(
                tenant=tenant,
                id=cart.id,
                created_at=cart.created_at,
                expires_at=cart.expires_at,
                document=to_document(cart),
            )
        )

    def cart(self, tenant: str, cart_id: str) -> Cart | None:
        c = t.carts.c
        doc = self.conn.execute(select(c.document).where(c.tenant == tenant, c.id == cart_id)).scalar()
        return None if doc is None else from_document(Cart, doc)

    def save_cart(self, tenant: str, cart: Cart) -> None:
        c = t.carts.c
        self.conn.execute(
            update(t.carts)
            .where(c.tenant == tenant, c.id == cart.id)
            .values(expires_at=cart.expires_at, document=to_document(cart))
        )

    def cart_tenant(self, cart_id: str) -> str | None:
        c = t.carts.c
        value = self.conn.execute(select(c.tenant).where(c.id == cart_id).limit(1)).scalar()
        return None if value is None else str(value)

    def organization_has_positions(self, tenant: str, organization: str) -> bool:
        p = t.debt_positions.c
        query = select(exists().where(p.tenant == tenant, p.organization == organization))
        return bool(self.conn.execute(query).scalar())

    # --- payment attempts and notice locks ------------------------------------------------
    def insert_attempt(self, tenant: str, attempt: PaymentAttempt) -> None:
        self.conn.execute(insert(t.payment_attempts).values(tenant=tenant, **_attempt_columns(attempt)))

    def save_attempt(self, tenant: str, attempt: PaymentAttempt) -> None:
        a = t.payment_attempts.c
        self.conn.execute(
            update(t.payment_attempts)
            .where(a.tenant == tenant, a.id == attempt.id)
            .values(**_attempt_columns(attempt))
        )

    def attempt(self, tenant: str, attempt_id: str, *, for_update: bool = False) -> PaymentAttempt | None:
        """One attempt; ``for_update`` locks its row until the transaction ends (PostgreSQL; SQLite
        transactions are already serialized by BEGIN IMMEDIATE)."""
        a = t.payment_attempts.c
        query = select(a.document).where(a.tenant == tenant, a.id == attempt_id)
        if for_update:
            query = query.with_for_update()
        doc = self.conn.execute(query).scalar()
        return None if doc is None else from_document(PaymentAttempt, doc)

    def pending_attempt_ids(self, tenant: str) -> list[str]:
        """The tenant's attempts waiting for a result (CLOSED, outcome 17)."""
        a = t.payment_attempts.c
        query = select(a.id).where(a.tenant == tenant, a.state == "CLOSED").order_by(a.created_at, a.id)
        return [str(v) for v in self.conn.execute(query).scalars()]

    def lock_notice(
        self, tenant: str, fiscal_code: str, nav: str, attempt_id: str, expires_at: datetime, now: datetime
    ) -> bool:
        """Take a notice for ``attempt_id`` until ``expires_at``. False when a live lock holds it; a
        lock that has expired by ``now`` is taken over in place. The unique constraint decides races."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.notice_locks).values(
                        tenant=tenant,
                        fiscal_code=fiscal_code,
                        nav=nav,
                        attempt_id=attempt_id,
                        expires_at=expires_at,
                    )
                )
            return True
        except IntegrityError:
            pass
        n = t.notice_locks.c
        # Re-evaluated against the committed row under PostgreSQL's READ COMMITTED: of two workers
        # taking over the same expired lock, the second finds it live and updates nothing.
        taken = self.conn.execute(
            update(t.notice_locks)
            .where(
                n.tenant == tenant,
                n.fiscal_code == fiscal_code,
                n.nav == nav,
                n.expires_at.is_not(None),
                n.expires_at <= now,
            )
            .values(attempt_id=attempt_id, expires_at=expires_at)
        )
        return taken.rowcount == 1

    def notice_lock(self, tenant: str, fiscal_code: str, nav: str, now: datetime) -> str | None:
        """The attempt holding a live lock on the notice, if any."""
        n = t.notice_locks.c
        return self.conn.execute(
            select(n.attempt_id).where(
                n.tenant == tenant,
                n.fiscal_code == fiscal_code,
                n.nav == nav,
                or_(n.expires_at.is_(None), n.expires_at > now),
            )
        ).scalar()

    def hold_locks(self, tenant: str, attempt_id: str) -> None:
        """Keep an attempt's locks until released, whatever the clock says (a pending payment)."""
        n = t.notice_locks.c
        self.conn.execute(
            update(t.notice_locks)
            .where(n.tenant == tenant, n.attempt_id == attempt_id)
            .values(expires_at=None)
        )

    def release_locks(self, tenant: str, attempt_id: str) -> None:
        n = t.notice_locks.c
        self.conn.execute(delete(t.notice_locks).where(n.tenant == tenant, n.attempt_id == attempt_id))

    # --- checkout page sessions ------------------------------------------------------------
    def insert_page_session(
        self, session_id: str, tenant: str, created_at: datetime, expires_at: datetime, data: dict[str, Any]
    ) -> None:
        self.conn.execute(
            insert(t.page_sessions).values(
                id=session_id, tenant=tenant, created_at=created_at, expires_at=expires_at, data=data
            )
        )

    def page_session(self, session_id: str) -> tuple[str, dict[str, Any]] | None:
        """(tenant, data) of a page session, whoever asks: the cookie's random id is the key."""
        c = t.page_sessions.c
        row = self.conn.execute(select(c.tenant, c.data).where(c.id == session_id)).first()
        return None if row is None else (str(row.tenant), dict(row.data or {}))

    def save_page_session(self, session_id: str, expires_at: datetime, data: dict[str, Any]) -> None:
        c = t.page_sessions.c
        self.conn.execute(
            update(t.page_sessions).where(c.id == session_id).values(data=data, expires_at=expires_at)
        )

    def purge_page_sessions(self, tenant: str, before: datetime) -> None:
        """Forget a tenant's sessions that ended before ``before`` (each tenant has its own clock)."""
        c = t.page_sessions.c
        self.conn.execute(delete(t.page_sessions).where(c.tenant == tenant, c.expires_at < before))

    # --- journal ---------------------------------------------------------------------------
    def add_journal_entry(self, tenant: str, entry: JournalEntry, keep: int) -> None:
        """Append an entry; every so often drop the tenant's entries beyond the newest ``keep``."""
        j = t.journal.c
        result = self.conn.execute(
            insert(t.journal).values(
                tenant=tenant,
                at=entry.at,
                direction=entry.direction,
                method=entry.method,
                url=entry.url,
                path=entry.path[:2048],
                status=entry.status,
                latency_ms=entry.latency_ms,
                cart_id=entry.cart_id,
                request_body=entry.request_body,
                response_body=entry.response_body,
            )
        )
        new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if new_id % JOURNAL_TRIM_EVERY == 0:
            oldest_kept = self.conn.execute(
                select(j.id).where(j.tenant == tenant).order_by(j.id.desc()).offset(keep - 1).limit(1)
            ).scalar()
            if oldest_kept is not None:
                self.conn.execute(delete(t.journal).where(j.tenant == tenant, j.id < oldest_kept))

    def journal(self, tenant: str, query: JournalQuery, keep: int) -> list[JournalEntry]:
        """The newest entries first, at most ``keep`` back (older ones are as good as dropped)."""
        j = t.journal.c
        newest = select(j.id).where(j.tenant == tenant).order_by(j.id.desc()).limit(keep).subquery()
        conds: list[Any] = [j.tenant == tenant, j.id.in_(select(newest.c.id))]
        if query.path:
            conds.append(j.path.startswith(query.path, autoescape=True))
        if query.status is not None:
            conds.append(j.status == query.status)
        if query.cart_id:
            conds.append(j.cart_id == query.cart_id)
        if query.since is not None:
            conds.append(j.at >= query.since)
        rows = self.conn.execute(
            select(t.journal).where(*conds).order_by(j.id.desc()).limit(query.limit)
        ).all()
        return [
            JournalEntry(
                id=r.id,
                at=_aware(r.at),
                direction=r.direction,
                method=r.method,
                url=r.url,
                path=r.path,
                status=r.status,
                latency_ms=r.latency_ms,
                cart_id=r.cart_id,
                request_body=r.request_body,
                response_body=r.response_body,
            )
            for r in rows
        ]

    def clear_journal(self, tenant: str) -> None:
        self.conn.execute(delete(t.journal).where(t.journal.c.tenant == tenant))

    # --- events ------------------------------------------------------------------------------
    def add_event(self, tenant: str, event: Event) -> int:
        result = self.conn.execute(
            insert(t.events).values(
                tenant=tenant,
                cart_id=event.cart_id,
                attempt_id=event.attempt_id,
                at=event.at,
                type=event.type.value,
                data=dict(event.data),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def cart_events(self, tenant: str, cart_id: str) -> list[Event]:
        """A cart's events in the order recorded."""
        e = t.events.c
        rows = self.conn.execute(
            select(t.events).where(e.tenant == tenant, e.cart_id == cart_id).order_by(e.id)
        ).all()
        return [
            Event(
                EventType(r.type),
                _aware(r.at),
                r.cart_id,
                r.attempt_id,
                dict(r.data or {}),
                r.id,
            )
            for r in rows
        ]

    # --- notices the node saw paid, and their receipts ----------------------------------------
    def insert_paid_notice(self, tenant: str, row: PaidNotice) -> int:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(t.paid_notices).values(
                        tenant=tenant,
                        fiscal_code=row.fiscal_code,
                        nav=row.nav,
                        iuv=row.iuv,
                        attempt_id=row.attempt_id,
                        cart_id=row.cart_id,
                        paid_at=row.paid_at,
                        receipt=row.receipt,
                        receipt_due_at=row.receipt_due_at,
                        duplicate=row.duplicate,
                        document=row.document,
                    )
                )
        except IntegrityError as exc:
            raise Duplicate(str(exc.orig)) from exc
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def notice_paid(self, tenant: str, fiscal_code: str, nav: str) -> bool:
        p = t.paid_notices.c
        query = select(exists().where(p.tenant == tenant, p.fiscal_code == fiscal_code, p.nav == nav))
        return bool(self.conn.execute(query).scalar())

    def receipts_due(self, tenant: str, now: datetime) -> list[PaidNotice]:
        """Receipts waiting for their time that has come, oldest first."""
        p = t.paid_notices.c
        rows = self.conn.execute(
            select(t.paid_notices)
            .where(p.tenant == tenant, p.receipt == "due", p.receipt_due_at <= now)
            .order_by(p.receipt_due_at, p.id)
        ).all()
        return [_paid_notice(r) for r in rows]

    def set_receipt_state(self, tenant: str, paid_notice_id: int, state: str) -> None:
        p = t.paid_notices.c
        self.conn.execute(
            update(t.paid_notices)
            .where(p.tenant == tenant, p.id == paid_notice_id)
            .values(receipt=state, receipt_due_at=None)
        )

    # --- counters shared by all workers ------------------------------------------------------
    def counter(self, name: str) -> int:
        value = self.conn.execute(select(t.counters.c.value).where(t.counters.c.name == name)).scalar()
        return int(value or 0)

    def bump_counter(self, name: str) -> int:
        c = t.counters.c
        updated = self.conn.execute(update(t.counters).where(c.name == name).values(value=c.value + 1))
        if updated.rowcount == 0:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(insert(t.counters).values(name=name, value=1))
            except IntegrityError:  # another worker inserted it first
                self.conn.execute(update(t.counters).where(c.name == name).values(value=c.value + 1))
        return self.counter(name)

    # --- notifications: EC settings, subscriptions, the outbox and its delivery log ------------
    def set_organization_settings(self, tenant: str, fiscal_code: str, settings: dict[str, Any]) -> None:
        o = t.organizations.c
        self.conn.execute(
            update(t.organizations)
            .where(o.tenant == tenant, o.fiscal_code == fiscal_code)
            .values(settings=settings)
        )

    def insert_webhook(self, tenant: str, row: WebhookRow) -> None:
        self.conn.execute(
            insert(t.webhooks).values(
                tenant=tenant,
                id=row.id,
                fiscal_code=row.fiscal_code,
                url=row.url,
                events=list(row.events) if row.events is not None else None,
                secret=row.secret,
                created_at=row.created_at,
            )
        )

    def webhooks(self, tenant: str, fiscal_code: str | None = None) -> list[WebhookRow]:
        w = t.webhooks.c
        conds: list[Any] = [w.tenant == tenant]
        if fiscal_code is not None:
            conds.append(w.fiscal_code == fiscal_code)
        rows = self.conn.execute(select(t.webhooks).where(*conds).order_by(w.created_at, w.id)).all()
        return [_webhook_row(r) for r in rows]

    def webhook(self, tenant: str, webhook_id: str) -> WebhookRow | None:
        w = t.webhooks.c
        row = self.conn.execute(select(t.webhooks).where(w.tenant == tenant, w.id == webhook_id)).first()
        return None if row is None else _webhook_row(row)

    def delete_webhook(self, tenant: str, webhook_id: str) -> bool:
        w = t.webhooks.c
        deleted = self.conn.execute(delete(t.webhooks).where(w.tenant == tenant, w.id == webhook_id))
        return deleted.rowcount == 1

    def insert_deliveries(self, tenant: str, rows: Sequence[Delivery]) -> None:
        if rows:
            self.conn.execute(insert(t.outbox), [{"tenant": tenant, **_delivery_columns(r)} for r in rows])

    def delivery(self, tenant: str, delivery_id: str) -> Delivery | None:
        d = t.outbox.c
        row = self.conn.execute(select(t.outbox).where(d.tenant == tenant, d.id == delivery_id)).first()
        return None if row is None else _delivery(row)

    def deliveries(self, tenant: str, query: DeliveryQuery) -> list[Delivery]:
        """The newest first."""
        d = t.outbox.c
        conds: list[Any] = [d.tenant == tenant]
        if query.status is not None:
            conds.append(d.status == query.status)
        if query.event_type is not None:
            conds.append(d.event_type == query.event_type)
        if query.cart_id is not None:
            conds.append(d.cart_id == query.cart_id)
        if query.webhook_id is not None:
            conds.append(d.webhook_id == query.webhook_id)
        rows = self.conn.execute(
            select(t.outbox).where(*conds).order_by(d.seq.desc()).limit(query.limit)
        ).all()
        return [_delivery(r) for r in rows]

    def delivery_attempts(self, tenant: str, delivery_id: str) -> list[DeliveryAttempt]:
        a = t.delivery_attempts.c
        rows = self.conn.execute(
            select(t.delivery_attempts)
            .where(a.tenant == tenant, a.delivery_id == delivery_id)
            .order_by(a.number)
        ).all()
        return [
            DeliveryAttempt(
                number=r.number,
                at=_aware(r.at),
                status=r.status,
                error=r.error,
                latency_ms=r.latency_ms,
                response_excerpt=r.response_excerpt,
                worker=r.worker,
                simulated=bool(r.simulated),
            )
            for r in rows
        ]

    def tenants_with_pending_deliveries(self) -> list[str]:
        d = t.outbox.c
        query = select(d.tenant).where(d.status == "pending").distinct()
        return [str(v) for v in self.conn.execute(query).scalars()]

    def claim_deliveries(
        self, tenant: str, *, due_by: datetime, now: datetime, lease_until: datetime, worker: str, limit: int
    ) -> list[Delivery]:
        """Lease up to ``limit`` of the tenant's pending deliveries due by ``due_by`` (its clock)
        and not leased at ``now`` (the real clock) to ``worker`` until ``lease_until``. On
        PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED; on SQLite the transaction is
        already exclusive (BEGIN IMMEDIATE) and each row is taken by a conditional UPDATE."""
        d = t.outbox.c
        free = or_(d.lease_until.is_(None), d.lease_until < now)
        conds = [d.status == "pending", d.tenant == tenant, d.next_attempt_at <= due_by, free]
        query = select(d.seq).where(*conds).order_by(d.next_attempt_at, d.seq).limit(limit)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed: list[int] = []
        for seq in self.conn.execute(query).scalars().all():
            taken = self.conn.execute(
                update(t.outbox)
                .where(d.seq == seq, d.status == "pending", free)
                .values(lease_until=lease_until, leased_by=worker)
            )
            if taken.rowcount == 1:
                claimed.append(seq)
        if not claimed:
            return []
        rows = self.conn.execute(
            select(t.outbox).where(d.seq.in_(claimed)).order_by(d.next_attempt_at, d.seq)
        ).all()
        return [_delivery(r) for r in rows]

    def finish_delivery_attempt(
        self, tenant: str, delivery_id: str, worker: str, attempt: DeliveryAttempt, **changes: Any
    ) -> bool:
        """Record an attempt and its consequence (``changes`` to the outbox row), releasing the
        lease. False, and nothing written, when the row is no longer this worker's (a reset)."""
        d = t.outbox.c
        updated = self.conn.execute(
            update(t.outbox)
            .where(d.tenant == tenant, d.id == delivery_id, d.leased_by == worker)
            .values(lease_until=None, leased_by=None, attempts=attempt.number, **changes)
        )
        if updated.rowcount != 1:
            return False
        self.conn.execute(
            insert(t.delivery_attempts).values(
                tenant=tenant,
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

    def release_delivery(self, tenant: str, delivery_id: str, worker: str, **changes: Any) -> None:
        """Give a claimed delivery back untried, with ``changes`` (its scenario applied)."""
        d = t.outbox.c
        self.conn.execute(
            update(t.outbox)
            .where(d.tenant == tenant, d.id == delivery_id, d.leased_by == worker)
            .values(lease_until=None, leased_by=None, **changes)
        )

    def update_claimed_delivery(self, tenant: str, delivery_id: str, worker: str, **changes: Any) -> bool:
        d = t.outbox.c
        updated = self.conn.execute(
            update(t.outbox)
            .where(d.tenant == tenant, d.id == delivery_id, d.leased_by == worker)
            .values(**changes)
        )
        return updated.rowcount == 1

    def first_attempt_due(self, tenant: str, cart_id: str, url: str, event_type: str) -> datetime | None:
        """When the last of a cart's not yet attempted ``event_type`` deliveries to ``url`` is due
        (None: there is none)."""
        d = t.outbox.c
        query = select(func.max(d.next_attempt_at)).where(
            d.tenant == tenant,
            d.cart_id == cart_id,
            d.url == url,
            d.event_type == event_type,
            d.status == "pending",
            d.attempts == 0,
        )
        value = self.conn.execute(query).scalar()
        return None if value is None else _aware(value)

    def fail_pending_deliveries(self, tenant: str, subscription_id: str, reason: str) -> None:
        d = t.outbox.c
        self.conn.execute(
            update(t.outbox)
            .where(d.tenant == tenant, d.subscription_id == subscription_id, d.status == "pending")
            .values(status="failed", next_attempt_at=None, last_error=reason)
        )

    def paid_notice(self, tenant: str, fiscal_code: str, nav: str) -> PaidNotice | None:
        """The node's record of a paid notice (online or offline), if any."""
        p = t.paid_notices.c
        row = self.conn.execute(
            select(t.paid_notices).where(p.tenant == tenant, p.fiscal_code == fiscal_code, p.nav == nav)
        ).first()
        return None if row is None else _paid_notice(row)

    # --- whole tenant --------------------------------------------------------------------
    def reset_tenant(self, tenant: str) -> None:
        """Forget everything of the tenant but its page sessions: a browser mid-payment then ends
        on the error page (its attempt is gone) rather than on an unexplained expired session."""
        for table in (
            t.delivery_attempts,
            t.outbox,
            t.webhooks,
            t.events,
            t.paid_notices,
            t.journal,
            t.notice_locks,
            t.payment_attempts,
            t.carts,
            t.receipts,
            t.payment_options,
            t.debt_positions,
            t.organizations,
        ):
            self.conn.execute(delete(table).where(table.c.tenant == tenant))
        self.conn.execute(delete(t.tenants).where(t.tenants.c.name == tenant))


def _position_columns(position: DebtPosition) -> dict[str, Any]:
    assert position.inserted_date is not None, "a stored position has an inserted date"
    return {
        "organization": position.organization_fiscal_code,
        "iupd": position.iupd,
        "status": position.status.value,
        "company_name": position.company_name,
        "inserted_date": position.inserted_date,
        "validity_date": position.validity_date,
        "last_due_date": position.last_due_date,
        "switch_to_expired": position.switch_to_expired,
        "document": to_document(position),
    }


def _attempt_columns(attempt: PaymentAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "cart_id": attempt.cart_id,
        "state": attempt.state.value,
        "created_at": attempt.created_at,
        "token_expires_at": attempt.token_expires_at,
        "document": to_document(attempt),
    }


def _day_start(day: date) -> datetime:
    from datetime import UTC

    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _day_end(day: date) -> datetime:
    """The last instant of a day (not the next day's start, which overflows on 9999-12-31)."""
    from datetime import UTC

    return datetime.combine(day, time.max, tzinfo=UTC)


def _receipt_row(row: Any) -> ReceiptRow:
    return ReceiptRow(
        row.organization,
        row.iuv,
        row.receipt_id,
        row.debtor,
        _aware(row.payment_date),
        row.xml,
        dict(row.document),
    )


def _paid_notice(row: Any) -> PaidNotice:
    return PaidNotice(
        fiscal_code=row.fiscal_code,
        nav=row.nav,
        iuv=row.iuv,
        attempt_id=row.attempt_id,
        cart_id=row.cart_id,
        paid_at=_aware(row.paid_at),
        receipt=row.receipt,
        receipt_due_at=_aware(row.receipt_due_at) if row.receipt_due_at is not None else None,
        duplicate=bool(row.duplicate),
        document=dict(row.document),
        id=row.id,
    )


def _webhook_row(row: Any) -> WebhookRow:
    return WebhookRow(
        id=row.id,
        fiscal_code=row.fiscal_code,
        url=row.url,
        events=tuple(row.events) if row.events is not None else None,
        secret=row.secret,
        created_at=_aware(row.created_at),
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


def _delivery(row: Any) -> Delivery:
    def maybe(value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)

    return Delivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event_type=row.event_type,
        fiscal_code=row.fiscal_code,
        url=row.url,
        body=row.body,
        created_at=_aware(row.created_at),
        next_attempt_at=maybe(row.next_attempt_at),
        status=row.status,
        cart_id=row.cart_id,
        subscription_id=row.subscription_id,
        attempts=row.attempts,
        fail_first=row.fail_first,
        delivered_at=maybe(row.delivered_at),
        last_status=row.last_status,
        last_error=row.last_error,
        redelivery_of=row.redelivery_of,
        scenario_id=row.scenario_id,
        prepared=bool(row.prepared),
    )


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


__all__: Sequence[str] = (
    "Delivery",
    "DeliveryAttempt",
    "DeliveryQuery",
    "Duplicate",
    "Organization",
    "Page",
    "PaidNotice",
    "PositionQuery",
    "ReceiptRow",
    "Store",
    "Tx",
    "WebhookRow",
)
