"""Schema migrations: bring a database (SQLite or PostgreSQL) to the head revision in place.

The revisions are Alembic's, in :mod:`simulator.storage.migrations` (they ship inside the wheel;
no alembic.ini is read). ``upgrade(engine)`` is what starts the sandbox on a database: it replaces
``metadata.create_all``, so a database made by an older release keeps its rows and gains what the
newer schema adds.

Public API: ``HEAD`` (the head revision id), ``INITIAL`` (release 0.1.0's schema),
``upgrade(engine) -> str`` and ``current(engine) -> str | None``.

Already at head. ``upgrade`` first reads the ``alembic_version`` row with one query and returns
when it is ``HEAD``, without importing Alembic: every worker process calls it on start.

Databases made before migrations existed (release 0.1.0, by ``create_all``) have the tables and
no ``alembic_version``: their schema is exactly ``0001_initial``, so they are stamped at it, then
upgraded. ``current`` reports them as ``0001_initial`` too.

Two processes upgrading at once. The whole upgrade (reading the revision again, stamping, every
revision, the new ``alembic_version`` row) runs in ONE transaction:

* PostgreSQL: DDL is transactional, and the transaction first takes a transaction-level advisory
  lock (``pg_advisory_xact_lock``, keyed on the current schema) so the second process waits, then
  finds the database at head and does nothing. The lock goes with the transaction.
* SQLite: DDL is transactional too. The transaction starts with ``BEGIN IMMEDIATE`` (the engines of
  :mod:`simulator.storage.engine` always do; on any other SQLite engine ``upgrade`` emits it), which
  takes the database's write lock up front: the second process waits (busy timeout) and then finds
  the database at head. A failed upgrade rolls back entirely and leaves the previous revision.

Fresh databases made fast (opt in, for test suites). Running the revisions on an empty SQLite file
costs 18-45 ms (measured on 2 cores, idle to loaded; ``create_all`` 9-15 ms), plus 120-270 ms
once per process to import Alembic: too much for a suite that makes ~1,600 databases. A copy of
the template costs ~0.1 ms, and an ``upgrade`` of a database already at head ~0.1 ms. With
``template=True``, or the environment variable ``PAGOPA_SANDBOX_MIGRATION_TEMPLATE=1``, an
``upgrade`` of a SQLite file that DOES NOT EXIST yet copies a pristine database instead: one per
process, made by running the real revisions once into a temporary file (so it is exactly what
the migrations make, never ``create_all``). The copy is written beside the target and put in place
with ``os.link``, which fails if the file has appeared meanwhile (another process or engine got
there first): then the ordinary path runs. An existing file, even empty, is always migrated for
real, since a connection may already hold it open. The product leaves the template off: a server
migrates its one database with the real revisions.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

HEAD = "0003_certification_runs"
INITIAL = "0001_initial"
TEMPLATE_ENV = "PAGOPA_SANDBOX_MIGRATION_TEMPLATE"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_template_lock = threading.Lock()
_template: Path | None = None


def upgrade(engine: Engine, *, template: bool | None = None) -> str:
    """Upgrade the database in place to ``HEAD``; returns the revision now current (``HEAD``).

    ``template`` (default: ``$PAGOPA_SANDBOX_MIGRATION_TEMPLATE`` is ``1``): make a SQLite file
    that does not exist yet by copying a database migrated once per process (see the module doc).
    """
    if template is None:
        template = os.environ.get(TEMPLATE_ENV) == "1"
    if template and _copy_template(engine):
        return HEAD
    if _recorded_revision(engine) == HEAD:
        return HEAD
    return _run_upgrade(engine)


def current(engine: Engine) -> str | None:
    """The database's revision: the one recorded in ``alembic_version``; ``INITIAL`` for a database
    made before migrations (0.1.0's tables, no ``alembic_version``); None when there is no schema."""
    with engine.connect() as conn:
        return _revision(conn)


# --- the upgrade ------------------------------------------------------------------------------------


def _recorded_revision(engine: Engine) -> str | None:
    """One query, no Alembic: the row of ``alembic_version``, None if there is none or no table."""
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no such table (or no answer: then the full path below says so)
        return None
    return None if value is None else str(value)


def _revision(conn: Connection) -> str | None:
    names = set(inspect(conn).get_table_names())
    if "alembic_version" in names:
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if value is not None:
            return str(value)
    return INITIAL if "debt_positions" in names else None


def _run_upgrade(engine: Engine) -> str:
    from alembic import command

    with engine.connect() as conn, conn.begin():
        _lock(conn)
        names = set(inspect(conn).get_table_names())
        config = _config(conn)
        if "debt_positions" in names and "alembic_version" not in names:
            command.stamp(config, INITIAL)  # a 0.1.0 database: its schema is 0001_initial
        command.upgrade(config, "head")
        revision = _revision(conn)
    assert revision == HEAD, f"the upgrade ended at {revision}, not {HEAD}"
    return revision


def _lock(conn: Connection) -> None:
    """Serialize concurrent upgrades for the rest of this transaction (see the module doc)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('pagopa-sandbox migrate ' || current_schema()))")
        )
    elif conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and not getattr(dbapi, "in_transaction", True):
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _config(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


# --- fresh SQLite files from a template -----------------------------------------------------------


def _sqlite_file(engine: Engine) -> Path | None:
    url = engine.url
    if engine.dialect.name != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:") or url.query.get("uri"):
        return None  # URI filenames (shared memory, modes): not plain files
    return Path(url.database)


def _copy_template(engine: Engine) -> bool:
    """Put a copy of the template where the engine's SQLite file will be; False when not possible."""
    target = _sqlite_file(engine)
    if target is None or target.exists():
        return False
    source = _template_file()
    staging = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        shutil.copyfile(source, staging)
        os.link(staging, target)
    except FileExistsError:
        return False
    finally:
        staging.unlink(missing_ok=True)
    return True


def _template_file() -> Path:
    global _template
    with _template_lock:
        if _template is None:
            folder = tempfile.mkdtemp(prefix="pagopa-sandbox-schema-")
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            path = Path(folder) / "head.sqlite3"
            from simulator.storage.engine import make_disposable_engine

            engine = make_disposable_engine(f"sqlite:///{path}")
            try:
                _run_upgrade(engine)
            finally:
                engine.dispose()
            with sqlite3.connect(path) as conn:  # one self-contained file: no -wal beside it
                conn.execute("PRAGMA journal_mode=DELETE")
            conn.close()
            _template = path
        return _template
