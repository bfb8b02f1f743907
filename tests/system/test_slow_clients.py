"""Slow clients against a served sandbox: connections that trickle their headers or stop in the
middle of their body must not keep anyone else waiting, and a stalled request is closed after the
read timeout.

More slow connections are opened than the server has request threads in all (2 workers x 4), so a
server that gives a thread to a connection before its request is complete has none left for the
health probe. The bounds are correctness bounds (a probe answers at all within 5 s; a stalled
request is closed well before the 75 s it used to hang), not performance figures.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow

SLOW_CONNECTIONS = 24  # three times the threads of 2 workers x 4
READ_TIMEOUT = 2  # seconds, PAGOPA_SANDBOX_READ_TIMEOUT_SECONDS for these servers
PROBES = 10
PROBE_TIMEOUT = 5.0
CART = b'{"paymentNotices": []}'


def address(server: Server) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


@contextmanager
def tricklers(server: Server, count: int, every: float = 0.5) -> Iterator[list[socket.socket]]:
    """``count`` connections that send a request line and then one header line every ``every``
    seconds, never finishing their headers, until the block ends."""
    stop = threading.Event()
    sockets = [socket.create_connection(address(server), timeout=30) for _ in range(count)]

    def trickle() -> None:
        for sock in sockets:
            sock.sendall(b"GET /_sandbox/v1/health HTTP/1.1\r\nHost: sandbox\r\n")
        n = 0
        while not stop.wait(every):
            n += 1
            for sock in sockets:
                with contextlib.suppress(OSError):  # closed by the server: it may, it is slow
                    sock.sendall(f"X-Slow-{n}: {n}\r\n".encode())

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield sockets
    finally:
        stop.set()
        thread.join(timeout=5)
        for sock in sockets:
            sock.close()


def short_body(server: Server) -> socket.socket:
    """A cart creation announcing 1000 bytes of body and sending 10, then nothing."""
    sock = socket.create_connection(address(server), timeout=30)
    sock.sendall(
        b"POST /checkout/ec/v1/carts HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + CART[:10]
    )
    return sock


def probe_health(server: Server) -> list[int | str]:
    """Ten health probes, one after the other, each given 5 s: their statuses, or ``timeout``."""
    results: list[int | str] = []
    for _ in range(PROBES):
        try:
            results.append(
                requests.get(server.url + "/_sandbox/v1/health", timeout=PROBE_TIMEOUT).status_code
            )
        except requests.Timeout:
            results.append("timeout")
    return results


def slow_server(tmp_path: Path, server_factory: list[Server]) -> Server:
    server = start_server(
        "--ephemeral",
        "--workers",
        "2",
        cwd=tmp_path,
        env={
            "PAGOPA_SANDBOX_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
            "PAGOPA_SANDBOX_MAX_BODY_BYTES": "1000",
        },
    )
    server_factory.append(server)
    return server


def test_connections_trickling_their_headers_do_not_delay_the_health_probe(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = slow_server(tmp_path, server_factory)
    with tricklers(server, SLOW_CONNECTIONS):
        time.sleep(1)  # every slow connection has been accepted and has sent something
        assert probe_health(server) == [200] * PROBES


def test_requests_stalled_in_their_body_do_not_delay_the_health_probe(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = slow_server(tmp_path, server_factory)
    stalled = [short_body(server) for _ in range(SLOW_CONNECTIONS)]
    try:
        time.sleep(0.5)
        assert probe_health(server) == [200] * PROBES
    finally:
        for sock in stalled:
            sock.close()


def test_a_request_stalled_in_its_body_is_closed_after_the_read_timeout(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = slow_server(tmp_path, server_factory)
    sock = short_body(server)
    sock.settimeout(READ_TIMEOUT + 8)  # the read timeout, plus the server's 1 s checks, plus slack
    try:
        received = sock.recv(4096)  # an answer, or b"" when the server closes the connection
    except TimeoutError:
        pytest.fail(f"no answer and no close {READ_TIMEOUT + 8} s after the body stalled")
    finally:
        sock.close()
    assert received == b"" or received.startswith(b"HTTP/1.1 4"), received[:200]


def test_a_trickling_connection_keeps_its_place_and_is_answered_once_complete(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    """Slow is not wrong: a request whose bytes come slowly, but within the read timeout, is served."""
    server = slow_server(tmp_path, server_factory)
    sock = socket.create_connection(address(server), timeout=30)
    try:
        request = b"GET /_sandbox/v1/health HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n"
        for start in range(0, len(request), 16):
            sock.sendall(request[start : start + 16])
            time.sleep(0.1)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_bodies_over_the_limit_are_refused_and_huge_ones_without_being_read(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    """Buffering whole requests must not mean buffering any size: over twice the app's limit the
    server answers 413 from the Content-Length alone; just over it, the surface's own 413."""
    server = slow_server(tmp_path, server_factory)
    over = requests.post(server.url + "/checkout/ec/v1/carts", json={"pad": "x" * 1500}, timeout=10)
    assert over.status_code == 413
    assert over.json()["status"] == 413  # the cart API's ProblemJson
    sock = socket.create_connection(address(server), timeout=10)
    try:
        sock.sendall(
            b"POST /checkout/ec/v1/carts HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 1000000000\r\n\r\n"
        )
        answer = sock.recv(4096)  # no body sent: the answer comes from the headers alone
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
