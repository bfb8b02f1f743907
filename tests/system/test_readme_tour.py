"""The README's commands, as written: the sandbox started the README's way (its first command's
``pagopa-sandbox serve --demo``), then every shell block of the tour, of "Paying a cart" and of
"Headless runs" run by bash, twice (pasting them again must work too).

Two things differ from a person's paste, both outside the README's text: the server listens on a
free port given by ``PAGOPA_SANDBOX_PORT`` (tests never take 8080), so ``localhost:8080`` in the
blocks is pointed at it; and ``curl`` is wrapped so that each call also writes its HTTP status on
standard error, which the test reads.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.system.conftest import free_port

pytestmark = pytest.mark.slow
README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = ("## A 5-minute tour", "### Paying a cart", "### Headless runs and the status query")
CURL_STATUS = (
    "curl() { command curl --write-out '%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n' \"$@\"; }"
)
STATUS_LINE = re.compile(r"^HTTP (\d{3}) (\S+) (\S+)$", re.MULTILINE)
MARK = "::block "


def section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    rest = text[start + len(heading) :]
    ends = [m.start() for m in re.finditer(r"^#{2,3} ", rest, re.MULTILINE)]
    return rest[: ends[0]] if ends else rest


def shell_blocks(text: str) -> list[str]:
    blocks: list[str] = []
    for heading in SECTIONS:
        blocks += re.findall(r"^```sh\n(.*?)^```", section(text, heading), re.MULTILINE | re.DOTALL)
    return blocks


def serve_command(text: str) -> str:
    """The part of the README's first command that starts the sandbox."""
    first = next(line.strip() for line in text.splitlines() if line.startswith("    ") and "serve" in line)
    command = first.split("&&")[-1].strip()
    assert command == "pagopa-sandbox serve --demo", first
    return command


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[str, dict[str, str], subprocess.Popen[str]]:
    text = README.read_text(encoding="utf-8")
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "PAGOPA_SANDBOX_PORT": str(port)}
    process = subprocess.Popen(
        ["bash", "-c", serve_command(text)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.communicate()[0]
        try:
            if requests.get(base + "/_sandbox/v1/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.1)
    yield str(port), env, process
    os.killpg(process.pid, signal.SIGTERM)
    process.communicate(timeout=20)


def run_blocks(blocks: list[str], port: str, env: dict[str, str], cwd: Path) -> tuple[list[str], str]:
    script = ["set -euo pipefail", CURL_STATUS]
    for number, block in enumerate(blocks):
        script += [
            f"echo '{MARK}{number}'; echo '{MARK}{number}' >&2",
            block.replace("localhost:8080", f"localhost:{port}"),
        ]
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)], capture_output=True, text=True, timeout=180, env=env, cwd=cwd
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    outputs = re.split(rf"^{MARK}\d+\n", result.stdout, flags=re.MULTILINE)[1:]
    assert len(outputs) == len(blocks)
    return outputs, result.stderr


def json_documents(output: str) -> list[object]:
    """The JSON answers curl printed one after the other (no newline between them)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := output.find("{", at)) != -1:
        document, at = decoder.raw_decode(output, at)
        found.append(document)
    return found


def compact(output: str) -> str:
    return re.sub(r"\s+", "", output)


def test_the_readme_tour_runs_as_written_twice(
    sandbox: tuple[str, dict[str, str], subprocess.Popen[str]], tmp_path: Path
) -> None:
    port, env, server = sandbox
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) == 6, "the tour, its GPD calls, the clock, nav, paying a cart, headless"
    for _ in range(2):
        outputs, calls = run_blocks(blocks, port, env, tmp_path)
        statuses = STATUS_LINE.findall(calls)
        failed = [s for s in statuses if not s[0].startswith(("2", "3"))]
        assert failed == [], calls
        create, gpd, clock, nav, cart = (compact(o) for o in outputs[:5])

        assert ("201", "POST") in [(s[0], s[1]) for s in statuses if "/debtpositions?toPublish" in s[2]]
        assert '"status":"VALID"' in create
        assert '"status":"PO_PAID"' in gpd
        assert '"offsetSeconds"' in clock
        assert "NAV" in nav and "MISMATCH" in nav
        assert [s[0] for s in statuses if s[2].endswith("/checkout/ec/v2/carts")] == ["302", "302"]
        assert "https://ec.example/ok" in cart  # where pay lands, then the receipt it wrote
        assert cart.endswith('"status":"PAID"}]}')
        final = json_documents(outputs[5])[-1]
        assert isinstance(final, dict)
        assert final["state"] == "PAID"
        assert final["scenario"]["id"] == "pending-then-ok"
    assert server.poll() is None
