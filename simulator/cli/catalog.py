"""``pagopa-sandbox nav`` and ``scenarios``: notice numbers and the scenario library, from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from simulator.config import Settings
from simulator.startup import reported

if TYPE_CHECKING:
    from simulator.scenario.library import ScenarioLibrary


@click.group()
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


@click.group()
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
    library = load_scenarios(dirs)
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


def load_scenarios(scenario_dirs: tuple[str, ...]) -> ScenarioLibrary:
    """The built-ins and the given folders, or a usage error listing every problem."""
    from simulator.scenario.loader import load_library
    from simulator.scenario.model import ScenarioError

    try:
        return load_library(scenario_dirs)
    except ScenarioError as exc:
        raise click.ClickException(f"invalid scenarios:\n{exc}") from None
