"""Live updates of the dashboard over Server-Sent Events, built so streams never starve the
request workers: each stream lasts at most ``DASHBOARD_STREAM_SECONDS`` (the browser's
EventSource reconnects by itself), at most ``DASHBOARD_STREAMS`` run at once in a process (beyond
that: 503 with Retry-After, and the page simply stays as it is, usable without them), and a
comment line every ``DASHBOARD_HEARTBEAT_SECONDS`` finds a client that went away. A stream holds
no transaction while it waits: every ``DASHBOARD_POLL_SECONDS`` it opens one read unit, asks for the
tenant's change mark (two indexed MAX queries) and closes it. It sends only ``change``: the page
fetches itself again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, request

from simulator.services import dashboard
from simulator.services.context import Sandbox
from simulator.web.dashboard_frame import blueprint, viewed_tenant
from simulator.web.pipeline import sandbox

bp = blueprint("dashboard_stream", __name__)

DEFAULTS = {
    "DASHBOARD_STREAMS": 2,  # per process: gunicorn's gthread workers have 4 threads each
    "DASHBOARD_STREAM_SECONDS": 25.0,
    "DASHBOARD_POLL_SECONDS": 1.0,
    "DASHBOARD_HEARTBEAT_SECONDS": 3.0,  # also how soon a client that left gives back its slot
    "DASHBOARD_RETRY_MS": 2000,
}
BUSY_RETRY_AFTER = "5"
MARK_MAX = 40


class StreamGate:
    """How many streams are open in this process, and the cap they may not pass."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.open >= self.cap:
                return False
            self.open += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.open -= 1


class Slot:
    """One stream's place in the gate, given back once: by the stream when it ends, or by the
    response's close when the client left before the stream even started."""

    def __init__(self, streams: StreamGate) -> None:
        self._streams: StreamGate | None = streams
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            streams, self._streams = self._streams, None
        if streams is not None:
            streams.leave()


def gate(app: Flask) -> StreamGate:
    found = app.extensions.get("dashboard_streams")
    if found is None:
        found = app.extensions["dashboard_streams"] = StreamGate(int(app.config["DASHBOARD_STREAMS"]))
    return found


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    gate(app)


@bp.get("/stream")
def stream() -> Response:
    tenant = viewed_tenant()
    since = request.args.get("since", "")[:MARK_MAX]
    app = current_app
    streams = gate(app)
    if not streams.enter():
        busy = Response("busy: try again later\n", status=503, mimetype="text/plain")
        busy.headers["Retry-After"] = BUSY_RETRY_AFTER
        return busy
    config = app.config
    slot = Slot(streams)
    body = _changes(
        sandbox(),
        tenant,
        since,
        slot,
        seconds=float(config["DASHBOARD_STREAM_SECONDS"]),
        poll=float(config["DASHBOARD_POLL_SECONDS"]),
        heartbeat=float(config["DASHBOARD_HEARTBEAT_SECONDS"]),
        retry_ms=int(config["DASHBOARD_RETRY_MS"]),
    )
    response = Response(body, mimetype="text/event-stream")
    response.call_on_close(slot.release)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # a proxy in front must not hold the events back
    return response


def _changes(
    sb: Sandbox,
    tenant: str,
    since: str,
    slot: Slot,
    *,
    seconds: float,
    poll: float,
    heartbeat: float,
    retry_ms: int,
) -> Iterator[str]:
    """The stream's lines; its slot in the gate is given back however it ends (the client left,
    the time is up, the server closes it)."""
    try:
        yield f"retry: {retry_ms}\n\n"
        mark = since or None
        started = last_sent = time.monotonic()
        while time.monotonic() - started < seconds:
            with sb.unit(tenant, write=False) as u:
                current = dashboard.change_mark(u)
            if mark is None:
                mark = current  # no mark given: this is where the page stands
            elif current != mark:
                mark = current
                last_sent = time.monotonic()
                yield f"event: change\ndata: {current}\n\n"
            if time.monotonic() - last_sent >= heartbeat:
                last_sent = time.monotonic()
                yield ": heartbeat\n\n"
            time.sleep(poll)
    finally:
        slot.release()
