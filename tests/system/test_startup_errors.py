"""Every start-up failure of the real command is one line on standard error, with its remedy and
click's exit code (2: the value given can never work; 1: the machine must change), no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.conftest import free_port

pytestmark = pytest.mark.slow


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    return lines[0]


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run("serve", "--port", str(free_port()), *args, env=env)


def unwritable_parent(tmp_path: Path) -> Path:
    """A folder in which nothing can be created: mode 555, or sysfs for root (which ignores modes)."""
    if os.geteuid() == 0:
        return Path("/sys")
    parent = tmp_path / "read-only"
    parent.mkdir()
    parent.chmod(0o555)
    return parent


def test_a_data_dir_that_cannot_exist_is_a_usage_error() -> None:
    result = serve("--data-dir", "/proc/nope")
    assert result.returncode == 2
    line = one_line_error(result)
    assert "cannot create the data directory /proc/nope" in line
    assert "choose another --data-dir" in line


def test_a_data_dir_under_an_unwritable_parent_says_what_to_do(tmp_path: Path) -> None:
    target = unwritable_parent(tmp_path) / "sandbox-data"
    result = serve("--data-dir", str(target))
    assert result.returncode == 1
    line = one_line_error(result)
    assert f"cannot create the data directory {target}" in line
    assert "make its parent writable or choose another --data-dir" in line
    assert not target.exists()


def test_an_unknown_database_kind_is_a_usage_error() -> None:
    result = serve("--database-url", "bogus://x")
    assert result.returncode == 2
    line = one_line_error(result)
    assert "unknown database kind 'bogus'" in line
    assert "postgresql+psycopg://" in line


def test_a_url_that_does_not_parse_is_a_usage_error() -> None:
    result = serve("--database-url", "not a url")
    assert result.returncode == 2
    assert "not a database URL" in one_line_error(result)


def test_postgresql_without_the_driver_names_the_extra(tmp_path: Path) -> None:
    """``psycopg`` made unimportable, as in an install without the postgres extra."""
    (tmp_path / "psycopg.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n"
    )
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    for command in (
        ("serve", "--port", str(free_port())),
        ("db", "upgrade"),
        ("db", "current"),
    ):
        result = run(*command, "--database-url", "postgresql+psycopg://postgres@127.0.0.1/test", env=env)
        assert result.returncode == 1, command
        line = one_line_error(result)
        assert "install the postgres extra: pip install 'pagopa-sandbox[postgres]'" in line, command


def test_an_unreachable_postgresql_is_a_runtime_error() -> None:
    result = serve("--database-url", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    assert result.returncode == 1
    line = one_line_error(result)
    assert line.startswith("Error: cannot open the database: ")
    assert "is PostgreSQL running at that address?" in line


def test_a_variable_that_does_not_parse_is_a_usage_error(tmp_path: Path) -> None:
    result = serve("--data-dir", str(tmp_path), env={"PAGOPA_SANDBOX_JOURNAL_SIZE": "many"})
    assert result.returncode == 2
    assert "PAGOPA_SANDBOX_JOURNAL_SIZE must be a whole number, not 'many'" in one_line_error(result)
