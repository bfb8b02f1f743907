"""The database and its transactions: the one place a connection is taken and a transaction begun.

A transaction is either a write (SQLite ``BEGIN IMMEDIATE``: writers queue at the start instead of
failing when they upgrade a read) or a read (SQLite's deferred ``BEGIN``: WAL readers never wait
for the write lock and never hold it; on PostgreSQL a read is a plain transaction that takes no
row locks).

SQLite admits one writer at a time and makes the others poll with growing sleeps (up to 100 ms a
nap), which caps several worker processes at a few hundred writes a second. So SQLite writers
queue before they begin: on a lock of this process (threads), then on an advisory lock on a file
beside the database (processes: ``flock`` wakes the next waiter as soon as the lock is let go).
Both only order writers; every uniqueness rule is a constraint of the database, so it holds
across processes whatever these locks do.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection


def aware(value: datetime) -> datetime:
    """A stored datetime with its UTC offset (SQLite gives them back naive)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def maybe_aware(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


class Transaction:
    """One database transaction on one connection. ``pause`` ends it, runs something outside any
    transaction (a scenario's delay, a call to another system) and begins the next one."""

    def __init__(self, database: Database, conn: Connection, write: bool) -> None:
        self.database = database
        self.conn = conn
        self.write = write
        # Set when the caller wants its changes kept although it leaves with an exception (a
        # payment fault recorded in the timeline, then shown to the payer).
        self.commit_on_error = False
        # Run before every commit: writes the caller batches until then (a unit's events).
        self.before_commit: list[Callable[[], None]] = []

    def commit(self) -> None:
        for hook in self.before_commit:
            hook()
        self.conn.commit()

    def pause(self, outside: Callable[[], Any]) -> Any:
        """Commit what was done so far, run ``outside()`` with no transaction open, and begin the
        next transaction of the same kind; returns what ``outside`` returned."""
        self.conn.commit()
        self.database.release(self.write)
        try:
            return outside()
        finally:
            self.database.acquire(self.write)
            self.database.begin(self.conn, self.write)


class _FileLock:
    """An exclusive ``flock`` on a file, opened once per process (never shared across a fork)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def acquire(self) -> None:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self._writer: threading.RLock | None = threading.RLock() if self.sqlite else None
        self._depth = threading.local()  # this thread's nesting of writer locks (the RLock's)
        path = engine.url.database if self.sqlite else None
        self._file_lock = _FileLock(path + ".writer-lock") if path and path != ":memory:" else None

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Transaction]:
        """A transaction: committed when the block ends, rolled back when it raises (unless the
        block asked for ``commit_on_error``)."""
        self.acquire(write)
        try:
            with self.engine.connect() as conn:
                self.begin(conn, write)
                tx = Transaction(self, conn, write)
                try:
                    yield tx
                except BaseException:
                    if tx.commit_on_error:
                        tx.commit()
                    else:
                        conn.rollback()
                    raise
                else:
                    tx.commit()
                finally:
                    conn.info.pop("write", None)  # a connection used outside Database writes
        finally:
            self.release(write)

    def begin(self, conn: Connection, write: bool) -> None:
        conn.info["write"] = write  # read by the SQLite begin hook (engine.py)
        conn.begin()

    def acquire(self, write: bool) -> None:
        if write and self._writer is not None:
            self._writer.acquire()
            depth = getattr(self._depth, "n", 0)
            self._depth.n = depth + 1
            if depth == 0 and self._file_lock is not None:
                self._file_lock.acquire()

    def release(self, write: bool) -> None:
        if write and self._writer is not None:
            self._depth.n -= 1
            if self._depth.n == 0 and self._file_lock is not None:
                self._file_lock.release()
            self._writer.release()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def dispose(self) -> None:
        self.engine.dispose()
