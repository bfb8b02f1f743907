"""The ``serve`` command as a user runs it: defaults, persistence, ephemeral, several workers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.functional import gpd_factories
from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow
KEY = {"Ocp-Apim-Subscription-Key": "k"}
GPD = "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions"


def position_body(iupd: str) -> dict[str, Any]:
    """A valid position due in 30 days of the real clock (a served sandbox runs on real time)."""
    due = gpd_factories.iso(datetime.now(UTC) + timedelta(days=30))
    option = gpd_factories.option(gpd_factories.iuv_for(iupd), dueDate=due)
    return gpd_factories.position_body(iupd, paymentOption=[option])


def test_default_data_dir_is_created_in_the_working_directory_and_survives_a_restart(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = start_server(cwd=tmp_path)
    server_factory.append(server)
    created = requests.post(
        server.url + GPD + "?toPublish=true", json=position_body("IUPD-KEEP"), headers=KEY
    )
    assert created.status_code == 201
    server.stop()
    assert (tmp_path / "sandbox-data" / "sandbox.sqlite3").exists()

    again = start_server(cwd=tmp_path)
    server_factory.append(again)
    found = requests.get(again.url + GPD + "/IUPD-KEEP", headers=KEY)
    assert found.status_code == 200
    assert found.json()["status"] == "VALID"


def test_ephemeral_server_keeps_nothing(tmp_path: Path, server_factory: list[Server]) -> None:
    server = start_server("--ephemeral", cwd=tmp_path)
    server_factory.append(server)
    assert requests.post(server.url + GPD, json=position_body("IUPD-GONE"), headers=KEY).status_code == 201
    server.stop()
    assert not (tmp_path / "sandbox-data").exists()
    again = start_server("--ephemeral", cwd=tmp_path)
    server_factory.append(again)
    assert requests.get(again.url + GPD + "/IUPD-GONE", headers=KEY).status_code == 404


def test_one_structured_log_line_per_request(tmp_path: Path, server_factory: list[Server]) -> None:
    server = start_server("--ephemeral", "--workers", "1", cwd=tmp_path)
    server_factory.append(server)
    requests.get(server.url + "/_sandbox/v1/clock", headers={"X-Sandbox-Tenant": "logs"})
    output = server.stop()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    clock_lines = [line for line in lines if line["path"] == "/_sandbox/v1/clock"]
    assert len(clock_lines) == 1
    assert clock_lines[0]["status"] == 200
    assert clock_lines[0]["tenant"] == "logs"
    assert clock_lines[0]["ms"] >= 0


def test_concurrent_duplicates_across_workers_create_exactly_one_position(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = start_server("--data-dir", str(tmp_path / "data"), "--workers", "3")
    server_factory.append(server)

    def create(_: int) -> int:
        return requests.post(
            server.url + GPD, json=position_body("IUPD-RACE"), headers=KEY, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses.count(201) == 1
    assert statuses.count(409) == 23


def test_fresh_iuvs_are_unique_under_concurrency_across_workers(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = start_server("--data-dir", str(tmp_path / "data"), "--workers", "3")
    server_factory.append(server)

    def fresh(_: int) -> str:
        return str(
            requests.get(server.url + "/_sandbox/v1/organizations/80078750587/iuv", timeout=30).json()["nav"]
        )

    with ThreadPoolExecutor(max_workers=12) as pool:
        navs = list(pool.map(fresh, range(60)))
    assert len(set(navs)) == 60


def test_demo_prints_navs_and_seeds_every_state(tmp_path: Path, server_factory: list[Server]) -> None:
    server = start_server("--ephemeral", "--demo", cwd=tmp_path)
    server_factory.append(server)
    listed = requests.get(server.url + GPD + "?limit=50", headers=KEY).json()
    statuses = {p["status"] for p in listed["payment_position_list"]}
    assert statuses == {
        "DRAFT",
        "PUBLISHED",
        "VALID",
        "INVALID",
        "EXPIRED",
        "PARTIALLY_PAID",
        "PAID",
        "REPORTED",
    }
    output = server.stop()
    assert "Demo creditor 77777777777" in output
    first_nav = listed["payment_position_list"][0]["paymentOption"][0]["nav"]
    assert first_nav in output


def test_unreachable_database_url_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "serve",
            "--database-url",
            "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr
