"""A gunicorn worker whose requests are read by an event loop and only then handed to threads.

gunicorn's own threaded worker gives a connection to a thread as soon as its first byte arrives,
and the thread then waits on the socket for the rest: a few clients sending a header line (or a
body byte) every few seconds hold every thread, and the health probe waits behind them. Here each
worker process runs waitress: its single-threaded loop reads every connection without blocking,
buffers each request whole (headers and body), and only a complete request reaches the thread
pool that runs the app. A client that stalls costs a buffer, never a thread, and is closed once
it has sent nothing for the read timeout.

The gunicorn master stays as it is: it binds the socket, forks the workers (``--workers``),
restarts a dead one and stops them. gunicorn settings used: ``threads`` (app threads per worker),
``keepalive`` (the read timeout: seconds a connection may stay silent, between requests or inside
one), ``worker_connections`` (open connections per worker), ``backlog``, ``graceful_timeout``.
"""

from __future__ import annotations

import os
import time
from typing import Any

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

LOOP_SECONDS = 1.0  # the loop wakes at least this often: heartbeat, shutdown, read timeouts
DEFAULT_BODY_LIMIT = 16 * 1024 * 1024


class BufferedWorker(Worker):  # type: ignore[misc]
    def run(self) -> None:
        channels: dict[int, Any] = {}
        server = self._front(channels)
        while self.alive:
            self.notify()
            wasyncore.loop(timeout=LOOP_SECONDS, map=channels, use_poll=True, count=1)
            if self.ppid != os.getppid():  # the master is gone: stop, as gunicorn's workers do
                self.log.info("Parent changed, shutting down: %s", self)
                break
        self._drain(server, channels)

    def _front(self, channels: dict[int, Any]) -> BaseWSGIServer:
        read_timeout = max(1, int(self.cfg.keepalive))
        settings = getattr(self.app, "settings", None)  # the sandbox's own, when it is the app
        app_limit = getattr(settings, "max_body_bytes", DEFAULT_BODY_LIMIT // 2)
        server = create_server(
            self.wsgi,
            map=channels,
            sockets=[listener.sock for listener in self.sockets],
            threads=self.cfg.threads,
            channel_timeout=read_timeout,
            cleanup_interval=1,  # look for silent connections every second, not every 30
            connection_limit=self.cfg.worker_connections,
            backlog=self.cfg.backlog,
            # Over twice the app's own limit the front refuses without reading the body; below
            # it, the app answers its own 413 in the surface's format.
            max_request_body_size=2 * app_limit,
            clear_untrusted_proxy_headers=False,  # forwarded headers reach the app, as on gunicorn
            asyncore_use_poll=True,
        )
        assert isinstance(server, BaseWSGIServer)  # one listening socket: one server
        return server

    def _drain(self, server: BaseWSGIServer, channels: dict[int, Any]) -> None:
        """Graceful stop: accept nothing more, let the requests already read finish and their
        answers leave (at most ``graceful_timeout``), then close every connection."""
        server.accepting = False
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while time.monotonic() < deadline and any(_busy(channel) for channel in channels.values()):
            self.notify()
            wasyncore.loop(timeout=0.05, map=channels, use_poll=True, count=1)
        server.task_dispatcher.shutdown(timeout=max(0.0, deadline - time.monotonic()))
        wasyncore.close_all(channels)


def _busy(channel: Any) -> bool:
    """A connection with a request being served or an answer still to send."""
    return bool(getattr(channel, "requests", None)) or getattr(channel, "total_outbufs_len", 0) > 0
