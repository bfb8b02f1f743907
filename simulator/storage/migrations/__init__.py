"""Alembic's environment and revisions for the sandbox's schema; run them with
:mod:`simulator.storage.migrate` or ``pagopa-sandbox db upgrade`` (no alembic.ini is needed)."""
