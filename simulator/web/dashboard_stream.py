"""The dashboard's live updates: ``event: change`` when the viewed tenant's events or journal grew,
and the page fetches itself again. The stream itself (its slot among the process's few, its length,
its reconnect hint, its headers, the 503 when every slot is taken) is ``streams.StreamSlots``: the
page stays usable without it and simply tries again later. What is the dashboard's own is here:
every ``dashboard_poll_seconds`` one short read unit asks for the tenant's change mark (two indexed
MAX queries), so no transaction is ever held across a wait."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Response, current_app, request

from simulator.services import dashboard
from simulator.services.context import Sandbox
from simulator.web.dashboard_frame import blueprint, viewed_tenant
from simulator.web.pipeline import sandbox
from simulator.web.streams import stream_slots

bp = blueprint("dashboard_stream", __name__)

MARK_MAX = 40


@bp.get("/stream")
def stream() -> Response:
    sb = sandbox()
    changes = tenant_changes(sb, viewed_tenant(), request.args.get("since", "")[:MARK_MAX])
    return stream_slots(current_app).response(changes)


def tenant_changes(sb: Sandbox, tenant: str, since: str) -> Iterator[str | None]:
    """``event: change`` each time the tenant's change mark moves away from ``since`` (no mark: from
    where it stands now), and ``None`` after ``dashboard_heartbeat_seconds`` of quiet, so that the
    stream's time limit and a client that left are noticed. Never ends by itself."""
    poll, heartbeat = sb.settings.dashboard_poll_seconds, sb.settings.dashboard_heartbeat_seconds
    mark = since or None
    last_sent = time.monotonic()
    while True:
        with sb.unit(tenant, write=False) as u:
            current = dashboard.change_mark(u)
        if mark is None:
            mark = current
        elif current != mark:
            mark = current
            last_sent = time.monotonic()
            yield f"event: change\ndata: {current}\n\n"
        if time.monotonic() - last_sent >= heartbeat:
            last_sent = time.monotonic()
            yield None
        time.sleep(poll)
