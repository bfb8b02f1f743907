"""The tenant aggregate: its clock offset, its creditors (organizations) and their IUV sequences,
and forgetting everything a tenant holds. Plus the counters shared by every worker process."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from simulator.domain.organization import Organization
from simulator.storage import tables as t

_o, _p = t.organizations.c, t.payment_options.c
_OFFSET = select(t.tenants.c.clock_offset).where(t.tenants.c.name == bindparam("tenant"))
_ORG = select(t.organizations).where(_o.tenant == bindparam("tenant"), _o.fiscal_code == bindparam("fc"))
_ORG_KEY = (_o.tenant == bindparam("tenant"), _o.fiscal_code == bindparam("fc"))
# (an UPDATE's own column names are reserved for its SET clause: its key takes other names)
_BUMP_IUV = (
    update(t.organizations)
    .where(_o.tenant == bindparam("k_tenant"), _o.fiscal_code == bindparam("k_fc"))
    .values(iuv_sequence=_o.iuv_sequence + 1)
)
_IUV = select(_o.iuv_sequence).where(*_ORG_KEY)
_IUV_TAKEN = select(
    exists().where(
        _p.tenant == bindparam("tenant"),
        _p.organization == bindparam("fc"),
        or_(_p.iuv == bindparam("iuv"), _p.nav == bindparam("nav")),
    )
)

# Everything a tenant holds, children first; page sessions stay (see ``reset``).
_TENANT_TABLES = (
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
    t.certification_runs,
)


def clock_offset(conn: Connection, tenant: str) -> float:
    value = conn.execute(_OFFSET, {"tenant": tenant}).scalar()
    return float(value or 0.0)


class TenantRepository:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    # --- the clock -----------------------------------------------------------------------------
    def clock_offset(self) -> float:
        return clock_offset(self.conn, self.tenant)

    def advance_clock(self, seconds: float) -> float:
        current = self.conn.execute(_OFFSET, {"tenant": self.tenant}).scalar()
        if current is None:
            self.conn.execute(insert(t.tenants).values(name=self.tenant, clock_offset=seconds))
            return seconds
        new = float(current) + seconds
        self.conn.execute(update(t.tenants).where(t.tenants.c.name == self.tenant).values(clock_offset=new))
        return new

    # --- organizations -------------------------------------------------------------------------
    def organization(self, fiscal_code: str) -> Organization | None:
        row = self.conn.execute(_ORG, {"tenant": self.tenant, "fc": fiscal_code}).first()
        if row is None:
            return None
        return Organization(row.fiscal_code, row.company_name, row.segregation_code, dict(row.settings or {}))

    def add_organization(self, org: Organization) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.organizations).values(
                        tenant=self.tenant,
                        fiscal_code=org.fiscal_code,
                        company_name=org.company_name,
                        segregation_code=org.segregation_code,
                        iuv_sequence=0,
                        settings=org.settings,
                    )
                )
        except IntegrityError:
            pass  # another worker created it first: same deterministic content

    def set_settings(self, fiscal_code: str, settings: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.organizations)
            .where(_o.tenant == self.tenant, _o.fiscal_code == fiscal_code)
            .values(settings=settings)
        )

    def next_iuv_sequence(self, fiscal_code: str) -> int:
        self.conn.execute(_BUMP_IUV, {"k_tenant": self.tenant, "k_fc": fiscal_code})
        return int(self.conn.execute(_IUV, {"tenant": self.tenant, "fc": fiscal_code}).scalar_one())

    def iuv_or_nav_taken(self, fiscal_code: str, iuv: str, nav: str) -> bool:
        found = self.conn.execute(
            _IUV_TAKEN, {"tenant": self.tenant, "fc": fiscal_code, "iuv": iuv, "nav": nav}
        )
        return bool(found.scalar())

    # --- the whole tenant ----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything of the tenant but its page sessions: a browser mid-payment then ends
        on the error page (its attempt is gone) rather than on an unexplained expired session."""
        for table in _TENANT_TABLES:
            self.conn.execute(delete(table).where(table.c.tenant == self.tenant))
        self.conn.execute(delete(t.tenants).where(t.tenants.c.name == self.tenant))


class Counters:
    """Counters shared by every worker process (e.g. the scenario library's generation)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, name: str) -> int:
        value = self.conn.execute(select(t.counters.c.value).where(t.counters.c.name == name)).scalar()
        return int(value or 0)

    def bump(self, name: str) -> int:
        c = t.counters.c
        updated = self.conn.execute(update(t.counters).where(c.name == name).values(value=c.value + 1))
        if updated.rowcount == 0:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(insert(t.counters).values(name=name, value=1))
            except IntegrityError:  # another worker inserted it first
                self.conn.execute(update(t.counters).where(c.name == name).values(value=c.value + 1))
        return self.get(name)
