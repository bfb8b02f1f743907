"""How pages look where a DOM test cannot tell: nothing overlaps, controls are visible as controls.
Measured in Chromium with the real styles; trainer mode's panel is audited by axe-core too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from tests.browser.conftest import LiveServer
from tests.browser.steps import create_cart, to_summary
from tests.browser.test_accessibility import RETURN_URLS, audit, describe


@pytest.fixture
def trainer_server(tmp_path: Path, live_clock: FixedClock) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=str(tmp_path),
        database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        log_requests=False,
        trainer_mode=True,
    )
    app = create_app(settings, clock=live_clock)
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["sandbox"].close()


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return dict(found)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_the_trainer_panels_label_sits_clear_of_its_hint_and_its_select_has_a_border(
    page: Any, trainer_server: LiveServer
) -> None:
    to_summary(page, create_cart(trainer_server.url, RETURN_URLS))

    hint, label, select = (
        box(page, s) for s in ("#trainer-hint", "label[for=trainer-scenario]", "#trainer-scenario")
    )
    assert not overlap(hint, label), (hint, label)
    assert not overlap(label, select), (label, select)
    assert hint["y"] + hint["height"] <= label["y"] <= label["y"] + label["height"] <= select["y"]
    borders = page.locator("#trainer-scenario").evaluate(
        """select => ["top", "right", "bottom", "left"].map(side => {
            const style = getComputedStyle(select);
            const border = `border-${side}`;
            return [style.getPropertyValue(`${border}-width`), style.getPropertyValue(`${border}-style`)];
        })"""
    )
    assert all(float(width.removesuffix("px")) >= 1 and style == "solid" for width, style in borders), borders


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_trainer_panel_has_no_wcag_21_aa_violation(
    page: Any, trainer_server: LiveServer, language: str
) -> None:
    if language == "en":
        page.goto(trainer_server.url + "/?lang=en")
    to_summary(page, create_cart(trainer_server.url, RETURN_URLS))
    assert page.locator("#trainer-panel").is_visible()

    violations = audit(page)

    assert violations == [], describe(violations)
