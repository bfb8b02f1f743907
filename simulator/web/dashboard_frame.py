"""What every dashboard view shares: the blueprint it hangs on (``/_sandbox/``), the tenant the
browser looks at (``?tenant=``, then kept in the signed cookie, since a browser cannot send
``X-Sandbox-Tenant``), the unit of work in that tenant, the language, the CSRF check of every
POST, the pages' security headers, and its errors as HTML pages (``dashboard_errors``)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from flask import Blueprint, Response, g, render_template, request, session

from simulator.services.context import DEFAULT_TENANT, check_tenant
from simulator.services.unit import Unit
from simulator.web import dashboard_errors
from simulator.web.pages_session import check_csrf
from simulator.web.pages_setup import LANGUAGES, SECURITY_HEADERS
from simulator.web.pipeline import sandbox, writes

PREFIX = "/_sandbox"
TENANT_KEY = "dashboard_tenant"


def blueprint(name: str, import_name: str) -> Blueprint:
    """A dashboard blueprint with the shared hooks and error pages installed."""
    bp = Blueprint(name, import_name, url_prefix=PREFIX)
    bp.before_request(_before)
    bp.after_request(_after)
    dashboard_errors.install(bp)
    return bp


def viewed_tenant() -> str:
    """The tenant this browser looks at: ``?tenant=`` switches (and is remembered), else the one
    remembered, else ``default``. A malformed name is a ``TenantError`` (a 400 page)."""
    if "dashboard_tenant" not in g:
        wanted = request.args.get("tenant")
        if wanted is not None and wanted.strip():
            name = check_tenant(wanted.strip())
            if session.get(TENANT_KEY) != name:  # the cookie is the pages' too: written only on a change
                session[TENANT_KEY] = name
        else:
            kept = session.get(TENANT_KEY)
            name = kept if isinstance(kept, str) else DEFAULT_TENANT
        g.dashboard_tenant = g.tenant = name  # g.tenant: the log line names it too
    return g.dashboard_tenant  # type: ignore[no-any-return]


def dashboard_unit(*, write: bool = False) -> AbstractContextManager[Unit]:
    """The request's unit in the viewed tenant (a read unless the view changes something)."""
    return sandbox().unit(viewed_tenant(), write=write or writes())


def render(template: str, **context: Any) -> Response:
    context.setdefault("tenant", viewed_tenant())
    return Response(render_template(f"dashboard/{template}", **context), mimetype="text/html")


def _before() -> None:
    g.unjournaled = True  # the dashboard watches the journal: its own requests would flood it
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
    if request.method == "POST":
        check_csrf()  # every change needs this browser's token: a stale or forged form changes nothing


def _after(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
