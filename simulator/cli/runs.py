"""``pagopa-sandbox pay`` and ``certify``: a payment and a certification run driven over HTTP, as
any client of the sandbox would."""

from __future__ import annotations

import sys
from pathlib import Path

import click

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


@click.command(epilog=PAY_EXIT_CODES)
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


@click.command(epilog=CERTIFY_EXIT_CODES)
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
