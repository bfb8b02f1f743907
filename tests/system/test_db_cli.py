"""``pagopa-sandbox db upgrade`` and ``db current``: the schema's revision from the shell, on the
database ``serve`` would use with the same options and environment variables."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.storage import migrate
from tests.conftest import postgres_schema

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0.sqlite3"


def db(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["db", *args], env=env)
    return result.exit_code, result.output


def test_upgrade_creates_the_schema_in_the_data_dir_then_says_it_is_up_to_date(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert db("current", "--data-dir", str(data_dir)) == (0, "no schema yet\n")
    assert not data_dir.exists()  # looking creates nothing
    assert db("upgrade", "--data-dir", str(data_dir)) == (
        0,
        f"database at revision {migrate.HEAD} (created)\n",
    )
    assert (data_dir / "sandbox.sqlite3").is_file()
    assert db("current", "--data-dir", str(data_dir)) == (0, f"{migrate.HEAD}\n")
    assert db("upgrade", "--data-dir", str(data_dir)) == (
        0,
        f"database at revision {migrate.HEAD} (already up to date)\n",
    )


def test_upgrade_brings_a_release_0_1_0_database_to_head(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURE, tmp_path / "sandbox.sqlite3")
    assert db("current", "--data-dir", str(tmp_path)) == (0, f"{migrate.INITIAL}\n")
    assert db("upgrade", "--data-dir", str(tmp_path)) == (
        0,
        f"database at revision {migrate.HEAD} (upgraded from {migrate.INITIAL})\n",
    )


def test_the_database_url_comes_from_the_environment_as_for_serve(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    env = {"PAGOPA_SANDBOX_DATABASE_URL": url, "PAGOPA_SANDBOX_DATA_DIR": str(tmp_path / "unused")}
    assert db("upgrade", env=env)[0] == 0
    assert (tmp_path / "elsewhere.sqlite3").is_file()
    assert not (tmp_path / "unused").exists()
    assert db("current", env=env) == (0, f"{migrate.HEAD}\n")


@pytest.mark.parametrize("command", ["upgrade", "current"])
@pytest.mark.parametrize(
    ("url", "code", "says"),
    [
        ("nosuchdialect://somewhere/db", 2, "Error: --database-url: unknown database kind"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", 1, "Error: cannot open the database: "),
        ("not a url at all", 2, "Error: --database-url: not a database URL"),
    ],
)
def test_a_bad_database_url_is_one_line_with_its_exit_code(
    command: str, url: str, code: int, says: str
) -> None:
    """A value that can never work is a usage error (2); a server that does not answer, 1."""
    exit_code, output = db(command, "--database-url", url)
    assert exit_code == code
    assert output.startswith(says)
    assert output.count("\n") == 1, output
    assert "Traceback" not in output


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_schema("PostgreSQL CLI test") as url:
        yield url


@pytest.mark.postgres
def test_upgrade_and_current_on_postgresql(pg_url: str) -> None:
    assert db("current", "--database-url", pg_url) == (0, "no schema yet\n")
    assert db("upgrade", "--database-url", pg_url) == (
        0,
        f"database at revision {migrate.HEAD} (created)\n",
    )
    assert db("current", "--database-url", pg_url) == (0, f"{migrate.HEAD}\n")


def test_a_data_dir_that_cannot_be_made_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    code, output = db("upgrade", "--data-dir", str(tmp_path / "a-file" / "data"))
    assert code == 2
    assert output.startswith("Error: cannot create the data directory ")
    assert output.count("\n") == 1, output
