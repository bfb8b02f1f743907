"""The dashboard's Server-Sent Events: a change in the viewed tenant is announced (and one in another
tenant is not), heartbeats are comments, each stream ends by itself, the number of streams is
capped (503 with Retry-After beyond it), and a client that goes away mid-stream gives back its slot,
its server thread and its memory."""

from __future__ import annotations

import gc
import socket
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from simulator.config import Settings
from simulator.testing.live_server import LiveSandbox
from simulator.web.dashboard_stream import gate
from tests.functional.dashboard_factories import cart_in

FAST = {
    "DASHBOARD_POLL_SECONDS": 0.01,
    "DASHBOARD_HEARTBEAT_SECONDS": 0.05,
    "DASHBOARD_STREAM_SECONDS": 2.0,
    "DASHBOARD_STREAMS": 2,
}


@pytest.fixture
def fast_app(app: Flask) -> Flask:
    app.config.update(FAST)
    app.extensions.pop("dashboard_streams", None)  # the cap is read again
    return app


def chunks(response: object) -> Iterator[str]:
    for chunk in response.response:  # type: ignore[attr-defined]
        yield chunk.decode() if isinstance(chunk, bytes) else chunk


def mark_of(app: Flask, tenant: str) -> str:
    html = app.test_client().get(f"/_sandbox/?tenant={tenant}").get_data(as_text=True)
    return html.split('data-mark="', 1)[1].split('"', 1)[0]


def test_a_change_in_the_viewed_tenant_is_announced_and_another_tenants_is_not(fast_app: Flask) -> None:
    since = mark_of(fast_app, "watched")
    response = fast_app.test_client().get(f"/_sandbox/stream?tenant=watched&since={since}", buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    lines = chunks(response)
    assert next(lines).startswith("retry: ")

    cart_in(fast_app, "elsewhere")
    assert next(lines) == ": heartbeat\n\n"  # nothing of the other tenant's
    cart_in(fast_app, "watched")
    announced = next(line for line in lines if not line.startswith(":"))
    response.close()

    assert announced.startswith("event: change\ndata: ")
    assert announced.split("data: ")[1].strip() == mark_of(fast_app, "watched") != since


def test_a_stream_ends_by_itself_so_the_browser_reconnects(fast_app: Flask) -> None:
    fast_app.config["DASHBOARD_STREAM_SECONDS"] = 0.1
    response = fast_app.test_client().get("/_sandbox/stream?tenant=quiet", buffered=False)

    body = "".join(chunks(response))  # returns: the stream ended

    assert body.startswith("retry: 2000\n\n") and "event:" not in body
    assert gate(fast_app).open == 0


def test_streams_beyond_the_cap_get_503_with_retry_after(fast_app: Flask) -> None:
    client = fast_app.test_client()
    first = client.get("/_sandbox/stream", buffered=False)
    second = client.get("/_sandbox/stream", buffered=False)

    refused = client.get("/_sandbox/stream", buffered=False)

    assert (first.status_code, second.status_code) == (200, 200)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    first.close()  # a client that leaves before the stream even started still frees its slot
    again = client.get("/_sandbox/stream", buffered=False)
    assert again.status_code == 200
    second.close()
    again.close()
    assert gate(fast_app).open == 0


def test_a_client_that_disconnects_mid_stream_frees_its_slot_and_thread(
    settings: Settings, tmp_path: Path
) -> None:
    with LiveSandbox(tmp_path, settings.with_(database_url=f"sqlite:///{tmp_path / 'live.sqlite3'}")) as live:
        live.app.config.update({**FAST, "DASHBOARD_STREAM_SECONDS": 60.0})
        live.app.extensions.pop("dashboard_streams", None)
        host, port = live.url.split("//")[1].split(":")
        threads_before = threading.active_count()

        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(b"GET /_sandbox/stream?tenant=gone HTTP/1.1\r\nHost: x\r\n\r\n")
            received = conn.recv(4096).decode()
            assert "200" in received.splitlines()[0]
            assert gate(live.app).open == 1
            assert threading.active_count() == threads_before + 1  # the stream's server thread
            assert live_streams() == 1
        # the client is gone: the next heartbeat fails to write and the stream ends

        deadline = time.monotonic() + 10
        while (
            gate(live.app).open or threading.active_count() > threads_before
        ) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gate(live.app).open == 0
        assert threading.active_count() == threads_before
        assert live_streams() == 0  # nothing of the stream is kept in memory


def live_streams() -> int:
    """How many stream generators are still alive (after a full collection)."""
    gc.collect()
    return sum(
        1 for o in gc.get_objects() if isinstance(o, types.GeneratorType) and o.gi_code.co_name == "_changes"
    )
