"""The dashboard at ``/_sandbox/``: a tenant's carts and attempts as they happen, filtered and
searched on the server (a GET form: it works without JavaScript), and one cart's page with its
flow drawn as a sequence diagram, its notifications and the steering forms (``dashboard_actions``)."""

from __future__ import annotations

import re

from flask import Response, request
from flask_babel import gettext as _

from simulator.domain.cart_status import CartState
from simulator.domain.errors import CheckoutError, CheckoutReason
from simulator.domain.journal import JournalQuery
from simulator.domain.notification import DeliveryQuery
from simulator.services import control, dashboard, journal, notifications
from simulator.services.scenarios import ScenarioCatalog
from simulator.web.dashboard_flow import PARTY_NAMES, diagram
from simulator.web.dashboard_frame import blueprint, dashboard_unit, render
from simulator.web.dashboard_text import STATE_TEXT
from simulator.web.pipeline import sandbox

bp = blueprint("dashboard", __name__)

CART_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FISCAL_CODE = re.compile(r"[0-9]{11}")
SEARCH_MAX = 100


def cart_id_or_404(cart_id: str) -> str:
    if not CART_ID.fullmatch(cart_id):
        raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart_id[:64])
    return cart_id


def cart_filter() -> dashboard.CartFilter:
    """The filters of the GET form; a value that cannot match anything is ignored, not an error."""
    args = request.args
    state = args.get("state", "")
    creditor = args.get("creditor", "").strip()
    text = args.get("q", "").strip()[:SEARCH_MAX]
    return dashboard.CartFilter(
        state=CartState(state) if state in CartState.__members__ else None,
        creditor=creditor if FISCAL_CODE.fullmatch(creditor) else None,
        text=text or None,
    )


@bp.get("/")
def index() -> Response:
    wanted = cart_filter()
    with dashboard_unit() as u:
        rows = dashboard.carts(u, wanted)
        mark = dashboard.change_mark(u)
        tenants = dashboard.tenants(u)
        now = u.now
    return render(
        "index.html",
        heading=_("Cruscotto"),
        rows=rows,
        wanted=wanted,
        states=list(CartState),
        state_text=STATE_TEXT,
        tenants=tenants,
        mark=mark,
        now=now,
        live=True,
    )


@bp.get("/carts/<cart_id>")
def cart(cart_id: str) -> Response:
    cart_id = cart_id_or_404(cart_id)
    sandbox().journal.flush()  # this process's requests first: the diagram shows them
    with dashboard_unit() as u:
        status = control.status(u, cart_id)
        entries = journal.read(u, JournalQuery(cart_id=cart_id, limit=500))
        deliveries = notifications.deliveries(u, DeliveryQuery(cart_id=cart_id))
        mark = dashboard.change_mark(u)
        offset = u.offset
    flow = diagram(status.timeline, list(reversed(entries)), offset)
    return render(
        "cart.html",
        heading=_("Carrello %(id)s", id=cart_id[:8]),
        status=status,
        flow=flow,
        party_names=PARTY_NAMES,
        deliveries=deliveries,
        state_text=STATE_TEXT,
        scenarios=[entry.scenario for entry in ScenarioCatalog(sandbox(), None).entries()],
        mark=mark,
        live=True,
    )


@bp.get("/carts/<cart_id>/presenter")
def presenter(cart_id: str) -> Response:
    """Trainer mode: the cart's flow in large type, meant to sit beside the citizen's window."""
    cart_id = cart_id_or_404(cart_id)
    sandbox().journal.flush()
    with dashboard_unit() as u:
        status = control.status(u, cart_id)
        entries = journal.read(u, JournalQuery(cart_id=cart_id, limit=500))
        mark = dashboard.change_mark(u)
        offset = u.offset
    return render(
        "presenter.html",
        heading=_("Presentazione"),
        status=status,
        flow=diagram(status.timeline, list(reversed(entries)), offset),
        party_names=PARTY_NAMES,
        state_text=STATE_TEXT,
        mark=mark,
        live=True,
        presenting=True,
    )
