"""The certification runs aggregate: a run is read by its owner tenant (the API) or by the tenant
it runs in (a new cart there takes the next case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from simulator.domain.certification import Assignment, Profile
from simulator.storage import tables as t
from simulator.storage.database import aware, maybe_aware

_r = t.certification_runs.c


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as stored: its profile as it was at the start, and the carts given cases so far."""

    id: str
    tenant: str
    run_tenant: str
    fiscal_code: str
    created_at: datetime
    closed_at: datetime | None
    profile: Profile
    assignments: tuple[Assignment, ...]
    # Each move of the run tenant's clock: (base time, offset from then on), to read the journal.
    clock: tuple[tuple[datetime, float], ...] = ()

    def assignment(self, case_id: str) -> Assignment | None:
        return next((a for a in self.assignments if a.case_id == case_id), None)


def _document(run: RunRecord) -> dict[str, Any]:
    return {
        "profile": run.profile.to_document(),
        "assignments": [a.to_document() for a in run.assignments],
        "clock": [[at.isoformat(), offset] for at, offset in run.clock],
    }


def _record(row: Any) -> RunRecord:
    doc = row.document
    return RunRecord(
        id=row.id,
        tenant=row.tenant,
        run_tenant=row.run_tenant,
        fiscal_code=row.fiscal_code,
        created_at=aware(row.created_at),
        closed_at=maybe_aware(row.closed_at),
        profile=Profile.from_document(doc["profile"]),
        assignments=tuple(Assignment.from_document(a) for a in doc["assignments"]),
        clock=tuple((datetime.fromisoformat(at), float(offset)) for at, offset in doc.get("clock", ())),
    )


class CertificationRepository:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def insert(self, run: RunRecord) -> None:
        self.conn.execute(
            insert(t.certification_runs).values(
                id=run.id,
                tenant=run.tenant,
                run_tenant=run.run_tenant,
                profile=run.profile.id,
                fiscal_code=run.fiscal_code,
                created_at=run.created_at,
                closed_at=run.closed_at,
                document=_document(run),
            )
        )

    def get(self, run_id: str) -> RunRecord | None:
        """A run this tenant started; None for another tenant's."""
        row = self.conn.execute(
            select(t.certification_runs).where(_r.tenant == self.tenant, _r.id == run_id)
        ).first()
        return None if row is None else _record(row)

    def running_here(self) -> RunRecord | None:
        """The open run whose own tenant is this one, its row locked (PostgreSQL) so that two
        carts created at once never take the same case."""
        row = self.conn.execute(
            select(t.certification_runs)
            .where(_r.run_tenant == self.tenant, _r.closed_at.is_(None))
            .with_for_update()
        ).first()
        return None if row is None else _record(row)

    def save(self, run: RunRecord) -> None:
        self.conn.execute(
            update(t.certification_runs)
            .where(_r.id == run.id)
            .values(closed_at=run.closed_at, document=_document(run))
        )
