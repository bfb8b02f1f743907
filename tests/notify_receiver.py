"""A tiny local HTTP receiver for notification tests: records every POST and answers as told
(a status, a redirect, a huge body, a hang until released, a trickle); and a black hole, which
accepts connections and never answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 204
    mode: str = "status"  # status | redirect | huge | hang | trickle
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers.get("webhook-id", "") for r in self.received]


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with state.lock:
                state.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
            if state.mode == "hang":
                state.release.wait(30)
                return
            if state.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", state.url + "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if state.mode == "huge":
                self.send_response(200)
                self.send_header("Content-Length", str(8 * 1024 * 1024))
                self.end_headers()
                try:
                    for _ in range(1024):
                        self.wfile.write(b"y" * 8192)
                except OSError:
                    pass  # the client hung up after its bound: expected
                return
            if state.mode == "trickle":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                try:
                    for _ in range(1000):
                        self.wfile.write(b"z")
                        self.wfile.flush()
                        if state.release.wait(0.05):
                            return
                except OSError:
                    pass
                return
            payload = b"received" if state.status < 400 else b"failing on purpose"
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        time.sleep(0)


@dataclass
class BlackHole:
    """A receiver that accepts connections and never answers (nor reads)."""

    url: str
    connections: list[socket.socket] = field(default_factory=list)
    most_at_once: int = 0


@contextmanager
def black_hole() -> Iterator[BlackHole]:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    hole = BlackHole(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            hole.connections.append(conn)
            open_now = sum(1 for c in hole.connections if _open(c))
            hole.most_at_once = max(hole.most_at_once, open_now)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield hole
    finally:
        stop.set()
        thread.join(2)
        for conn in hole.connections:
            conn.close()
        listener.close()


def _open(conn: socket.socket) -> bool:
    """Whether the client still holds the connection (it hangs up when its attempt gives up): what
    it sent is read and dropped, and an end of stream means it has gone."""
    try:
        conn.setblocking(False)
        while conn.recv(65536):
            pass
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False
