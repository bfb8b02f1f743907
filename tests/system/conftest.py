"""Real server processes: ``pagopa-sandbox serve`` started on a free port, stopped after the test."""

from __future__ import annotations

import contextlib
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


# --- storage for a served sandbox, and its processes ----------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, ...]]:
    """The ``serve`` arguments naming where the data lives: a data dir (SQLite) or a fresh PostgreSQL
    schema (dropped afterwards). Servers started one after the other with them share the data."""
    if request.param == "sqlite":
        yield ("--data-dir", str(tmp_path / "data"))
        return
    from tests.conftest import postgres_schema

    with postgres_schema("PostgreSQL system tests") as url:
        yield ("--database-url", url)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (gunicorn's workers and whatever they started), from /proc."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = [int(p) for p in children.read_text().split()]
        except OSError:  # the task ended meanwhile
            continue
        for kid in kids:
            found += [kid, *descendants(kid)]
    return found


def workers(server: Server) -> list[int]:
    """The server's worker processes (children of the master, which is the process started)."""
    return descendants(server.process.pid)


def kill_hard(server: Server) -> list[int]:
    """SIGKILL the master and every process below it at once (no graceful stop: a crash, a power
    cut of the processes), wait until they are gone, and return their pids."""
    pids = [server.process.pid, *descendants(server.process.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # the master first: it cannot respawn any
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes survived SIGKILL: {[p for p in pids if _alive(p)]}")
        time.sleep(0.01)
    server.stop()  # collects what it printed; nothing is left to signal
    return pids


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie is dead: only its exit status waits to be read


def serving_pid(server: Server, client_port: int) -> int | None:
    """Which worker process holds the server side of the TCP connection from ``client_port``
    (the connection must be established and kept alive): read from /proc/net/tcp and the workers'
    open files."""
    server_port = int(server.url.rsplit(":", 1)[1])
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if _port(local) == server_port and _port(remote) == client_port:
                inodes.add(f"socket:[{inode}]")
    for pid in workers(server):
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    return None
