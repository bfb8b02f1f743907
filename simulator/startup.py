"""Start-up failures as one line with the remedy: the one place that turns what goes wrong before
the sandbox serves (configuration, data directory, database URL, driver, database server) into
click's error convention, never a traceback.

Exit codes: 2 when the value given can never work (change the command or the variable), 1 when
the machine must change (install, permissions, a database server that does not answer).
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

USAGE = 2
RUNTIME = 1
POSTGRES_EXTRA = "install the postgres extra: pip install 'pagopa-sandbox[postgres]'"
URL_EXAMPLES = "sqlite:////path/to/sandbox.sqlite3 or postgresql+psycopg://user@host:5432/db"
POSTGRES_DRIVERS = ("psycopg", "psycopg2", "psycopg_binary")


class StartupError(click.ClickException):
    """``Error: <message>`` on standard error, exit 1: the machine must change."""

    exit_code = RUNTIME


class BadValue(StartupError):
    """Exit 2: the value given can never work."""

    exit_code = USAGE


@contextmanager
def reported() -> Iterator[None]:
    """Run start-up steps; any failure they can meet leaves as a ``StartupError``."""
    try:
        yield
    except click.ClickException:
        raise
    except Exception as exc:
        raise explain(exc) from None


def make_data_dir(path: str) -> None:
    """Create the data directory (and its parents), or say why not and what to do."""
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise data_dir_error(path, exc) from None


def data_dir_error(path: str, exc: OSError) -> StartupError:
    reason = exc.strerror or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != path else ""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StartupError(
            f"cannot create the data directory {path}: {reason}{where}; make its parent writable"
            " or choose another --data-dir (PAGOPA_SANDBOX_DATA_DIR)"
        )
    return BadValue(
        f"cannot create the data directory {path}: {reason}{where}; choose another --data-dir"
        " (PAGOPA_SANDBOX_DATA_DIR)"
    )


def explain(exc: BaseException) -> StartupError:
    """The one line for a failure met while starting (see the module doc for the exit codes)."""
    from sqlalchemy import exc as sa

    if isinstance(exc, ImportError) and (exc.name or "").split(".")[0] in POSTGRES_DRIVERS:
        return StartupError(f"the PostgreSQL driver is not installed: {POSTGRES_EXTRA}")
    if isinstance(exc, sa.NoSuchModuleError):
        kind = str(exc).rsplit(":", 1)[-1].replace("sqlalchemy.dialects.", "").strip()
        return BadValue(f"--database-url: unknown database kind {kind!r}; use {URL_EXAMPLES}")
    if isinstance(exc, sa.ArgumentError):
        return BadValue(f"--database-url: not a database URL ({_first_line(exc)}); use {URL_EXAMPLES}")
    if isinstance(exc, sa.DBAPIError):
        return StartupError(f"cannot open the database: {_first_line(exc.orig or exc)}{_hint(exc)}")
    if isinstance(exc, OSError):
        return StartupError(f"cannot start: {exc.strerror or exc}{_path(exc)}")
    if isinstance(exc, ValueError):  # a PAGOPA_SANDBOX_* variable that does not parse
        return BadValue(f"configuration: {_first_line(exc)}")
    return StartupError(f"cannot start: {type(exc).__name__}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _hint(exc: BaseException) -> str:
    text = str(exc)
    if "unable to open database file" in text or "readonly database" in text:
        return "; check that the data directory is writable, or choose another --data-dir"
    if "Connection refused" in text or "could not translate host name" in text or "timeout" in text:
        return "; is PostgreSQL running at that address? (--database-url, PAGOPA_SANDBOX_DATABASE_URL)"
    return ""


def _path(exc: OSError) -> str:
    return f": {exc.filename}" if exc.filename else ""
