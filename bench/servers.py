"""Starting a server for a benchmark: a process on a free loopback port, ready when its health path
answers 200, always stopped at the end. Shared by the bench scripts."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(
    command: Sequence[str], port: int, health: str | None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``command`` (already told to listen on ``port``) and yield its base URL once ready: once
    GET ``health`` answers 200, or with ``health=None`` once the port accepts a connection."""
    proc = subprocess.Popen(
        list(command),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {proc.returncode} before it was ready")
            if health is None:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.05)
                continue
            try:
                if requests.get(url + health, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
