"""Real server processes: ``pagopa-sandbox serve`` started on a free port, stopped after the test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    started: float
    ready_after: float = 0.0
    output: str | None = None

    def stop(self) -> str:
        """Stop the server (idempotent) and return everything it printed."""
        if self.output is not None:
            return self.output
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        out, _ = self.process.communicate()
        self.output = out or ""
        return self.output


def start_server(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 20.0
) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "simulator.cli", "serve", "--port", str(port), *args]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    server = Server(f"http://127.0.0.1:{port}", process, started)
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{server.stop()}")
        try:
            if requests.get(server.url + "/_sandbox/v1/health", timeout=5).status_code == 200:
                server.ready_after = time.perf_counter() - started
                return server
        except requests.RequestException:
            time.sleep(0.02)
    output = server.stop()
    raise AssertionError(f"the server was not ready within {timeout}s:\n{output}")


@pytest.fixture
def server_factory() -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()
