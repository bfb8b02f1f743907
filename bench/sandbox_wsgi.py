"""The sandbox as a plain WSGI module, for serving it on other servers than its own (gunicorn sync,
waitress) in the benchmark's server comparison.

Settings come from ``PAGOPA_SANDBOX_*`` variables (the data dir); bench/run.py creates the schema
before the server starts, as ``pagopa-sandbox serve`` does in its master process. The request log
is configured as in ``SandboxServer``, so every server pays for the same log line per request.
"""

from __future__ import annotations

from simulator.app import create_app
from simulator.config import Settings
from simulator.server import configure_logging

configure_logging()
app = create_app(Settings.from_env(), create_schema=False)
