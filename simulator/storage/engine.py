"""Engine construction: the SQLite pragmas that make several workers safe, PostgreSQL as is."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_setup(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def make_disposable_engine(url: str) -> Engine:
    """An engine that keeps no connection open: for one-shot commands (migrate, seed)."""
    engine = create_engine(url, poolclass=NullPool)
    if url.startswith("sqlite"):
        _sqlite_setup(engine)
    return engine


def _private_file(engine: Engine) -> None:
    """Make the SQLite file readable by its owner only (its journal files follow its mode): it
    holds the ECs' secrets and every payment."""
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _sqlite_setup(engine: Engine) -> None:
    """WAL for concurrent readers; writes begin IMMEDIATE so two writers queue instead of
    deadlocking, reads begin deferred so they never take the write lock (``Database.begin`` says
    which a transaction is; a connection used outside ``Database`` writes)."""

    with contextlib.suppress(OSError):  # a folder that cannot be written: connecting says so
        _private_file(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write", True) else "BEGIN")
