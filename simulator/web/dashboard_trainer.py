"""Trainer mode's printable demo notice: the seeded demo creditor's TARI notice with its pagoPA QR
code (drawn server-side as SVG by segno), which the pages' "leggi codice QR" accepts typed. The
presenter view of a cart is ``dashboard.presenter``."""

from __future__ import annotations

import io

import segno
from flask import Response
from flask_babel import gettext as _

from simulator.domain.errors import SandboxNotFound
from simulator.services import demo_notice
from simulator.web.dashboard_frame import PREFIX, blueprint, render
from simulator.web.errors import see_other
from simulator.web.pipeline import sandbox

bp = blueprint("dashboard_trainer", __name__)

QR_SCALE = 4


@bp.get("/demo-notice")
def notice() -> Response:
    return render(
        "demo_notice.html", heading=_("Avviso di pagamento demo"), notice=demo_notice.demo_notice(sandbox())
    )


@bp.get("/demo-notice/qr.svg")
def qr_code() -> Response:
    found = demo_notice.demo_notice(sandbox())
    if found is None:
        raise SandboxNotFound("demo notice", demo_notice.DEMO_IUPD)
    return Response(qr_svg(found.qr_payload), mimetype="image/svg+xml")


@bp.post("/demo")
def seed() -> Response:
    demo_notice.seed(sandbox())
    return see_other(f"{PREFIX}/demo-notice")


def qr_svg(payload: str) -> bytes:
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="svg", scale=QR_SCALE, border=4)
    return out.getvalue()
