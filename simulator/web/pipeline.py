"""The request pipeline every surface shares: tenant, request id, subscription key, one log line
and one journal entry per request, and a (throttled) look for changed scenario files."""

from __future__ import annotations

import functools
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import Forbidden
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import get_current_url

from simulator.domain.errors import InvalidInput, TenantError
from simulator.domain.journal import JournalEntry, excerpt
from simulator.domain.notification import NOTIFIER_PRODUCT
from simulator.services.context import DEFAULT_TENANT, Sandbox, check_tenant
from simulator.services.unit import ReadOnlyUnit, Unit
from simulator.web.errors import Unauthorized

access_log = logging.getLogger("simulator.access")

KEY_HEADER = "Ocp-Apim-Subscription-Key"
KEY_QUERY = "subscription-key"  # API Management takes the key from the query string too

STATIC = "/static/"
# Not journaled: the journal itself, health probes and static files.
UNJOURNALED = ("/_sandbox/v1/journal", "/_sandbox/v1/health", STATIC)
CART_ID = re.compile(r"/(?:carts|c)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]  # type: ignore[no-any-return]


def unit(*, write: bool = True) -> AbstractContextManager[Unit]:
    """The request's unit of work in its tenant (``write=False`` for a request that only reads)."""
    return sandbox().unit(tenant(), write=write or writes())


def writes() -> bool:
    """Whether this request's units write whatever they asked for (it found a read must write)."""
    return bool(g.get("writes", False))


def _retried_as_write(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view; when a read unit had to write (``ReadOnlyUnit``), run it again with every
    unit a write. Reads are free of side effects until that point, so running again is safe."""

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ReadOnlyUnit:
            g.writes = True
            g.pop("checkout", None)
            return view(*args, **kwargs)

    return run


def tenant() -> str:
    """The tenant of this request (validated once, then cached on ``g``)."""
    if "tenant" not in g:
        g.tenant = check_tenant(request.headers.get("X-Sandbox-Tenant", DEFAULT_TENANT).strip())
    return g.tenant  # type: ignore[no-any-return]


def require_subscription_key() -> None:
    """The APIM gateway check: any non-empty key, or one of the configured keys, sent in the
    header or in the ``subscription-key`` query parameter (the header wins when both are sent)."""
    key = request.headers.get(KEY_HEADER, "").strip() or request.args.get(KEY_QUERY, "").strip()
    if not key:
        raise Unauthorized(missing=True)
    keys = sandbox().settings.api_keys
    if keys and key not in keys:
        raise Unauthorized(missing=False)


def wrap_views(app: Flask) -> None:
    """Every view runs again as a write when a read finds it must write (after registration)."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = _retried_as_write(view)


def init_app(app: Flask) -> None:
    if app.extensions["sandbox"].settings.trust_proxy:
        # the proxy's view of the request (scheme, host, client) replaces the socket's
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        _refuse_nul()
        _refuse_own_notification()
        watcher = current_app.extensions.get("scenario_watcher")
        if watcher is not None:
            watcher.check()  # cheap: at most once a second it looks for changed scenario files

    @app.after_request
    def _finish(response: Response) -> Response:
        if request.path.startswith("/gpd/"):
            response.headers["X-Request-Id"] = request_id()
        if not request.path.startswith(UNJOURNALED) and not g.get("unjournaled"):
            _journal(response)
        # a page's styles and fonts would be most of the log: they are logged at DEBUG level only
        level = logging.DEBUG if request.path.startswith(STATIC) else logging.INFO
        if sandbox().settings.log_requests and access_log.isEnabledFor(level):
            access_log.log(
                level,
                json.dumps(
                    {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
                        "tenant": g.get("tenant", request.headers.get("X-Sandbox-Tenant", DEFAULT_TENANT)),
                        "requestId": request_id(),
                    },
                    separators=(",", ":"),
                ),
            )
        return response


def _refuse_nul() -> None:
    """A NUL character (``%00``) in the query is malformed input on every surface (PostgreSQL
    cannot even compare a text with one): refused before anything reads it. In the path, each
    surface says it its own way (GPD: the field; a cart or a delivery with such an id: not found)."""
    problem = "must not contain a NUL character (%00)"
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise InvalidInput(key.replace("\x00", "")[:40] or "query", problem)


def _refuse_own_notification() -> None:
    """A request that is one of the sandbox's own signed notifications is never served, whatever
    route brought it back (a port mapping, a proxy): a notification cannot act on the sandbox."""
    agent = request.headers.get("User-Agent", "")
    if "webhook-signature" in request.headers and agent.startswith(NOTIFIER_PRODUCT + "/"):
        raise Forbidden("A notification of the sandbox cannot call the sandbox.")


def request_id() -> str:
    """The request's id: the caller's X-Request-Id, else one made when first asked for."""
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
    return g.request_id  # type: ignore[no-any-return]


def cart_id_of(hint: str | None, path: str, location: str) -> str | None:
    """The cart a request concerns: set by a view, or read from the path or the Location header."""
    if hint:
        return hint
    for text in (path, location):
        if match := CART_ID.search(text):
            return match.group(1)
    return None


def _journal(response: Response) -> None:
    """Hand the journal what the entry is made of; the entry itself (URL, excerpts, cart) is built
    by the journal's writer, off the request."""
    try:
        # a page is journaled where its checkout session (or the cart it opens) lives: a browser
        # sends no tenant, and another tenant must never read its cart ids in the journal
        journal_tenant = g.get("journal_tenant") or tenant()
    except TenantError:
        return  # nothing to file it under: the request was refused for its tenant
    sb = sandbox()
    at = sb.clock()
    latency = round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2)
    method, path, status = request.method, request.path, response.status_code
    url_parts = (request.scheme, request.host, request.root_path, path, _journaled_query())
    hint, location = g.get("cart_id"), response.headers.get("Location", "")
    sent = _request_body()
    answered = None if response.direct_passthrough or response.is_streamed else response.get_data()

    def entry() -> JournalEntry:
        return JournalEntry(
            at=at,
            direction="in",
            method=method,
            url=get_current_url(*url_parts),
            path=path,
            status=status,
            latency_ms=latency,
            cart_id=cart_id_of(hint, path, location),
            request_body=excerpt(sent),
            response_body=excerpt(answered),
        )

    sb.journal.record(journal_tenant, entry)


def _journaled_query() -> bytes:
    """The query string as the journal keeps it: a subscription key sent there is redacted."""
    query = request.query_string
    if KEY_QUERY.encode() not in query:
        return query
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, "[redacted]" if k == KEY_QUERY else v) for k, v in pairs]).encode("latin-1")


def _request_body() -> bytes | str | None:
    """The request body as read by the view; one that was refused for its size is not read again."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        return f"[{request.content_length} bytes, over the {limit}-byte limit]"
    try:
        return request.get_data(cache=True)
    except Exception:  # a malformed or interrupted body: the response already says so
        return None
