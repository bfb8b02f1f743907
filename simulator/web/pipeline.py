"""The request pipeline every surface shares: tenant, request id, subscription key, one log line."""

from __future__ import annotations

import json
import logging
import time
import uuid

from flask import Flask, Response, current_app, g, request

from simulator.services.context import DEFAULT_TENANT, Sandbox, check_tenant
from simulator.web.errors import Unauthorized

access_log = logging.getLogger("simulator.access")

KEY_HEADER = "Ocp-Apim-Subscription-Key"


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]  # type: ignore[no-any-return]


def tenant() -> str:
    """The tenant of this request (validated once, then cached on ``g``)."""
    if "tenant" not in g:
        g.tenant = check_tenant(request.headers.get("X-Sandbox-Tenant", DEFAULT_TENANT).strip())
    return g.tenant  # type: ignore[no-any-return]


def require_subscription_key() -> None:
    """The APIM gateway check: any non-empty key, or one of the configured keys."""
    key = request.headers.get(KEY_HEADER, "").strip()
    if not key:
        raise Unauthorized(missing=True)
    keys = sandbox().settings.api_keys
    if keys and key not in keys:
        raise Unauthorized(missing=False)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex

    @app.after_request
    def _finish(response: Response) -> Response:
        if request.path.startswith("/gpd/"):
            response.headers["X-Request-Id"] = g.get("request_id", "")
        if sandbox().settings.log_requests:
            access_log.info(
                json.dumps(
                    {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
                        "tenant": g.get("tenant", request.headers.get("X-Sandbox-Tenant", DEFAULT_TENANT)),
                        "requestId": g.get("request_id"),
                    },
                    separators=(",", ":"),
                )
            )
        return response
