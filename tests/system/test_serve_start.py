"""``serve`` starting up: the banner names the port really bound, a port in use is one line with
the remedy, and ``--log-level`` decides which request lines are printed."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow

BANNER = re.compile(r"pagoPA sandbox on http://127\.0\.0\.1:(\d+) ")


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator.cli", "serve", *args]


def test_port_0_prints_the_port_really_bound_and_serves_on_it(tmp_path: Path) -> None:
    process = subprocess.Popen(
        serve_command("--ephemeral", "--port", "0", "--workers", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # nothing is printed before the banner without --demo
        found = BANNER.search(banner)
        assert found, banner
        port = int(found.group(1))
        assert port != 0
        deadline = time.monotonic() + 20
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/_sandbox/v1/health", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nothing answers on the port of the banner"
                time.sleep(0.05)
        assert health.status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=15)


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_port_in_use_is_one_line_with_the_remedy_and_a_failure_exit(tmp_path: Path, how: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        args = ["--ephemeral", "--demo"]  # --demo: not even the demo table is printed first
        env = dict(os.environ)
        if how == "option":
            args += ["--port", str(port)]
        else:
            env["PAGOPA_SANDBOX_PORT"] = str(port)
        result = subprocess.run(
            serve_command(*args), capture_output=True, text=True, timeout=30, cwd=tmp_path, env=env
        )
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"Error: port {port} is in use: choose another with --port or PAGOPA_SANDBOX_PORT"
    ]


def test_an_address_that_cannot_be_bound_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        serve_command("--ephemeral", "--host", "192.0.2.1", "--port", "0"),  # not this machine's
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: cannot listen on 192.0.2.1:0: ")
    assert "--host" in lines[0]


def request_lines(server: Server) -> list[str]:
    """Paths of the request lines the server printed, after a clock read and a static file."""
    requests.get(server.url + "/_sandbox/v1/clock", timeout=10)
    assert requests.get(server.url + "/static/css/sandbox.css", timeout=10).status_code == 200
    output = server.stop()
    return [json.loads(line)["path"] for line in output.splitlines() if line.startswith("{")]


def test_by_default_static_files_are_not_logged(tmp_path: Path, server_factory: list[Server]) -> None:
    server = start_server("--ephemeral", "--workers", "1", cwd=tmp_path)
    server_factory.append(server)
    paths = request_lines(server)
    assert "/_sandbox/v1/clock" in paths
    assert "/static/css/sandbox.css" not in paths


def test_log_level_debug_logs_static_files_too(tmp_path: Path, server_factory: list[Server]) -> None:
    server = start_server("--ephemeral", "--workers", "1", "--log-level", "debug", cwd=tmp_path)
    server_factory.append(server)
    paths = request_lines(server)
    assert "/_sandbox/v1/clock" in paths
    assert "/static/css/sandbox.css" in paths


def test_log_level_warning_from_the_environment_logs_no_request(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = start_server(
        "--ephemeral", "--workers", "1", cwd=tmp_path, env={"PAGOPA_SANDBOX_LOG_LEVEL": "WARNING"}
    )
    server_factory.append(server)
    assert request_lines(server) == []


def test_an_unknown_log_level_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        serve_command("--ephemeral", "--log-level", "loud"), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "Invalid value for '--log-level'" in result.stderr
    assert "Traceback" not in result.stderr
