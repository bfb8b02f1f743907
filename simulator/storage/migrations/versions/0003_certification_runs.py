"""Certification runs: one row per run, in the tenant that started it, with the tenant it runs in.

Revision ID: 0003_certification_runs
Revises: 0002_unit_of_work
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_certification_runs"
down_revision = "0002_unit_of_work"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certification_runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("run_tenant", sa.String(64), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("fiscal_code", sa.String(11), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("document", sa.JSON, nullable=False),
        sa.UniqueConstraint("run_tenant", name="uq_certification_run_tenant"),
    )
    op.create_index("ix_certification_runs_tenant", "certification_runs", ["tenant", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_certification_runs_tenant", "certification_runs")
    op.drop_table("certification_runs")
