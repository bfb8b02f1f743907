"""The receipts aggregate: the receipts GPD lists (XML and list item, one per IUV) and the node's
record of every notice it saw paid, with where that notice's receipt stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from simulator.domain.queries import Page
from simulator.domain.receipt_records import PaidNotice, ReceiptRow
from simulator.storage import tables as t
from simulator.storage.database import aware, maybe_aware
from simulator.storage.errors import Duplicate

_r, _pn = t.receipts.c, t.paid_notices.c
_RECEIPT = select(t.receipts).where(
    _r.tenant == bindparam("tenant"), _r.organization == bindparam("org"), _r.iuv == bindparam("iuv")
)
_PAID_KEY = (
    _pn.tenant == bindparam("tenant"),
    _pn.fiscal_code == bindparam("fc"),
    _pn.nav == bindparam("nav"),
)
_PAID = select(t.paid_notices).where(*_PAID_KEY)
_IS_PAID = select(exists().where(*_PAID_KEY))
_DUE = (_pn.receipt == "due") & (_pn.receipt_due_at <= bindparam("now"))
_RECEIPTS_DUE = (
    select(t.paid_notices).where(_pn.tenant == bindparam("tenant"), _DUE).order_by(_pn.receipt_due_at, _pn.id)
)
ANY_RECEIPT_DUE = exists().where(_pn.tenant == bindparam("tenant"), _DUE)


class ReceiptRepository:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    # --- receipts (what GPD lists) -------------------------------------------------------------
    def insert(self, row: ReceiptRow) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.receipts).values(
                        tenant=self.tenant,
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

    def get(self, organization: str, iuv: str) -> ReceiptRow | None:
        row = self.conn.execute(_RECEIPT, {"tenant": self.tenant, "org": organization, "iuv": iuv}).first()
        return None if row is None else _receipt_row(row)

    def find(
        self,
        organization: str,
        *,
        page: int,
        size: int,
        debtor: str | None = None,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        debtor_or_iuv: str | None = None,
    ) -> Page:
        conds: list[Any] = [_r.tenant == self.tenant, _r.organization == organization]
        if debtor:
            conds.append(_r.debtor == debtor)
        if date_from is not None:
            conds.append(_r.payment_date >= date_from)
        if date_to is not None:
            conds.append(_r.payment_date <= date_to)
        if debtor_or_iuv:
            conds.append(
                or_(
                    _r.debtor.startswith(debtor_or_iuv, autoescape=True),
                    _r.iuv.startswith(debtor_or_iuv, autoescape=True),
                )
            )
        total = int(
            self.conn.execute(select(func.count()).select_from(t.receipts).where(*conds)).scalar_one()
        )
        rows = self.conn.execute(
            select(t.receipts)
            .where(*conds)
            .order_by(_r.payment_date.desc(), _r.id.desc())
            .limit(size)
            .offset(page * size)
        ).all()
        return Page([_receipt_row(x) for x in rows], total)

    # --- the node's record of paid notices -----------------------------------------------------
    def insert_paid_notice(self, row: PaidNotice) -> int:
        try:
            with self.conn.begin_nested():
                result = self.conn.execute(
                    insert(t.paid_notices).values(
                        tenant=self.tenant,
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

    def paid_notice(self, fiscal_code: str, nav: str) -> PaidNotice | None:
        """The node's record of a paid notice (online or offline), if any."""
        row = self.conn.execute(_PAID, {"tenant": self.tenant, "fc": fiscal_code, "nav": nav}).first()
        return None if row is None else _paid_notice(row)

    def notice_paid(self, fiscal_code: str, nav: str) -> bool:
        return bool(
            self.conn.execute(_IS_PAID, {"tenant": self.tenant, "fc": fiscal_code, "nav": nav}).scalar()
        )

    def due(self, now: datetime) -> list[PaidNotice]:
        """Receipts waiting for their time that has come, oldest first."""
        rows = self.conn.execute(_RECEIPTS_DUE, {"tenant": self.tenant, "now": now}).all()
        return [_paid_notice(r) for r in rows]

    def set_receipt_state(self, paid_notice_id: int, state: str) -> None:
        self.conn.execute(
            update(t.paid_notices)
            .where(_pn.tenant == self.tenant, _pn.id == paid_notice_id)
            .values(receipt=state, receipt_due_at=None)
        )


def _receipt_row(row: Any) -> ReceiptRow:
    return ReceiptRow(
        row.organization,
        row.iuv,
        row.receipt_id,
        row.debtor,
        aware(row.payment_date),
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
        paid_at=aware(row.paid_at),
        receipt=row.receipt,
        receipt_due_at=maybe_aware(row.receipt_due_at),
        duplicate=bool(row.duplicate),
        document=dict(row.document),
        id=row.id,
    )
