"""The ``pagopa-sandbox`` command: serve the sandbox, and notice-number and scenario helpers for
the shell."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator import __version__
from simulator.config import LOG_LEVELS, Settings
from simulator.startup import explain, make_data_dir, reported

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from simulator.scenario.library import ScenarioLibrary


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
    library = _load_scenarios(settings.scenario_dirs)  # refuse bad files before anything starts
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


@main.group()
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


PAY_EXIT_CODES = """\b
Exit codes:
  0  paid (outcome 0)
  1  failed: declined or another KO outcome, refunded, or the notice refused
  2  usage: a bad option or a URL that is not the sandbox's
  3  cancelled (outcome 8)
  4  expired: the session or the authorization timed out (outcome 4)
  5  pending (outcome 17): not final yet
  6  no outcome: the sandbox did not answer, or an unexpected page
"""


@main.command(epilog=PAY_EXIT_CODES)
@click.argument("url")
@click.option(
    "--scenario", default=None, help="Scenario id for the cart (PUT /_sandbox/v1/carts/{id}/scenario)."
)
@click.option(
    "--card",
    "card_number",
    default="4242424242424242",
    show_default=True,
    help="Card number (see the README's test cards).",
)
@click.option("--email", default="mario.rossi@example.com", show_default=True)
@click.option("--tenant", default=None, help="X-Sandbox-Tenant (default: the cart's own tenant).")
@click.option("--cancel", is_flag=True, help="Press Annulla on the summary instead of Paga.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object on stdout.")
def pay(
    url: str,
    scenario: str | None,
    card_number: str,
    email: str,
    tenant: str | None,
    cancel: bool,
    as_json: bool,
) -> None:
    """Pay a cart headlessly through the pages' own links and forms; print where the browser lands
    and exit with the payment's result (0 only when paid).

    URL is the cart API's Location (the redirect hop), a /c/{cartId} URL or a /{rptId} deep link.
    """
    import json

    from simulator.testing.headless import PayError, PayResult, pay_url
    from simulator.testing.pages_client import Card

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"not an http(s) URL: {url!r} (the cart API's Location)", param_hint="URL")
    try:
        run = pay_url(
            url, scenario=scenario, card=Card(number=card_number), email=email, tenant=tenant, cancel=cancel
        )
    except (PayError, OSError) as exc:  # requests' connection errors and timeouts are OSErrors
        reason = str(exc) if isinstance(exc, PayError) else f"cannot reach the sandbox: {exc}"
        if as_json:
            click.echo(
                json.dumps({"result": "stopped", "exitCode": PayResult.STOPPED.exit_code, "error": reason})
            )
        else:
            click.echo(f"Error: {reason}", err=True)
        sys.exit(PayResult.STOPPED.exit_code)
    result = run.result
    if as_json:
        click.echo(json.dumps(run.as_json(), ensure_ascii=False))
    else:
        shown = "none" if run.outcome is None else run.outcome
        click.echo(f"{result.label}: outcome {shown} on {run.checkout.last.path}: {run.message}", err=True)
        if run.landing_url is not None:
            click.echo(run.landing_url)
    sys.exit(result.exit_code)


CERTIFY_EXIT_CODES = """\b
Exit codes:
  0  every check of every case passed
  1  a check failed
  2  usage: a bad option, or the sandbox refused the run (unknown profile, invalid profile,
     a fiscal code that is not 11 digits)
  3  timed out: the run was closed with cases that never ran
  6  the sandbox did not answer
