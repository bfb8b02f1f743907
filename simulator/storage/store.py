"""The store: one transaction per use case, every query scoped to a tenant.

Uniqueness (IUPD, IUV, NAV, receipts) is enforced by the database's constraints, so it holds
across several worker processes; a violation surfaces as ``Duplicate``.
"""

from __future__ import annotations

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


_ORDER = {
    "INSERTED_DATE": t.debt_positions.c.inserted_date,
    "IUPD": t.debt_positions.c.iupd,
    "STATUS": t.debt_positions.c.status,
    "COMPANY_NAME": t.debt_positions.c.company_name,
}


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        t.metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.engine.begin() as conn:
            yield Tx(conn)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))


class Tx:
    """Queries and writes inside one database transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

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

    # --- whole tenant --------------------------------------------------------------------
    def reset_tenant(self, tenant: str) -> None:
        for table in (
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


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


__all__: Sequence[str] = ("Duplicate", "Organization", "Page", "PositionQuery", "ReceiptRow", "Store", "Tx")
