"""The schema. Every row carries its tenant: two tenants never share a row."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

tenants = Table(
    "tenants",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("clock_offset", Float, nullable=False, default=0.0),
)

organizations = Table(
    "organizations",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("fiscal_code", String(11), primary_key=True),
    Column("company_name", String(140), nullable=False),
    Column("segregation_code", Integer, nullable=False),
    Column("iuv_sequence", BigInteger, nullable=False, default=0),
    Column("settings", JSON, nullable=False, default=dict),
)

debt_positions = Table(
    "debt_positions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("organization", String(11), nullable=False),
    Column("iupd", String(256), nullable=False),
    Column("status", String(20), nullable=False),
    Column("company_name", String(140), nullable=False),
    Column("inserted_date", DateTime(timezone=True), nullable=False),
    Column("validity_date", DateTime(timezone=True)),
    Column("last_due_date", DateTime(timezone=True)),
    Column("switch_to_expired", Boolean, nullable=False),
    Column("document", JSON, nullable=False),
    UniqueConstraint("tenant", "organization", "iupd", name="uq_position_iupd"),
)
Index("ix_positions_settle", debt_positions.c.tenant, debt_positions.c.organization, debt_positions.c.status)

payment_options = Table(
    "payment_options",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("position_id", Integer, ForeignKey("debt_positions.id", ondelete="CASCADE"), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("organization", String(11), nullable=False),
    Column("iuv", String(35), nullable=False),
    Column("nav", String(35), nullable=False),
    Column("due_date", DateTime(timezone=True), nullable=False),
    Column("payment_date", DateTime(timezone=True)),
    UniqueConstraint("tenant", "organization", "iuv", name="uq_option_iuv"),
    UniqueConstraint("tenant", "organization", "nav", name="uq_option_nav"),
)
Index("ix_options_position", payment_options.c.position_id)

receipts = Table(
    "receipts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("organization", String(11), nullable=False),
    Column("iuv", String(35), nullable=False),
    Column("receipt_id", String(64), nullable=False),
    Column("debtor", String(64)),
    Column("service", String(64)),
    Column("payment_date", DateTime(timezone=True), nullable=False),
    Column("xml", Text, nullable=False),
    Column("document", JSON, nullable=False),
    UniqueConstraint("tenant", "organization", "iuv", name="uq_receipt_iuv"),
)
Index("ix_receipts_org_date", receipts.c.tenant, receipts.c.organization, receipts.c.payment_date)

carts = Table(
    "carts",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("document", JSON, nullable=False),
)
Index("ix_carts_id", carts.c.id)

payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("cart_id", String(36)),
    Column("state", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("token_expires_at", DateTime(timezone=True), nullable=False),
    Column("document", JSON, nullable=False),
)
Index("ix_attempts_cart", payment_attempts.c.tenant, payment_attempts.c.cart_id)

# One row per notice being paid: the unique constraint is what stops two workers from activating the
# same notice at once. A row whose expires_at has passed is free to be taken over; NULL means held
# until released (a pending payment, outcome 17).
notice_locks = Table(
    "notice_locks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("fiscal_code", String(11), nullable=False),
    Column("nav", String(35), nullable=False),
    Column("attempt_id", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    UniqueConstraint("tenant", "fiscal_code", "nav", name="uq_notice_lock"),
)
Index("ix_notice_locks_attempt", notice_locks.c.tenant, notice_locks.c.attempt_id)

page_sessions = Table(
    "page_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
)
Index("ix_page_sessions_tenant_expiry", page_sessions.c.tenant, page_sessions.c.expires_at)

journal = Table(
    "journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("direction", String(3), nullable=False),  # "in": a request to the sandbox; "out": a call it made
    Column("method", String(10), nullable=False),
    Column("url", Text, nullable=False),
    Column("path", String(2048), nullable=False),
    Column("status", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("cart_id", String(36)),
    Column("request_body", Text),
    Column("response_body", Text),
)
Index("ix_journal_tenant", journal.c.tenant, journal.c.id)
