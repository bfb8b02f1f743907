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
Index(
    "ix_positions_validity", debt_positions.c.tenant, debt_positions.c.status, debt_positions.c.validity_date
)
Index("ix_positions_due", debt_positions.c.tenant, debt_positions.c.status, debt_positions.c.last_due_date)

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
    # When a pending (outcome 17) payment resolves by itself; NULL otherwise (also in the document).
    Column("resolves_at", DateTime(timezone=True)),
)
Index("ix_attempts_cart", payment_attempts.c.tenant, payment_attempts.c.cart_id)
Index("ix_attempts_due", payment_attempts.c.tenant, payment_attempts.c.state, payment_attempts.c.resolves_at)
Index(
    "ix_attempts_token",
    payment_attempts.c.tenant,
    payment_attempts.c.state,
    payment_attempts.c.token_expires_at,
)

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
Index("ix_journal_tenant_at", journal.c.tenant, journal.c.at)

# What happened, per tenant and cart, in the order it was recorded (simulator.domain.events).
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("cart_id", String(36)),
    Column("attempt_id", String(64)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("type", String(40), nullable=False),
    Column("data", JSON, nullable=False),
)
Index("ix_events_cart", events.c.tenant, events.c.cart_id, events.c.id)

# The node's record of every notice it saw paid online, and where that notice's receipt stands
# (delivered, due later, lost): the node answers PPT_PAGAMENTO_DUPLICATO from it even when the
# EC (GPD) never got the receipt. One row per notice: the unique constraint forbids paying twice.
paid_notices = Table(
    "paid_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("fiscal_code", String(11), nullable=False),
    Column("nav", String(35), nullable=False),
    Column("iuv", String(35), nullable=False),
    Column("attempt_id", String(64), nullable=False),
    Column("cart_id", String(36)),
    Column("paid_at", DateTime(timezone=True), nullable=False),
    Column("receipt", String(16), nullable=False),  # delivered | due | lost | refused
    Column("receipt_due_at", DateTime(timezone=True)),
    Column("duplicate", Boolean, nullable=False, default=False),
    Column("document", JSON, nullable=False),  # what delivering the receipt later needs
    UniqueConstraint("tenant", "fiscal_code", "nav", name="uq_paid_notice"),
)
Index("ix_paid_notices_due", paid_notices.c.tenant, paid_notices.c.receipt, paid_notices.c.receipt_due_at)

# Counters shared by every worker process; "scenarios" is the library's generation, bumped by
# POST /_sandbox/v1/scenarios/reload so the other workers reload too.
counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# --- the proposal's notifications (simulator.notify) -----------------------------------------------

# An EC's subscriptions (POST /_sandbox/v1/webhooks); events NULL: every notified event type.
webhooks = Table(
    "webhooks",
    metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("fiscal_code", String(11), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", JSON),
    Column("secret", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_webhooks_org", webhooks.c.tenant, webhooks.c.fiscal_code)

# One row per message per endpoint, written in the transaction of the change it announces. A
# redelivery (or a scenario's duplicate) is a new row with the same webhook_id. ``next_attempt_at``
# is on the tenant's clock; ``lease_until`` on the real clock: a worker that claimed the row holds it
# until then, so across processes each attempt is made by exactly one of them.
outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("tenant", String(64), nullable=False),
    Column("webhook_id", String(64), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("fiscal_code", String(11), nullable=False),
    Column("cart_id", String(36)),
    Column("subscription_id", String(40)),  # NULL: signed with the EC's secret (notifyUrl, EC endpoint)
    Column("url", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(12), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("fail_first", Integer, nullable=False, default=0),  # a scenario's simulated 5xx answers
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("redelivery_of", String(40)),
    # The scenario whose notify step applies (fail, delay, duplicate, out-of-order): applied by the
    # worker on the first claim, where the scenario library is at hand; then ``prepared``.
    Column("scenario_id", String(64)),
    Column("prepared", Boolean, nullable=False, default=True),
    Column("lease_until", DateTime(timezone=True)),
    Column("leased_by", String(80)),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.tenant, outbox.c.next_attempt_at)
Index("ix_outbox_tenant", outbox.c.tenant, outbox.c.seq)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("delivery_id", String(40), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("status", Integer),  # the HTTP status; NULL when there was no answer
    Column("error", Text),
    Column("latency_ms", Float, nullable=False),
    Column("response_excerpt", Text),
    Column("worker", String(80)),
    Column("simulated", Boolean, nullable=False, default=False),
    UniqueConstraint("tenant", "delivery_id", "number", name="uq_delivery_attempt"),
)
Index("ix_attempts_delivery", delivery_attempts.c.tenant, delivery_attempts.c.delivery_id)

# A certification run: owned by the tenant that started it, run in a tenant of its own (whose new
# carts get its cases). ``document``: the profile as it was at the start and the carts given cases.
certification_runs = Table(
    "certification_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("run_tenant", String(64), nullable=False),
    Column("profile", String(64), nullable=False),
    Column("fiscal_code", String(11), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("document", JSON, nullable=False),
    UniqueConstraint("run_tenant", name="uq_certification_run_tenant"),
)
Index("ix_certification_runs_tenant", certification_runs.c.tenant, certification_runs.c.created_at)
