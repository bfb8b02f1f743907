"""Alembic's environment, configured by :mod:`simulator.storage.migrate`: it always passes an open
connection (``config.attributes["connection"]``), already inside the transaction (and, on
PostgreSQL, holding the advisory lock) that the whole upgrade runs in. There is no offline (SQL
script) mode."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run the migrations with simulator.storage.migrate (an open connection is needed)")

# No target_metadata: revisions are written by hand, and simulator.storage.tables must equal the
# head revision (tests/functional/test_migrations.py compares them).
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():  # joins the caller's transaction: one transaction for everything
    context.run_migrations()
