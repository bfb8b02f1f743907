"""Real-browser tests: Playwright driving Debian's Chromium against the sandbox served in a thread.

Skipped, with a message, where Chromium or Playwright is missing; `.ci/run` installs both.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from tests.conftest import START

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[browser]'): browser tests skipped")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


RESPONSE = "tests.live_server.response"


def keeping_the_response(app: Flask) -> Any:
    """The WSGI app, noting its response in the environ for ``ClosingHandler``."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        response = app(environ, start_response)
        environ[RESPONSE] = response
        return response

    return wsgi


class ClosingHandler(WSGIRequestHandler):
    """Closes the response when the browser drops the connection: werkzeug then skips closing it,
    leaving a static file open (Chromium resets connections when it moves on to the next page), and
    its ResourceWarning would fail whichever test happens to be running."""

    def connection_dropped(self, error: BaseException, environ: dict[str, Any] | None = None) -> None:
        response = (environ or {}).get(RESPONSE)
        if response is not None and hasattr(response, "close"):
            response.close()


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server(
            "127.0.0.1", 0, keeping_the_response(app), threaded=True, request_handler=ClosingHandler
        )
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def live_app(tmp_path: Path, live_clock: FixedClock) -> Iterator[Flask]:
    settings = Settings(
        data_dir=str(tmp_path), database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}", log_requests=False
    )
    app = create_app(settings, clock=live_clock)
    yield app
    app.extensions["sandbox"].close()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(live_app)
    yield server
    server.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="it-IT")
    tab = context.new_page()
    yield tab
    context.close()
