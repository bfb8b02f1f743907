"""The access log: one JSON line per request, without the static files a page pulls in (styles,
fonts) unless the log level asks for DEBUG."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock


@pytest.fixture
def logging_app(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        settings.with_(database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}", log_requests=True),
        clock=clock,
    )
    yield application
    application.extensions["sandbox"].close()


def logged_paths(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [json.loads(r.getMessage())["path"] for r in caplog.records if r.name == "simulator.access"]


def visit_a_page_and_its_styles(app: Flask) -> None:
    client = app.test_client()
    client.get("/")
    with client.get("/static/css/sandbox.css"):  # closes the file it streams
        pass
    client.get("/_sandbox/v1/health")


def test_static_files_are_not_logged_at_the_default_level(
    logging_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="simulator.access")

    visit_a_page_and_its_styles(logging_app)

    assert logged_paths(caplog) == ["/", "/_sandbox/v1/health"]


def test_static_files_are_logged_at_debug_level(logging_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="simulator.access")

    visit_a_page_and_its_styles(logging_app)

    assert logged_paths(caplog) == ["/", "/static/css/sandbox.css", "/_sandbox/v1/health"]
    static = [r for r in caplog.records if r.name == "simulator.access" and "/static/" in r.getMessage()]
    assert [r.levelno for r in static] == [logging.DEBUG]
