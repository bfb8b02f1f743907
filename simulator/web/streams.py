"""Server-Sent Events that never starve the request threads.

A response runs on one of its worker's app threads until it ends, so an event stream holds a
thread for its whole life. Two rules keep ordinary requests served: at most
``settings.stream_slots`` streams run at once in a worker process (the server gives each process
that many threads on top of its request threads), and a stream ends after
``settings.stream_seconds``: the browser's EventSource reconnects by itself after the ``retry``
delay, sending ``Last-Event-ID``, so a dashboard sees no gap. A stream asked for while every slot
is taken is a 503 ProblemJson with ``Retry-After``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator

from flask import Flask, Response

from simulator.web.errors import problem

RETRY_SECONDS = 2  # how long EventSource waits before reconnecting, and Retry-After on a 503
KEEP_ALIVE = ": keep-alive\n\n"  # a comment line: keeps proxies from closing a quiet stream


class StreamSlots:
    """The event streams of one worker process: at most ``slots`` at once, each ``seconds`` long."""

    def __init__(self, slots: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._free = threading.BoundedSemaphore(slots) if slots > 0 else None
        self.seconds = seconds
        self.clock = clock

    def response(self, events: Iterable[str | None]) -> Response:
        """Stream ``events`` (each a formatted SSE message; ``None``: nothing new yet, send a
        keep-alive). The producer must yield at least every few seconds, so that the time limit
        and a gone client are noticed."""
        if self._free is None or not self._free.acquire(blocking=False):
            busy = problem(503, "Service Unavailable", "every event stream slot is taken: retry shortly")
            busy.headers["Retry-After"] = str(RETRY_SECONDS)
            return busy
        stream = _Stream(events, self.clock() + self.seconds, self.clock, self._free)
        return Response(stream, mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


class _Stream:
    """The body of one stream; its slot is given back on ``close`` (which every WSGI server calls,
    also when the client left before the first byte, when a generator's ``finally`` never runs)."""

    def __init__(
        self,
        events: Iterable[str | None],
        ends: float,
        clock: Callable[[], float],
        slot: threading.BoundedSemaphore,
    ) -> None:
        self._events = events
        self._body = self._messages(iter(events), ends, clock)
        self._slot: threading.BoundedSemaphore | None = slot

    @staticmethod
    def _messages(
        events: Iterator[str | None], ends: float, clock: Callable[[], float]
    ) -> Generator[str, None, None]:
        yield f"retry: {RETRY_SECONDS * 1000}\n\n"
        for event in events:
            yield KEEP_ALIVE if event is None else event
            if clock() >= ends:
                return

    def __iter__(self) -> Iterator[str]:
        return self._body

    def close(self) -> None:
        if self._slot is None:
            return
        slot, self._slot = self._slot, None
        try:
            self._body.close()
            close = getattr(self._events, "close", None)
            if close is not None:
                close()
        finally:
            slot.release()


def stream_slots(app: Flask) -> StreamSlots:
    """This process's slots for ``app`` (made on first use, from the app's settings)."""
    slots = app.extensions.get("event_streams")
    if slots is None:
        settings = app.extensions["sandbox"].settings
        slots = app.extensions.setdefault(
            "event_streams", StreamSlots(settings.stream_slots, settings.stream_seconds)
        )
    return slots  # type: ignore[no-any-return]
