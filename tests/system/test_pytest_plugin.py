"""The pytest plugin as a creditor's project meets it: a fresh project with only the package
installed, run by pytest in a subprocess (the ``pytest11`` entry point loads the plugin)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system.conftest import Server, start_server

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"
# Hypothesis comes with this repository's test extra, not with the package: a creditor's project
# would not load its plugin (seconds of start-up for each inner run).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q")


def readme_snippet() -> str:
    """The Python example of the README's "Using it from pytest", exactly as printed there."""
    section = README.read_text(encoding="utf-8").split("## Using it from pytest", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README's 'Using it from pytest' has no python example"
    return match.group(1)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project: none of this repository's conftest or settings reach it."""
    for name in (
        "PAGOPA_SANDBOX_URL",
        "PAGOPA_SANDBOX_MIGRATION_TEMPLATE",
        "PAGOPA_SANDBOX_SUBSCRIPTION_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    return pytester


@pytest.fixture(scope="module")
def external() -> Iterator[Server]:
    """A sandbox started apart, as a CI service would be (its tenants keep the tests apart)."""
    server = start_server("--ephemeral", "--workers", "1")
    try:
        yield server
    finally:
        server.stop()


def test_the_readmes_three_line_test_passes_in_a_new_project(project: pytest.Pytester) -> None:
    snippet = readme_snippet()
    assert len([line for line in snippet.splitlines() if line.startswith("    ")]) == 3
    project.makepyfile(test_payment=snippet)

    result = project.runpytest_subprocess(*QUIET)

    result.assert_outcomes(passed=1)


def test_a_project_that_does_not_use_the_fixture_starts_and_imports_nothing(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_plain="""
        import sys

        def test_nothing_of_the_sandbox_is_loaded(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("pagopa_sandbox")
            assert not [m for m in sys.modules if m.startswith(("simulator.app", "flask", "sqlalchemy"))]
        """
    )

    result = project.runpytest_subprocess(*QUIET)

    result.assert_outcomes(passed=1)


XDIST_TESTS = """
import json, os

def record(sandbox, config):
    out = config.rootpath / f"{os.environ['PYTEST_XDIST_WORKER']}.json"
    out.write_text(json.dumps({"tenant": sandbox.tenant, "url": sandbox.url}))

def test_one(pagopa_sandbox, pytestconfig):
    position = pagopa_sandbox.create_debt_position(amount=100)
    cart = pagopa_sandbox.start_cart(position)
    assert pagopa_sandbox.complete(cart, outcome="ok")["state"] == "PAID"
    pagopa_sandbox.assert_called("POST", "/checkout/ec/v2/carts", times=1)
    record(pagopa_sandbox, pytestconfig)

def test_two(pagopa_sandbox, pytestconfig):
    position = pagopa_sandbox.create_debt_position(amount=200)
    cart = pagopa_sandbox.start_cart(position)
    assert pagopa_sandbox.complete(cart, outcome="declined")["state"] == "FAILED"
    pagopa_sandbox.assert_called("POST", "/checkout/ec/v2/carts", times=1)
    record(pagopa_sandbox, pytestconfig)
"""


def worker_records(project: pytest.Pytester) -> dict[str, dict[str, str]]:
    return {p.stem: json.loads(p.read_text()) for p in project.path.glob("gw*.json")}


def test_under_xdist_each_worker_has_its_own_sandbox_and_each_test_its_own_tenant(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_two_workers=XDIST_TESTS)

    result = project.runpytest_subprocess(*QUIET, "-n", "2")

    result.assert_outcomes(passed=2)
    records = worker_records(project)
    assert sorted(records) == ["gw0", "gw1"]
    assert records["gw0"]["tenant"] != records["gw1"]["tenant"]
    assert records["gw0"]["url"] != records["gw1"]["url"]  # one sandbox per worker process


def test_an_external_sandbox_is_shared_by_workers_each_test_in_its_tenant(
    project: pytest.Pytester, external: Server
) -> None:
    project.makepyfile(test_two_workers=XDIST_TESTS)

    result = project.runpytest_subprocess(*QUIET, "-n", "2", "--pagopa-sandbox-url", external.url)

    result.assert_outcomes(passed=2)  # each saw only its own cart in the journal (times=1)
    records = worker_records(project)
    assert {r["url"] for r in records.values()} == {external.url}
    assert records["gw0"]["tenant"] != records["gw1"]["tenant"]


@pytest.mark.parametrize("source", ["ini", "env"])
def test_the_external_url_may_come_from_the_ini_file_or_the_environment(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, external: Server, source: str
) -> None:
    if source == "ini":
        project.makeini(f"[pytest]\npagopa_sandbox_url = {external.url}\n")
    else:
        monkeypatch.setenv("PAGOPA_SANDBOX_URL", external.url)
    project.makepyfile(
        test_where=readme_snippet()
        + "\n\ndef test_where(pagopa_sandbox):\n    assert pagopa_sandbox.url == "
        + repr(external.url)
        + "\n"
    )

    result = project.runpytest_subprocess(*QUIET)

    result.assert_outcomes(passed=2)


def test_an_external_url_where_nothing_answers_is_one_clear_error(project: pytest.Pytester) -> None:
    project.makepyfile(test_payment=readme_snippet())

    result = project.runpytest_subprocess(*QUIET, "--pagopa-sandbox-url", "http://127.0.0.1:9")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--pagopa-sandbox-url http://127.0.0.1:9: no sandbox answers*"])


def test_a_failing_journal_assertion_says_what_was_expected_and_what_the_journal_holds(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_verify="""
        def test_the_cart_was_started(pagopa_sandbox):
            pagopa_sandbox.create_debt_position(fiscal_code="15376371009")
            pagopa_sandbox.assert_called("POST", "/checkout/ec/v2/carts")
        """
    )

    result = project.runpytest_subprocess(*QUIET)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*AssertionError: expected POST /checkout/ec/v2/carts to be called at least once,"
            " but it was called 0 time(s).",
            "E*The journal of tenant 'test_the_cart_was_started-*' holds 2 entries (newest first):",
            "E*in  POST /gpd/debt-positions-service/v1/organizations/15376371009/debtpositions -> 201",
            "E*in  GET /_sandbox/v1/organizations/15376371009/iuv -> 200",
            "*pagopa sandbox journal, tenant test_the_cart_was_started-*",
        ]
    )
