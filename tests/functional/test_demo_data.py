"""``serve --demo``: seeding again keeps what happened since and describes it as it stands; a reset
of the demo tenant brings the demo creditor back when the sandbox runs with --demo, and only then."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.services.demo import DEMO_EC, DemoTable, seed_demo
from tests.conftest import ApiClient

POSITIONS = f"/gpd/debt-positions-service/v1/organizations/{DEMO_EC}/debtpositions"


@pytest.fixture
def demo_app(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        settings.with_(demo=True, database_url=f"sqlite:///{tmp_path / 'demo.sqlite3'}"), clock=clock
    )
    yield application
    application.extensions["sandbox"].close()


def seed(app: Flask) -> DemoTable:
    return seed_demo(app.extensions["sandbox"])


def row_of(table: DemoTable, description: str) -> tuple[str, str, str]:
    row = next(r for r in table.rows if r.description == description)
    return row.state, row.option, row.nav


def iupds(api: ApiClient) -> list[str]:
    listed = api.get(POSITIONS + "?limit=50&orderby=IUPD&ordering=ASC").get_json()
    return [p["iupd"] for p in listed["payment_position_list"]]


def test_seeding_again_shows_a_notice_paid_since_as_paid_and_adds_nothing(demo_app: Flask) -> None:
    api = ApiClient(demo_app.test_client())
    first = seed(demo_app)
    state, option, nav = row_of(first, "TARI 2026 - rata unica")
    assert (state, option) == ("VALID", "PO_UNPAID")
    before = iupds(api)
    paid = api.post(f"/gpd/debt-positions-service/v1/organizations/{DEMO_EC}/paymentoptions/paids/{nav}")
    assert paid.status_code == 200, paid.get_data(as_text=True)

    again = seed(demo_app)
    assert row_of(again, "TARI 2026 - rata unica") == ("PAID", "PO_PAID", nav)
    assert "PAID            PO_PAID" in again.render()
    assert iupds(api) == before
    assert len(again.rows) == len(first.rows)


def test_a_reset_of_the_demo_tenant_seeds_the_demo_again(demo_app: Flask) -> None:
    api = ApiClient(demo_app.test_client())
    table = seed(demo_app)
    before = iupds(api)
    _, _, nav = row_of(table, "TARI 2026 - rata unica")
    api.post(f"/gpd/debt-positions-service/v1/organizations/{DEMO_EC}/paymentoptions/paids/{nav}")

    assert api.post("/_sandbox/v1/reset").status_code == 204
    assert iupds(api) == before
    tari = api.get(POSITIONS + "/DEMO-VALID-TARI").get_json()
    assert tari["status"] == "VALID"  # the demo as printed, not as it was left
    assert api.get(f"/_sandbox/v1/organizations/{DEMO_EC}").status_code == 200


def test_a_reset_of_another_tenant_seeds_nothing_there(demo_app: Flask) -> None:
    seed(demo_app)
    other = ApiClient(demo_app.test_client(), tenant="ci-job-1")
    assert other.post("/_sandbox/v1/reset").status_code == 204
    assert iupds(other) == []
    assert iupds(ApiClient(demo_app.test_client())) != []


def test_without_demo_a_reset_leaves_the_tenant_empty(app: Flask) -> None:
    api = ApiClient(app.test_client())
    seed(app)
    assert iupds(api) != []
    assert api.post("/_sandbox/v1/reset").status_code == 204
    assert iupds(api) == []
