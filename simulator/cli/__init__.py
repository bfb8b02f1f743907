"""The ``pagopa-sandbox`` command: serve the sandbox; the other commands live beside it (``db``,
``runs``: pay and certify, ``catalog``: nav and scenarios)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import click

from simulator import __version__
from simulator.cli.catalog import load_scenarios, nav, scenarios
from simulator.cli.db import db
from simulator.cli.options import data_dir_option, database_url_option
from simulator.cli.runs import certify, pay
from simulator.config import LOG_LEVELS, Settings
from simulator.startup import make_data_dir, reported


@click.group()
@click.version_option(__version__, prog_name="pagopa-sandbox")
def main() -> None:
    """pagoPA Checkout Sandbox: an offline simulator of the pagoPA payment flow."""


SERVE_ENVIRONMENT = """\b
Settings without an option (environment only):
  PAGOPA_SANDBOX_API_KEYS                 comma-separated subscription keys (unset: any non-empty key)
  PAGOPA_SANDBOX_MAX_BODY_BYTES           larger request bodies get 413 (1048576)
  PAGOPA_SANDBOX_READ_TIMEOUT_SECONDS     a silent connection is closed after this long (30)
  PAGOPA_SANDBOX_SECRET_KEY               signs the pages' cookie (unset: one kept in the data dir)
  PAGOPA_SANDBOX_PUBLIC_URL               the sandbox's URL as clients reach it
  PAGOPA_SANDBOX_CHECKOUT_URL             the checkout pages' URL as browsers reach it
  PAGOPA_SANDBOX_JOURNAL_SIZE             journal entries kept per tenant (1000)
  PAGOPA_SANDBOX_DELAY_CAP_SECONDS        longest scenario delay really slept (10)
  PAGOPA_SANDBOX_SCENARIO_WATCH_SECONDS   how often scenario folders are looked at (1)
  PAGOPA_SANDBOX_NOTIFY_WORKER            deliver notifications in this process (on under serve)
  PAGOPA_SANDBOX_NOTIFY_RETRY_SCHEDULE    waits between delivery attempts (0s,30s,2m,10m,1h,6h)
  PAGOPA_SANDBOX_NOTIFY_TIMEOUT_SECONDS   one delivery attempt (10)
  PAGOPA_SANDBOX_NOTIFY_POLL_SECONDS      how often due deliveries are looked for (0.5)
  PAGOPA_SANDBOX_NOTIFY_CONCURRENCY       delivery attempts in flight per worker (16)
  PAGOPA_SANDBOX_NOTIFY_PER_DESTINATION   of them, at most this many to one host:port (4)
  PAGOPA_SANDBOX_NOTIFY_CONNECT_TIMEOUT_SECONDS  opening a delivery's connection (2)
  PAGOPA_SANDBOX_NOTIFY_ALLOW             CIDRs and hosts notifications may go to (unset: anywhere
                                          but the sandbox itself)
  PAGOPA_SANDBOX_STATION_TIMEOUT_SECONDS  longest wait for a creditor's station (5)
  PAGOPA_SANDBOX_TRUST_PROXY              1: believe one proxy's X-Forwarded-* headers (off)
"""


@main.command(epilog=SERVE_ENVIRONMENT)
@click.option(
    "--host",
    envvar="PAGOPA_SANDBOX_HOST",
    show_envvar=True,
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface).",
)
@click.option(
    "--port",
    envvar="PAGOPA_SANDBOX_PORT",
    show_envvar=True,
    default=8080,
    type=click.IntRange(0, 65535),
    show_default=True,
    help="Port to listen on.",
)
@data_dir_option
@click.option(
    "--ephemeral",
    is_flag=True,
    envvar="PAGOPA_SANDBOX_EPHEMERAL",
    show_envvar=True,
    help="Keep nothing: a throw-away database removed on exit.",
)
@database_url_option
@click.option(
    "--workers",
    envvar="PAGOPA_SANDBOX_WORKERS",
    show_envvar=True,
    default=2,
    type=click.IntRange(1, 64),
    show_default=True,
    help="gunicorn worker processes (4 threads each).",
)
@click.option(
    "--demo",
    is_flag=True,
    envvar="PAGOPA_SANDBOX_DEMO",
    show_envvar=True,
    help="Seed a demo creditor (77777777777) and print NAVs to try.",
)
@click.option(
    "--scenarios",
    "scenario_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    envvar="PAGOPA_SANDBOX_SCENARIOS",
    show_envvar=True,
    help="A folder of your own scenarios (repeatable; the variable separates folders with ':').",
)
@click.option(
    "--trainer",
    is_flag=True,
    envvar="PAGOPA_SANDBOX_TRAINER_MODE",
    show_envvar=True,
    help="Trainer mode: the summary page lets the tester choose the outcome (a scenario).",
)
@click.option(
    "--log-level",
    envvar="PAGOPA_SANDBOX_LOG_LEVEL",
    show_envvar=True,
    default="info",
    show_default=True,
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    help="info: one line per request, static files only at debug; warning: errors only.",
)
def serve(
    host: str,
    port: int,
    data_dir: str,
    ephemeral: bool,
    database_url: str | None,
    workers: int,
    demo: bool,
    scenario_dirs: tuple[str, ...],
    trainer: bool,
    log_level: str,
) -> None:
    """Run the sandbox on a production WSGI server (gunicorn, requests read by waitress)."""
    ctx = click.get_current_context()
    if ephemeral and ctx.get_parameter_source("data_dir") not in (None, click.core.ParameterSource.DEFAULT):
        raise click.UsageError("--data-dir and --ephemeral exclude each other")
    if ephemeral and database_url:
        raise click.UsageError("--database-url and --ephemeral exclude each other")
    if ephemeral:
        data_dir = tempfile.mkdtemp(prefix="pagopa-sandbox-")
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    elif not database_url:
        make_data_dir(data_dir)
    with reported():
        settings = Settings.from_env().with_(
            host=host,
            port=port,
            data_dir=data_dir,
            database_url=database_url,
            workers=workers,
            ephemeral=ephemeral,
            demo=demo,
            trainer_mode=trainer,
            log_level=log_level.lower(),
        )
    if scenario_dirs:
        settings = settings.with_(scenario_dirs=scenario_dirs)
    if not os.environ.get("PAGOPA_SANDBOX_NOTIFY_WORKER"):  # a server delivers its notifications
        settings = settings.with_(notify_worker=True)
    library = load_scenarios(settings.scenario_dirs)  # refuse bad files before anything starts
    from simulator.server import ListenError, SandboxServer, listen

    try:
        listener = listen(host, port)  # before anything is printed: a port in use is one line
    except ListenError as exc:
        raise click.ClickException(str(exc)) from None
    port = listener.getsockname()[1]  # the real one when --port 0
    settings = settings.with_(port=port)
    with reported():  # every start-up failure is one line with its remedy (simulator.startup)
        _prepare_database(settings)
        settings.resolved_secret_key()  # made here once, not by a worker that would die of it
    where = "ephemeral database" if ephemeral else (_redact(database_url) if database_url else f"{data_dir}/")
    mode = ", trainer mode" if trainer else ""
    click.echo(
        f"pagoPA sandbox on http://{host}:{port}"
        f"  ({workers} workers, {where}, {len(library)} scenarios{mode})",
        err=True,
    )
    SandboxServer(settings, listener).run()


def _prepare_database(settings: Settings) -> None:
    """Schema and demo data, once, in the master process before any worker starts."""
    from simulator.services.context import Sandbox
    from simulator.storage import migrate
    from simulator.storage.database import Database
    from simulator.storage.engine import make_disposable_engine

    database = Database(make_disposable_engine(settings.resolved_database_url))
    migrate.upgrade(database.engine)
    if settings.demo:  # what is missing is seeded; the table shows the positions as they stand
        from simulator.services.demo import seed_demo

        table = seed_demo(Sandbox(settings, database))
        click.echo(table.render(), err=False)
    database.dispose()


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


for command in (db, pay, certify, nav, scenarios):
    main.add_command(command)
