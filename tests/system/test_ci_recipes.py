"""The CI recipes in docs/ci: both parse, install the sandbox before starting it, point the tests at
the port they start it on, and their "start the sandbox and wait for it" lines, run here by bash as
written (the package is already installed, the port is a free one), leave a healthy sandbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.system.conftest import free_port

pytestmark = pytest.mark.slow
CI = Path(__file__).resolve().parents[2] / "docs" / "ci"


def load(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((CI / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def github() -> tuple[dict[str, str], list[str], str]:
    """The job's environment, its run steps' names, and the start-and-wait step's script."""
    spec = load("github-actions.yml")
    assert spec.get("on", spec.get(True)) == ["push", "pull_request"]  # YAML 1.1 reads `on` as true
    job = spec["jobs"]["integration"]
    steps = [s for s in job["steps"] if "run" in s]
    names = [s["name"] for s in steps]
    start = next(s["run"] for s in steps if s["name"] == "Start the sandbox and wait for it")
    return job["env"], names, start


def gitlab() -> tuple[dict[str, str], list[str]]:
    job = load("gitlab-ci.yml")["integration"]
    return job["variables"], job["before_script"]


def start_and_wait(script: str, variables: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run the lines as the CI shell would; return the port it served on, once bash has exited."""
    port = free_port()
    env = {
        **os.environ,
        **variables,
        "PAGOPA_SANDBOX_PORT": str(port),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
    }
    shell = subprocess.Popen(["bash", "-e", "-c", script], cwd=cwd, env=env, start_new_session=True)
    try:
        assert shell.wait(timeout=90) == 0, (cwd / "sandbox.log").read_text()
        health = requests.get(f"http://127.0.0.1:{port}/_sandbox/v1/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
    finally:
        os.killpg(shell.pid, signal.SIGTERM)  # the background server is in the shell's group
    return port, (cwd / "sandbox.log").read_text()


def test_github_actions_installs_then_starts_and_waits(tmp_path: Path) -> None:
    env, names, start = github()
    assert names.index("Install the sandbox") < names.index("Start the sandbox and wait for it")
    assert env["PAGOPA_SANDBOX_URL"] == f"http://127.0.0.1:{env['PAGOPA_SANDBOX_PORT']}"
    port, log = start_and_wait(start, env, tmp_path)
    assert f":{port}" in log


def test_gitlab_ci_installs_then_starts_and_waits(tmp_path: Path) -> None:
    variables, lines = gitlab()
    assert lines[0].startswith("pip install")
    assert variables["PAGOPA_SANDBOX_URL"] == f"http://127.0.0.1:{variables['PAGOPA_SANDBOX_PORT']}"
    port, log = start_and_wait("\n".join(lines[1:]), variables, tmp_path)
    assert f":{port}" in log
