"""Ids come from the source the app is given, like the clock: a seeded source gives the same cart
ids on every run."""

from __future__ import annotations

import uuid
from pathlib import Path

from simulator.app import create_app
from simulator.config import Settings
from simulator.domain.ids import SeededIds
from tests.functional.control_factories import cart_body, notice


def test_the_app_draws_cart_ids_from_the_injected_source(tmp_path: Path) -> None:
    def cart_id(seed: int) -> str:
        app = create_app(
            Settings(
                database_url=f"sqlite:///{tmp_path}/ids-{seed}-{uuid.uuid4().hex}.sqlite3", log_requests=False
            ),
            ids=SeededIds(seed),
        )
        try:
            answer = app.test_client().post(
                "/checkout/ec/v2/carts", json=cart_body(notice("302000000000000017"))
            )
            return str(answer.headers["Location"]).split("/carts/")[1].split("/")[0]
        finally:
            app.extensions["sandbox"].close()

    assert cart_id(1) == cart_id(1) == SeededIds(1).uuid()
