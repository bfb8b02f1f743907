"""The schema of release 0.1.0, as ``metadata.create_all`` made it before migrations existed.

Written out by hand, not imported from simulator.storage.tables, so that later changes to
tables.py cannot rewrite history. Databases created by 0.1.0 have exactly this schema and no
alembic_version table: simulator.storage.migrate stamps them at this revision.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("clock_offset", sa.Float, nullable=False),
    )
    op.create_table(
        "organizations",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("fiscal_code", sa.String(11), primary_key=True),
        sa.Column("company_name", sa.String(140), nullable=False),
        sa.Column("segregation_code", sa.Integer, nullable=False),
        sa.Column("iuv_sequence", sa.BigInteger, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
    )
    op.create_table(
        "debt_positions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("organization", sa.String(11), nullable=False),
        sa.Column("iupd", sa.String(256), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("company_name", sa.String(140), nullable=False),
        sa.Column("inserted_date", TZ, nullable=False),
        sa.Column("validity_date", TZ),
        sa.Column("last_due_date", TZ),
        sa.Column("switch_to_expired", sa.Boolean, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.UniqueConstraint("tenant", "organization", "iupd", name="uq_position_iupd"),
    )
    op.create_index("ix_positions_settle", "debt_positions", ["tenant", "organization", "status"])
    op.create_table(
        "payment_options",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "position_id", sa.Integer, sa.ForeignKey("debt_positions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("organization", sa.String(11), nullable=False),
        sa.Column("iuv", sa.String(35), nullable=False),
        sa.Column("nav", sa.String(35), nullable=False),
        sa.Column("due_date", TZ, nullable=False),
        sa.Column("payment_date", TZ),
        sa.UniqueConstraint("tenant", "organization", "iuv", name="uq_option_iuv"),
        sa.UniqueConstraint("tenant", "organization", "nav", name="uq_option_nav"),
    )
    op.create_index("ix_options_position", "payment_options", ["position_id"])
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("organization", sa.String(11), nullable=False),
        sa.Column("iuv", sa.String(35), nullable=False),
        sa.Column("receipt_id", sa.String(64), nullable=False),
        sa.Column("debtor", sa.String(64)),
        sa.Column("service", sa.String(64)),
        sa.Column("payment_date", TZ, nullable=False),
        sa.Column("xml", sa.Text, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.UniqueConstraint("tenant", "organization", "iuv", name="uq_receipt_iuv"),
    )
    op.create_index("ix_receipts_org_date", "receipts", ["tenant", "organization", "payment_date"])
    op.create_table(
        "carts",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_index("ix_carts_id", "carts", ["id"])
    op.create_table(
        "payment_attempts",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cart_id", sa.String(36)),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("token_expires_at", TZ, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_index("ix_attempts_cart", "payment_attempts", ["tenant", "cart_id"])
    op.create_table(
        "notice_locks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("fiscal_code", sa.String(11), nullable=False),
        sa.Column("nav", sa.String(35), nullable=False),
        sa.Column("attempt_id", sa.String(64), nullable=False),
        sa.Column("expires_at", TZ),
        sa.UniqueConstraint("tenant", "fiscal_code", "nav", name="uq_notice_lock"),
    )
    op.create_index("ix_notice_locks_attempt", "notice_locks", ["tenant", "attempt_id"])
    op.create_table(
        "page_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_page_sessions_tenant_expiry", "page_sessions", ["tenant", "expires_at"])
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("path", sa.String(2048), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("cart_id", sa.String(36)),
        sa.Column("request_body", sa.Text),
        sa.Column("response_body", sa.Text),
    )
    op.create_index("ix_journal_tenant", "journal", ["tenant", "id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("cart_id", sa.String(36)),
        sa.Column("attempt_id", sa.String(64)),
        sa.Column("at", TZ, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_events_cart", "events", ["tenant", "cart_id", "id"])
    op.create_table(
        "paid_notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("fiscal_code", sa.String(11), nullable=False),
        sa.Column("nav", sa.String(35), nullable=False),
        sa.Column("iuv", sa.String(35), nullable=False),
        sa.Column("attempt_id", sa.String(64), nullable=False),
        sa.Column("cart_id", sa.String(36)),
        sa.Column("paid_at", TZ, nullable=False),
        sa.Column("receipt", sa.String(16), nullable=False),
        sa.Column("receipt_due_at", TZ),
        sa.Column("duplicate", sa.Boolean, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.UniqueConstraint("tenant", "fiscal_code", "nav", name="uq_paid_notice"),
    )
    op.create_index("ix_paid_notices_due", "paid_notices", ["tenant", "receipt", "receipt_due_at"])
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "webhooks",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("fiscal_code", sa.String(11), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.JSON),
        sa.Column("secret", sa.String(120), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_webhooks_org", "webhooks", ["tenant", "fiscal_code"])
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("webhook_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("fiscal_code", sa.String(11), nullable=False),
        sa.Column("cart_id", sa.String(36)),
        sa.Column("subscription_id", sa.String(40)),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("fail_first", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("next_attempt_at", TZ),
        sa.Column("delivered_at", TZ),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("redelivery_of", sa.String(40)),
        sa.Column("scenario_id", sa.String(64)),
        sa.Column("prepared", sa.Boolean, nullable=False),
        sa.Column("lease_until", TZ),
        sa.Column("leased_by", sa.String(80)),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "tenant", "next_attempt_at"])
    op.create_index("ix_outbox_tenant", "outbox", ["tenant", "seq"])
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("delivery_id", sa.String(40), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("response_excerpt", sa.Text),
        sa.Column("worker", sa.String(80)),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.UniqueConstraint("tenant", "delivery_id", "number", name="uq_delivery_attempt"),
    )
    op.create_index("ix_attempts_delivery", "delivery_attempts", ["tenant", "delivery_id"])


def downgrade() -> None:
    for table in (
        "delivery_attempts",
        "outbox",
        "webhooks",
        "counters",
        "paid_notices",
        "events",
        "journal",
        "page_sessions",
        "notice_locks",
        "payment_attempts",
        "carts",
        "receipts",
        "payment_options",
        "debt_positions",
        "organizations",
        "tenants",
    ):
        op.drop_table(table)
