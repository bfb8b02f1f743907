"""The real sandbox app served from a background thread of the test process, on a free port, with
a throw-away SQLite database: what a test suite gets when no external sandbox is named."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from simulator.config import Settings


class _QuietHandler(WSGIRequestHandler):
    """No access line per request on the test run's standard error (the journal has them)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveSandbox:
    """``with LiveSandbox(data_dir) as live: live.url`` -- started on enter, stopped on exit.

    Settings come from the environment (``PAGOPA_SANDBOX_*``: API keys, scenario folders, delay
    cap, ...) except where it lives: 127.0.0.1, a free port, SQLite in ``data_dir``. The
    notification worker runs, so webhooks are delivered as ``serve`` delivers them."""

    def __init__(self, data_dir: Path, settings: Settings | None = None) -> None:
        base = settings or Settings.from_env()
        self.settings = base.with_(
            host="127.0.0.1",
            port=0,
            data_dir=str(data_dir),
            database_url=f"sqlite:///{data_dir / 'sandbox.sqlite3'}",
            log_requests=False,
            notify_worker=True,
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> LiveSandbox:
        from simulator.app import create_app

        self.app = create_app(self.settings)
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="pagopa-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        worker = self.app.extensions.get("notify_worker")
        if worker is not None:
            worker.stop()
        self.app.extensions["sandbox"].close()
        self._server = None

    def __enter__(self) -> LiveSandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
