"""Running the sandbox on gunicorn: several worker processes, all state in the database.

The command binds the listening socket itself (so a port in use is one clear line, and port 0
is known before anything is printed) and hands it to the gunicorn master. The master prepares
nothing else: the database was prepared once before, and each worker builds its own app and
engine after the fork, so no connection is ever shared between processes. Each worker reads
requests on an event loop and runs the app on threads (``simulator.buffered_worker``).
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from simulator.config import Settings

WORKER_CLASS = "simulator.buffered_worker.BufferedWorker"
REQUEST_THREADS = 4  # per worker process: threads that run the app on complete requests ...
# ... plus one per event stream slot (simulator.web.streams), so streams never take these


class ListenError(Exception):
    """The sandbox cannot listen where it was asked to; the message says what to do."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port), or a ``ListenError``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ListenError(
                f"port {port} is in use: choose another with --port or PAGOPA_SANDBOX_PORT"
            ) from None
        reason = exc.strerror or str(exc)
        raise ListenError(
            f"cannot listen on {host}:{port}: {reason} (check --host and --port, or"
            " PAGOPA_SANDBOX_HOST and PAGOPA_SANDBOX_PORT)"
        ) from None


class SandboxServer(BaseApplication):  # type: ignore[misc]
    """gunicorn's master over ``listener`` (a socket from ``listen``; without one gunicorn binds
    ``settings.host:port`` itself)."""

    def __init__(self, settings: Settings, listener: socket.socket | None = None, **options: Any) -> None:
        self.settings = settings
        bind = f"{settings.host}:{settings.port}"
        if listener is not None:
            bind = f"fd://{listener.detach()}"  # gunicorn takes the descriptor over
        self.options = {
            "bind": bind,
            "workers": settings.workers,
            "worker_class": WORKER_CLASS,
            "threads": REQUEST_THREADS + settings.stream_slots,  # streams never take the last ones
            "keepalive": settings.read_timeout_seconds,  # the buffered worker's read timeout
            "accesslog": None,  # the app writes its own structured line per request
            "errorlog": "-",
            "loglevel": "debug" if settings.log_level == "debug" else "warning",
            "graceful_timeout": 5,
            "timeout": 60,
            **options,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from simulator.app import create_app

        configure_logging(self.settings.log_level)
        return create_app(self.settings, create_schema=False)


def configure_logging(level: str = "info") -> None:
    """One line per request on stderr at ``info`` (static files only at ``debug``); errors always."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("simulator.access")
    access.handlers[:] = [handler]
    access.setLevel(level.upper())
    access.propagate = False
    errors = logging.getLogger("simulator")
    if not errors.handlers:
        errors.addHandler(logging.StreamHandler(sys.stderr))
    errors.setLevel(level.upper())
    # waitress says "Task queue depth is N" whenever a request waits for a thread: load, not news
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
