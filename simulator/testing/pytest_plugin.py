"""The pytest plugin (entry point ``pytest11``): a fixture ``pagopa_sandbox`` giving each test its
own tenant of a sandbox shared by the session.

The sandbox is the real app in a background thread on a free port with a throw-away database,
started the first time a test asks for it (a suite that never does pays nothing), or an external
one named by ``--pagopa-sandbox-url`` / the ini option ``pagopa_sandbox_url`` / the environment
variable ``PAGOPA_SANDBOX_URL``. Under pytest-xdist each worker process starts its own; a tenant per
test keeps tests apart on a shared external sandbox too.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from simulator.testing.sandbox_client import SandboxClient

URL_OPTION = "pagopa_sandbox_url"
KEY_OPTION = "pagopa_sandbox_subscription_key"
URL_ENV = "PAGOPA_SANDBOX_URL"
KEY_ENV = "PAGOPA_SANDBOX_SUBSCRIPTION_KEY"
CLIENT_KEY = pytest.StashKey["SandboxClient"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pagopa-sandbox")
    group.addoption(
        "--pagopa-sandbox-url",
        dest=URL_OPTION,
        metavar="URL",
        help=f"use the sandbox running at URL instead of one in the test process (env {URL_ENV})",
    )
    parser.addini(URL_OPTION, "base URL of an external pagoPA sandbox (default: one in the test process)")
    parser.addini(KEY_OPTION, f"subscription key sent to the sandbox (env {KEY_ENV}; default 'pytest')")


def _setting(config: pytest.Config, name: str, env: str) -> str | None:
    """Command line first, then the environment, then the ini file."""
    value = config.getoption(name, default=None) if name == URL_OPTION else None
    return value or os.environ.get(env) or str(config.getini(name) or "") or None


@pytest.fixture(scope="session")
def pagopa_sandbox_url(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of the session's sandbox (started here unless an external one is named)."""
    external = _setting(pytestconfig, URL_OPTION, URL_ENV)
    if external:
        yield _checked(external.rstrip("/"))
        return
    from simulator.testing.live_server import LiveSandbox

    with LiveSandbox(tmp_path_factory.mktemp("pagopa-sandbox")) as live:
        yield live.url


@pytest.fixture
def pagopa_sandbox(pagopa_sandbox_url: str, request: pytest.FixtureRequest) -> Iterator[SandboxClient]:
    """A client of the sandbox as a tenant of this test's own (see ``SandboxClient``); the tenant
    is reset afterwards, so a shared external sandbox does not grow with every run."""
    from simulator.testing.sandbox_client import SandboxClient

    key = _setting(request.config, KEY_OPTION, KEY_ENV) or "pytest"
    client = SandboxClient(pagopa_sandbox_url, tenant_for(request.node.name), key)
    request.node.stash[CLIENT_KEY] = client
    try:
        yield client
    finally:
        client.reset()
        client.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used the sandbox shows its tenant's journal beside the failure (the
    tenant is reset right after)."""
    report = yield
    client = item.stash.get(CLIENT_KEY, None)
    if client is not None and call.when == "call" and report.failed:
        try:
            lines = client.journal_lines()
        except Exception as exc:  # the sandbox itself may be what failed
            lines = [f"(the journal could not be read: {exc})"]
        report.sections.append(
            (f"pagopa sandbox journal, tenant {client.tenant} (newest first)", "\n".join(lines))
        )
    return report


def tenant_for(test_name: str) -> str:
    """A tenant name no other test (in any worker, any run) uses, readable in the journal."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", test_name).lstrip("._-")[:40]
    return f"{readable}-{uuid.uuid4().hex[:12]}" if readable else uuid.uuid4().hex


def _checked(url: str) -> str:
    import requests

    try:
        response = requests.get(f"{url}/_sandbox/v1/health", timeout=10)
        answered = response.status_code == 200
    except requests.RequestException as exc:
        pytest.fail(f"--pagopa-sandbox-url {url}: no sandbox answers ({exc})", pytrace=False)
    if not answered:
        pytest.fail(f"--pagopa-sandbox-url {url}: health answered {response.status_code}", pytrace=False)
    return url
