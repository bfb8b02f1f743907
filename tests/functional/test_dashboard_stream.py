"""The dashboard's Server-Sent Events: a change in the viewed tenant is announced (and one in another
tenant is not), quiet time is a keep-alive, each stream ends after the server's ``stream_seconds``,
the server's ``stream_slots`` cap them (a 503 ProblemJson with Retry-After beyond), and a client
that goes away mid-stream gives back its slot, its server thread and its memory."""

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

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.testing.live_server import LiveSandbox
from simulator.web.streams import KEEP_ALIVE
from tests.functional.dashboard_factories import cart_in

FAST = {"dashboard_poll_seconds": 0.01, "dashboard_heartbeat_seconds": 0.05, "stream_seconds": 2.0}


@pytest.fixture
def fast_settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.with_(database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}", stream_slots=2, **FAST)


@pytest.fixture
def fast_app(fast_settings: Settings, clock: FixedClock) -> Iterator[Flask]:
    application = create_app(fast_settings, clock=clock)
    yield application
    application.extensions["sandbox"].close()


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
    assert response.headers["X-Accel-Buffering"] == "no"
    assert response.headers["Cache-Control"] == "no-store"
    lines = chunks(response)
    assert next(lines).startswith("retry: ")

    cart_in(fast_app, "elsewhere")
    assert next(lines) == KEEP_ALIVE  # nothing of the other tenant's
    cart_in(fast_app, "watched")
    announced = next(line for line in lines if not line.startswith(":"))
    response.close()

    assert announced.startswith("event: change\ndata: ")
    assert announced.split("data: ")[1].strip() == mark_of(fast_app, "watched") != since


def test_a_stream_ends_after_the_servers_stream_seconds_so_the_browser_reconnects(
    fast_settings: Settings, clock: FixedClock
) -> None:
    app = create_app(fast_settings.with_(stream_seconds=0.1), clock=clock)
    try:
        response = app.test_client().get("/_sandbox/stream?tenant=quiet", buffered=False)
        body = "".join(chunks(response))  # returns: the stream ended
        response.close()
        assert body.startswith("retry: 2000\n\n") and "event:" not in body
    finally:
        app.extensions["sandbox"].close()


def test_streams_beyond_the_servers_slots_get_a_503_problem_with_retry_after(fast_app: Flask) -> None:
    client = fast_app.test_client()
    first = client.get("/_sandbox/stream", buffered=False)
    second = client.get("/_sandbox/stream", buffered=False)

    refused = client.get("/_sandbox/stream", buffered=False)

    assert (first.status_code, second.status_code) == (200, 200)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
    assert refused.get_json()["status"] == 503
    first.close()  # a client that leaves before the stream even started still frees its slot
    again = client.get("/_sandbox/stream", buffered=False)
    assert again.status_code == 200
    second.close()
    again.close()


def test_a_client_that_disconnects_mid_stream_frees_its_slot_and_thread(
    settings: Settings, tmp_path: Path
) -> None:
    live_settings = settings.with_(**{**FAST, "stream_seconds": 60.0}, stream_slots=1)
    with LiveSandbox(tmp_path, live_settings) as live:
        host, port = live.url.split("//")[1].split(":")
        threads_before = threading.active_count()

        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(b"GET /_sandbox/stream?tenant=gone HTTP/1.1\r\nHost: x\r\n\r\n")
            received = conn.recv(4096).decode()
            assert "200" in received.splitlines()[0]
            assert stream_status(live.app) == 503  # the one slot is taken
            assert threading.active_count() == threads_before + 1  # the stream's server thread
            assert live_streams() == 1
        # the client is gone: the next keep-alive fails to write and the stream ends

        deadline = time.monotonic() + 10
        while threading.active_count() > threads_before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert threading.active_count() == threads_before
        assert live_streams() == 0  # nothing of the stream is kept in memory
        assert stream_status(live.app) == 200  # its slot was given back


def stream_status(app: Flask) -> int:
    """The status of a stream asked for now (closed at once, giving back any slot it took)."""
    response = app.test_client().get("/_sandbox/stream?tenant=other", buffered=False)
    response.close()
    return response.status_code


def live_streams() -> int:
    """How many stream generators are still alive (after a full collection)."""
    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        if isinstance(o, types.GeneratorType) and o.gi_code.co_name == "tenant_changes"
    )
