"""Where the database is: the same options (and environment variables) for ``serve`` and ``db``."""

from __future__ import annotations

import click

# Where the database is: the same options (and environment variables) for serve and db.
data_dir_option = click.option(
    "--data-dir",
    envvar="PAGOPA_SANDBOX_DATA_DIR",
    show_envvar=True,
    default="sandbox-data",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the SQLite database lives.",
)
database_url_option = click.option(
    "--database-url",
    envvar="PAGOPA_SANDBOX_DATABASE_URL",
    show_envvar=True,
    default=None,
    help="e.g. postgresql+psycopg://user@host/db (default: SQLite in --data-dir).",
)
