"""``pagopa-sandbox db``: the database's schema, upgraded in place or read."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator.cli.options import data_dir_option, database_url_option
from simulator.config import Settings
from simulator.startup import explain, make_data_dir, reported

if TYPE_CHECKING:
    from sqlalchemy import Engine


@click.group()
def db() -> None:
    """The database's schema: upgrade it in place, or say which revision it is at."""


@db.command("upgrade")
@data_dir_option
@database_url_option
def db_upgrade(data_dir: str, database_url: str | None) -> None:
    """Upgrade the database to the latest schema, keeping every row (creates it if new)."""
    from simulator.storage import migrate

    if not database_url:
        make_data_dir(data_dir)
    engine = _db_engine(data_dir, database_url)
    try:
        before = migrate.current(engine)
        after = migrate.upgrade(engine)
    except Exception as exc:
        raise explain(exc) from None
    finally:
        engine.dispose()
    if before is None:
        how = "created"
    elif before == after:
        how = "already up to date"
    else:
        how = f"upgraded from {before}"
    click.echo(f"database at revision {after} ({how})")


@db.command("current")
@data_dir_option
@database_url_option
def db_current(data_dir: str, database_url: str | None) -> None:
    """Print the database's schema revision, or ``no schema yet``."""
    from sqlalchemy.engine import make_url

    from simulator.storage import migrate

    with reported():
        settings = Settings.from_env().with_(data_dir=data_dir, database_url=database_url)
    url = settings.resolved_database_url
    database = make_url(url).database if url.startswith("sqlite") else None
    if database and database != ":memory:" and not Path(database).exists():
        click.echo("no schema yet")  # do not create an empty SQLite file just to look
        return
    engine = _db_engine(data_dir, database_url)
    try:
        revision = migrate.current(engine)
    except Exception as exc:
        raise explain(exc) from None
    finally:
        engine.dispose()
    click.echo(revision or "no schema yet")


def _db_engine(data_dir: str, database_url: str | None) -> Engine:
    """A one-shot engine on the database ``serve`` would use with the same options."""
    from simulator.storage.engine import make_disposable_engine

    with reported():  # a malformed URL, an unknown dialect, a driver not installed
        settings = Settings.from_env().with_(data_dir=data_dir, database_url=database_url)
        return make_disposable_engine(settings.resolved_database_url)