"""


@main.command(epilog=CERTIFY_EXIT_CODES)
@click.option(
    "--profile",
    required=True,
    help="A profile id (checkout-basic, checkout-full, modello1) or a profile file.",
)
@click.option("--fiscal-code", required=True, help="The fiscal code of the EC (creditor) certified.")
@click.option(
    "--url",
    envvar="PAGOPA_SANDBOX_URL",
    show_envvar=True,
    default="http://127.0.0.1:8080",
    show_default=True,
    help="The running sandbox.",
)
@click.option("--tenant", default="default", show_default=True, help="The tenant that owns the run.")
@click.option(
    "--junit", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the JUnit XML here."
)
@click.option(
    "--timeout", type=click.FloatRange(min=0), default=600, show_default=True, help="Seconds to wait."
)
def certify(profile: str, fiscal_code: str, url: str, tenant: str, junit: str | None, timeout: float) -> None:
    """Run a certification against a running sandbox: start it, print the tenant the service under
    test must use, show each case as it is decided, write the JUnit report, exit 0 only when every
    check passed."""
    from simulator.testing import certify as certification

    try:
        result = certification.certify(
            url,
            certification.profile_argument(profile),
            fiscal_code,
            tenant=tenant,
            junit=Path(junit) if junit else None,
            timeout=timeout,
            echo=click.echo,
        )
    except certification.CertifyError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.result.exit_code)
    click.echo(f"Result: {result.name.lower().replace('_', ' ')}")
    sys.exit(result.exit_code)


@main.group()
def nav() -> None:
    """Notice numbers (NAV): make a fresh one, or check one."""


@nav.command("new")
@click.argument("fiscal_code")
@click.option(
    "--sequence",
    type=click.IntRange(0, 10**13 - 1),
    default=None,
    help="The 13-digit base (default: random).",
)
def nav_new(fiscal_code: str, sequence: int | None) -> None:
    """Print a fresh aux-3 NAV (and its IUV) for an EC fiscal code."""
    import secrets

    from simulator.domain.codes import new_nav, parse_fiscal_code
    from simulator.domain.errors import InvalidInput
    from simulator.services.organizations import segregation_code_for

    try:
        fiscal_code = parse_fiscal_code(fiscal_code)
        value = new_nav(
            segregation_code_for(fiscal_code), sequence if sequence is not None else secrets.randbelow(10**13)
        )
    except InvalidInput as exc:
        raise click.BadParameter(exc.reason, param_hint="FISCAL_CODE") from None
    click.echo(
        f"NAV      {value.value}\nprinted  {value.grouped()}\nIUV      {value.iuv}\n"
        f"RptId    {fiscal_code}{value.value}\nQR       PAGOPA|002|{value.value}|{fiscal_code}|<cents>"
    )


@nav.command("check")
@click.argument("nav_value", metavar="NAV")
def nav_check(nav_value: str) -> None:
    """Explain a NAV: aux digit, IUV, check digits (a mismatch is a warning, as in production)."""
    from simulator.domain.codes import parse_nav
    from simulator.domain.errors import InvalidInput

    try:
        parsed = parse_nav(nav_value)
    except InvalidInput as exc:
        click.echo(f"invalid: {exc.reason}", err=True)
        sys.exit(2)
    lines = [f"NAV          {parsed.value}", f"aux digit    {parsed.aux_digit}"]
    if parsed.segregation_code is not None:
        lines.append(f"segregation  {parsed.segregation_code}")
    if parsed.application_code is not None:
        lines.append(f"application  {parsed.application_code}")
    lines.append(f"IUV          {parsed.iuv}")
    if parsed.check_ok is None:
        lines.append("check digits none for aux digit 1")
    elif parsed.check_ok:
        lines.append(f"check digits {parsed.value[16:]} ok")
    else:
        lines.append(
            f"check digits {parsed.value[16:]} MISMATCH (expected {parsed.expected_check});"
            " accepted anyway, as pagoPA does"
        )
    click.echo("\n".join(lines))


@main.group()
def scenarios() -> None:
    """Scenarios: list the library, check your own files."""


@scenarios.command("list")
@click.option(
    "--scenarios",
    "scenario_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="A folder of your own scenarios, listed with the built-ins (repeatable).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print what GET /_sandbox/v1/scenarios answers, as JSON."
)
def scenarios_list(scenario_dirs: tuple[str, ...], as_json: bool) -> None:
    """Every scenario with its title and how to trigger it."""
    from simulator.scenario.library import SelectionReason

    with reported():
        dirs = scenario_dirs or Settings.from_env().scenario_dirs
    library = _load_scenarios(dirs)
    if as_json:
        import json

        from simulator.services.scenarios import ScenarioEntry
        from simulator.web.control_api import scenario_json

        entries = [scenario_json(ScenarioEntry(s, library.triggers(s.id))) for s in library]
        click.echo(json.dumps({"scenarios": entries}, ensure_ascii=False, indent=2))
        return
    rows = [("ID", "TITLE", "HOW TO TRIGGER (besides its id)")]
    for scenario in library:
        ways = [t.text for t in library.triggers(scenario.id) if t.kind is not SelectionReason.EXPLICIT]
        if scenario.overrides:
            ways.append(f"overrides the built-in {Path(scenario.overrides).name}")
        rows.append((scenario.id, scenario.title, "; ".join(ways) or "by id only"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    click.echo(
        "Choose any scenario by id: header X-Sandbox-Scenario: <id>, or"
        ' "sandbox": {"scenario": "<id>"} in the cart body.\n'
    )
    for row in rows:
        click.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())


@scenarios.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def scenarios_validate(paths: tuple[str, ...]) -> None:
    """Check scenario files (or folders of them): print ``file:line: message`` for each problem
    and exit 1, or say how many scenarios are valid."""
    from simulator.scenario.loader import load_library
    from simulator.scenario.model import ScenarioError

    try:
        library = load_library(paths, builtins=False)
    except ScenarioError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''} found", err=True)
        sys.exit(1)
    click.echo(f"{len(library)} scenario{'s' if len(library) != 1 else ''} OK")


def _load_scenarios(scenario_dirs: tuple[str, ...]) -> ScenarioLibrary:
    """The built-ins and the given folders, or a usage error listing every problem."""
    from simulator.scenario.loader import load_library
    from simulator.scenario.model import ScenarioError

    try:
        return load_library(scenario_dirs)
    except ScenarioError as exc:
        raise click.ClickException(f"invalid scenarios:\n{exc}") from None


if __name__ == "__main__":  # pragma: no cover
    main()
