"""``pagopa-sandbox certify`` against a live sandbox (a thread of the test process): the example
portal, served over HTTP and configured with the run's tenant, passes ``checkout-basic`` with exit
code 0; a run nobody plays times out with exit 3 and a JUnit file naming the cases that never ran;
a refused profile is exit 2, a sandbox that does not answer exit 6."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from junitparser import JUnitXml
from werkzeug.serving import BaseWSGIServer, make_server

from examples.ec_portal import create_app as create_portal
from simulator.cli import main
from simulator.testing.certify import CertifyResult, certify
from simulator.testing.live_server import LiveSandbox
from tests.system.conftest import free_port

EC = "15376371009"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[LiveSandbox]:
    with LiveSandbox(tmp_path) as live:
        yield live


@pytest.fixture
def servers() -> Iterator[list[BaseWSGIServer]]:
    started: list[BaseWSGIServer] = []
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


def play_every_case(sandbox_url: str, tenant: str, cases: int, servers: list[BaseWSGIServer]) -> None:
    """The example portal on a free port, in the run's tenant, and a citizen paying a due once per
    case: the headless completion plays the payer, the citizen comes back to the portal."""
    port = free_port()
    portal_url = f"http://127.0.0.1:{port}"
    portal = create_portal(sandbox_url, portal_url, tenant=tenant)
    server = make_server("127.0.0.1", port, portal, threaded=True)
    servers.append(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def citizen() -> None:
        for _ in range(cases):
            answer = requests.post(f"{portal_url}/paga/TARI-2026", allow_redirects=False, timeout=10)
            cart_id = answer.headers["Location"].split("/carts/")[1].split("/")[0]
            completed = requests.post(
                f"{sandbox_url}/_sandbox/v1/carts/{cart_id}/complete",
                headers={"X-Sandbox-Tenant": tenant},
                timeout=10,
            ).json()
            if completed.get("returnUrl"):
                requests.get(completed["returnUrl"], allow_redirects=False, timeout=10)

    threading.Thread(target=citizen, daemon=True).start()


def test_the_example_portal_passes_checkout_basic_from_the_command(
    sandbox: LiveSandbox, tmp_path: Path, servers: list[BaseWSGIServer]
) -> None:
    lines: list[str] = []
    junit = tmp_path / "report.xml"

    result = certify(
        sandbox.url,
        "checkout-basic",
        EC,
        junit=junit,
        timeout=60,
        poll=0.2,
        echo=lines.append,
        on_start=lambda tenant: play_every_case(sandbox.url, tenant, 3, servers),
    )

    assert result is CertifyResult.PASSED, "\n".join(lines)
    assert any(
        line.startswith("Configure the service under test with the header  X-Sandbox-Tenant: cert-")
        for line in lines
    )
    assert {"[1/3] ok: passed", "[2/3] declined: passed", "[3/3] cancelled: passed"} <= set(lines)
    xml = JUnitXml.fromfile(str(junit))
    assert xml.tests == 12 and xml.failures == 0 and xml.errors == 0


def test_a_run_nobody_plays_times_out_with_exit_3_and_names_the_cases_that_never_ran(
    sandbox: LiveSandbox, tmp_path: Path
) -> None:
    junit = tmp_path / "report.xml"

    result = CliRunner().invoke(
        main,
        [
            "certify",
            "--profile",
            "checkout-basic",
            "--fiscal-code",
            EC,
            "--url",
            sandbox.url,
            "--junit",
            str(junit),
            "--timeout",
            "0",
        ],
    )

    assert result.exit_code == 3, result.output
    assert "X-Sandbox-Tenant: cert-" in result.output
    assert "[2/3] declined: never ran" in result.output
    xml = JUnitXml.fromfile(str(junit))
    assert {r.message for s in xml for c in s for r in c.result} == {"never ran"}
    assert xml.failures == 12


def test_a_refused_run_is_exit_2_with_the_sandboxs_reasons(sandbox: LiveSandbox, tmp_path: Path) -> None:
    unknown = CliRunner().invoke(
        main, ["certify", "--profile", "nope", "--fiscal-code", EC, "--url", sandbox.url]
    )
    assert unknown.exit_code == 2 and "'nope' is not a profile" in unknown.output
    bad_code = CliRunner().invoke(
        main,
        ["certify", "--profile", "checkout-basic", "--fiscal-code", "RSSMRA80A01H501U", "--url", sandbox.url],
    )
    assert bad_code.exit_code == 2 and "fiscalCode" in bad_code.output
    file = tmp_path / "mine.yaml"
    file.write_text("version: 1\nid: mine\ntitle: Mine\ndescription: x\ncases: []\n", encoding="utf-8")
    invalid = CliRunner().invoke(
        main, ["certify", "--profile", str(file), "--fiscal-code", EC, "--url", sandbox.url]
    )
    assert invalid.exit_code == 2 and "Invalid certification profile" in invalid.output
    assert "cases: [] should be non-empty" in invalid.output


def test_a_sandbox_that_does_not_answer_is_exit_6() -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        main, ["certify", "--profile", "checkout-basic", "--fiscal-code", EC, "--url", gone]
    )
    assert result.exit_code == 6 and "cannot reach the sandbox" in result.output
