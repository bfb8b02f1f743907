"""Inspection pages: the tenant's journal with filters (and one entry's request and response), the
notifications with every delivery attempt, and the requests that matched no path or method with
the closest valid one — the first mistake an integrator makes."""

from __future__ import annotations

import re

from flask import Response, current_app, request
from flask_babel import gettext as _

from simulator.domain.errors import SandboxNotFound
from simulator.domain.journal import JournalQuery
from simulator.domain.notification import DeliveryQuery
from simulator.services import dashboard, journal, notifications
from simulator.web.closest_path import closest, matches_nothing
from simulator.web.dashboard_frame import blueprint, dashboard_unit, render
from simulator.web.pipeline import sandbox

bp = blueprint("dashboard_inspect", __name__)

STATUS = re.compile(r"[1-5][0-9]{2}")
CART_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
LISTED = 200
SCANNED = 1000  # the newest journal entries looked at for unmatched requests


@bp.get("/journal")
def journal_list() -> Response:
    """Filters that cannot match (a malformed status or cart id) are left out of the query."""
    args = request.args
    path = args.get("path", "").strip()[:200]
    status = args.get("status", "").strip()
    cart = args.get("cart", "").strip()
    direction = args.get("direction", "")
    query = JournalQuery(
        path=path or None,
        status=int(status) if STATUS.fullmatch(status) else None,
        cart_id=cart if CART_ID.fullmatch(cart) else None,
        limit=LISTED,
    )
    sandbox().journal.flush()
    with dashboard_unit() as u:
        entries = journal.read(u, query)
        mark = dashboard.change_mark(u)
    if direction in ("in", "out"):
        entries = [e for e in entries if e.direction == direction]
    return render(
        "journal.html",
        heading=_("Registro delle richieste"),
        entries=entries,
        filters={"path": path, "status": status, "cart": cart, "direction": direction},
        mark=mark,
        live=True,
    )


@bp.get("/journal/<int:entry_id>")
def journal_entry(entry_id: int) -> Response:
    sandbox().journal.flush()
    with dashboard_unit() as u:
        entry = dashboard.journal_entry(u, entry_id)
    if entry is None:
        raise SandboxNotFound("journal entry", str(entry_id))
    return render("journal_entry.html", heading=_("Richiesta %(id)s", id=entry_id), entry=entry)


@bp.get("/notifications")
def notification_list() -> Response:
    status = request.args.get("status", "")
    with dashboard_unit() as u:
        found = notifications.deliveries(
            u, DeliveryQuery(status=status if status in DELIVERY_STATUSES else None, limit=LISTED)
        )
        details = [notifications.delivery(u, d.id) for d in found]
        mark = dashboard.change_mark(u)
    return render(
        "notifications.html",
        heading=_("Notifiche"),
        details=details,
        status=status,
        statuses=DELIVERY_STATUSES,
        mark=mark,
        live=True,
    )


@bp.get("/unmatched")
def unmatched() -> Response:
    sandbox().journal.flush()
    with dashboard_unit() as u:
        entries = journal.read(u, JournalQuery(limit=SCANNED))
    url_map = current_app.url_map
    misses = [
        (entry, closest(url_map, entry.method, entry.path))
        for entry in entries
        if entry.direction == "in"
        and entry.status in (404, 405)
        and matches_nothing(url_map, entry.method, entry.path)
    ]
    return render("unmatched.html", heading=_("Richieste senza corrispondenza"), misses=misses)
