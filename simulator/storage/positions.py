"""The debt-position aggregate (GPD): a position is one JSON document plus indexed columns for
what is queried, and an option index (``payment_options``) whose unique constraints enforce IUV
and NAV uniqueness in the database, across worker processes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from simulator.domain.debt_position import DebtPosition, PositionStatus
from simulator.domain.queries import Page, PositionQuery
from simulator.storage import tables as t
from simulator.storage.documents import from_document, to_document
from simulator.storage.errors import Duplicate

_p, _o = t.debt_positions.c, t.payment_options.c
_ORDER = {
    "INSERTED_DATE": _p.inserted_date,
    "IUPD": _p.iupd,
    "STATUS": _p.status,
    "COMPANY_NAME": _p.company_name,
}
_KEY = (_p.tenant == bindparam("tenant"), _p.organization == bindparam("org"), _p.iupd == bindparam("iupd"))
_BY_IUPD = select(_p.document).where(*_KEY)
_ID = select(_p.id).where(*_KEY)
_BY_NAV = (
    select(_p.document)
    .join(t.payment_options, _o.position_id == _p.id)
    .where(_o.tenant == bindparam("tenant"), _o.organization == bindparam("org"), _o.nav == bindparam("nav"))
)
_HAS_ANY = select(exists().where(_p.tenant == bindparam("tenant"), _p.organization == bindparam("org")))
# Positions whose status may have moved with time (the domain decides for each).
_MOVING = or_(
    and_(_p.status == PositionStatus.PUBLISHED.value, _p.validity_date <= bindparam("now")),
    and_(
        _p.status == PositionStatus.VALID.value,
        _p.switch_to_expired.is_(True),
        _p.last_due_date < bindparam("now"),
    ),
)
_TO_SETTLE = select(_p.document).where(_p.tenant == bindparam("tenant"), _MOVING)
# Asked when a unit opens, as two questions each answered from its own index.
ANY_VALIDITY_REACHED = exists().where(
    _p.tenant == bindparam("tenant"),
    _p.status == PositionStatus.PUBLISHED.value,
    _p.validity_date <= bindparam("now"),
)
ANY_DUE_DATE_PASSED = exists().where(
    _p.tenant == bindparam("tenant"),
    _p.status == PositionStatus.VALID.value,
    _p.last_due_date < bindparam("now"),
    _p.switch_to_expired.is_(True),
)


class PositionRepository:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def insert(self, position: DebtPosition) -> None:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(t.debt_positions).values(tenant=self.tenant, **_columns(position))
                )
                self._insert_options(int(result.inserted_primary_key[0]), position)  # type: ignore[index]
        except IntegrityError as exc:
            raise Duplicate(str(exc.orig)) from exc

    def save(self, position: DebtPosition) -> None:
        """Rewrite an existing position (same IUPD) and its option index."""
        position_id = self._id(position.organization_fiscal_code, position.iupd)
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    update(t.debt_positions).where(_p.id == position_id).values(**_columns(position))
                )
                self.conn.execute(delete(t.payment_options).where(_o.position_id == position_id))
                self._insert_options(position_id, position)
        except IntegrityError as exc:
            raise Duplicate(str(exc.orig)) from exc

    def _insert_options(self, position_id: int, position: DebtPosition) -> None:
        rows = [
            {
                "position_id": position_id,
                "tenant": self.tenant,
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

    def _id(self, organization: str, iupd: str) -> int:
        key = {"tenant": self.tenant, "org": organization, "iupd": iupd}
        return int(self.conn.execute(_ID, key).scalar_one())

    def get(self, organization: str, iupd: str) -> DebtPosition | None:
        doc = self.conn.execute(_BY_IUPD, {"tenant": self.tenant, "org": organization, "iupd": iupd}).scalar()
        return None if doc is None else from_document(DebtPosition, doc)

    def by_nav(self, organization: str, nav: str) -> DebtPosition | None:
        doc = self.conn.execute(_BY_NAV, {"tenant": self.tenant, "org": organization, "nav": nav}).scalar()
        return None if doc is None else from_document(DebtPosition, doc)

    def any_for(self, organization: str) -> bool:
        """Whether the EC has positions here (a "managed" EC; any other EC's notices are synthetic)."""
        return bool(self.conn.execute(_HAS_ANY, {"tenant": self.tenant, "org": organization}).scalar())

    def delete(self, organization: str, iupd: str) -> None:
        position_id = self._id(organization, iupd)
        self.conn.execute(delete(t.payment_options).where(_o.position_id == position_id))
        self.conn.execute(delete(t.debt_positions).where(_p.id == position_id))

    def to_settle(self, now: datetime) -> list[DebtPosition]:
        """The tenant's positions whose status may have moved by ``now``."""
        docs = self.conn.execute(_TO_SETTLE, {"tenant": self.tenant, "now": now}).scalars()
        return [from_document(DebtPosition, d) for d in docs]

    def find(self, organization: str, q: PositionQuery) -> Page:
        conds: list[Any] = [_p.tenant == self.tenant, _p.organization == organization]
        if q.status is not None:
            conds.append(_p.status == q.status.value)
        option_conds: list[Any] = []
        if q.due_date_from is not None:
            option_conds.append(_o.due_date >= _day_start(q.due_date_from))
        if q.due_date_to is not None:
            option_conds.append(_o.due_date <= _day_end(q.due_date_to))
        if q.payment_date_from is not None:
            option_conds.append(_o.payment_date >= _day_start(q.payment_date_from))
        if q.payment_date_to is not None:
            option_conds.append(_o.payment_date <= _day_end(q.payment_date_to))
        if option_conds:
            conds.append(exists().where(_o.position_id == _p.id, *option_conds))
        total = int(
            self.conn.execute(select(func.count()).select_from(t.debt_positions).where(*conds)).scalar_one()
        )
        column = _ORDER[q.orderby]
        order = [column.asc(), _p.id.asc()] if q.ordering == "ASC" else [column.desc(), _p.id.desc()]
        docs = self.conn.execute(
            select(_p.document).where(*conds).order_by(*order).limit(q.limit).offset(q.page * q.limit)
        ).scalars()
        return Page([from_document(DebtPosition, d) for d in docs], total)


def _columns(position: DebtPosition) -> dict[str, Any]:
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


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _day_end(day: date) -> datetime:
    """The last instant of a day (not the next day's start, which overflows on 9999-12-31)."""
    return datetime.combine(day, time.max, tzinfo=UTC)
