"""Pending payments due by time, and the journal by time.

``payment_attempts.resolves_at``: when a pending (outcome 17) payment resolves by itself, until now
only inside the JSON document; as a column with ``ix_attempts_due`` the due ones are found by one
indexed query. Backfilled from the documents of the CLOSED attempts (the only state a pending
payment is in), in batches so that a large table is never held in memory at once.
``ix_attempts_token``, ``ix_positions_validity``, ``ix_positions_due``: the other questions a unit
asks when it opens (a token that ended, a position whose status moved with time), each answered
from an index. ``ix_journal_tenant_at``: the journal read by time.

Revision ID: 0002_unit_of_work
Revises: 0001_initial
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_unit_of_work"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

BATCH = 500

attempts = sa.table(
    "payment_attempts",
    sa.column("tenant", sa.String(64)),
    sa.column("id", sa.String(64)),
    sa.column("state", sa.String(32)),
    sa.column("document", sa.JSON),
    sa.column("resolves_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # SQLite adds a column in place (ALTER TABLE ... ADD COLUMN): batch mode's "auto" recreates
    # the table only for what SQLite cannot alter.
    with op.batch_alter_table("payment_attempts") as batch:
        batch.add_column(sa.Column("resolves_at", sa.DateTime(timezone=True), nullable=True))
    _backfill_resolves_at()
    op.create_index("ix_attempts_due", "payment_attempts", ["tenant", "state", "resolves_at"])
    op.create_index("ix_attempts_token", "payment_attempts", ["tenant", "state", "token_expires_at"])
    op.create_index("ix_positions_validity", "debt_positions", ["tenant", "status", "validity_date"])
    op.create_index("ix_positions_due", "debt_positions", ["tenant", "status", "last_due_date"])
    op.create_index("ix_journal_tenant_at", "journal", ["tenant", "at"])


def _backfill_resolves_at() -> None:
    """Keyset pagination over (tenant, id): each batch is one SELECT and one executemany UPDATE."""
    conn = op.get_bind()
    a = attempts.c
    after: tuple[str, str] | None = None
    while True:
        query = sa.select(a.tenant, a.id, a.document).where(a.state == "CLOSED")
        if after is not None:
            query = query.where(sa.tuple_(a.tenant, a.id) > sa.tuple_(*after))
        rows = conn.execute(query.order_by(a.tenant, a.id).limit(BATCH)).all()
        if not rows:
            return
        updates = [
            {"t": tenant, "i": attempt_id, "r": due}
            for tenant, attempt_id, document in rows
            if (due := _resolves_at(document)) is not None
        ]
        if updates:
            conn.execute(
                attempts.update()
                .where(a.tenant == sa.bindparam("t"), a.id == sa.bindparam("i"))
                .values(resolves_at=sa.bindparam("r")),
                updates,
            )
        after = (rows[-1][0], rows[-1][1])


def _resolves_at(document: Any) -> datetime | None:
    if isinstance(document, str):  # a driver that hands JSON back as text
        document = json.loads(document)
    value = document.get("resolves_at") if isinstance(document, dict) else None
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def downgrade() -> None:
    op.drop_index("ix_journal_tenant_at", table_name="journal")
    op.drop_index("ix_positions_due", table_name="debt_positions")
    op.drop_index("ix_positions_validity", table_name="debt_positions")
    op.drop_index("ix_attempts_token", table_name="payment_attempts")
    op.drop_index("ix_attempts_due", table_name="payment_attempts")
    with op.batch_alter_table("payment_attempts") as batch:
        batch.drop_column("resolves_at")
