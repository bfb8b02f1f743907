"""Running the sandbox on gunicorn: several worker processes, all state in the database.

The master prepares the database (schema, demo data) once; each worker builds its own app
and engine after the fork, so no connection is ever shared between processes.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from simulator.config import Settings


class SandboxServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, **options: Any) -> None:
        self.settings = settings
        self.options = {
            "bind": f"{settings.host}:{settings.port}",
            "workers": settings.workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": None,  # the app writes its own structured line per request
            "errorlog": "-",
            "loglevel": "warning",
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

        configure_logging()
        return create_app(self.settings, create_schema=False)


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("simulator.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)
    access.propagate = False
    errors = logging.getLogger("simulator")
    if not errors.handlers:
        errors.addHandler(logging.StreamHandler(sys.stderr))
    errors.setLevel(logging.INFO)
