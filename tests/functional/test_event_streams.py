"""Event streams: a bounded number at once per process, each ending after its time, and a slot
given back however the stream ends (also when the client left before the first byte)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from flask import Flask, Response

from simulator.web.streams import KEEP_ALIVE, StreamSlots


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def endless(clock: Clock, step: float) -> Iterator[str | None]:
    """An event, then nothing new, forever; each item moves the clock by ``step`` seconds."""
    for n in itertools.count():
        clock.now += step
        yield f"id: {n}\ndata: event {n}\n\n" if n % 2 == 0 else None


def open_stream(slots: StreamSlots, events: Iterator[str | None]) -> Response:
    app = Flask(__name__)
    with app.test_request_context("/_sandbox/v1/events"):
        return slots.response(events)


def test_a_stream_starts_with_the_reconnect_delay_and_ends_after_its_time() -> None:
    clock = Clock()
    slots = StreamSlots(slots=1, seconds=10, clock=clock)
    response = open_stream(slots, endless(clock, step=1))
    assert response.mimetype == "text/event-stream"
    body = list(response.response)  # a finite list: the stream ended by itself
    response.close()
    assert body[0] == "retry: 2000\n\n"
    assert body[1] == "id: 0\ndata: event 0\n\n"
    assert body[2] == KEEP_ALIVE
    assert len(body) == 1 + 10  # one item per second of the 10 s
    assert clock.now == 10


def test_streams_beyond_the_slots_are_refused_with_retry_after() -> None:
    clock = Clock()
    slots = StreamSlots(slots=2, seconds=30, clock=clock)
    first = open_stream(slots, endless(clock, step=1))
    second = open_stream(slots, endless(clock, step=1))
    refused = open_stream(slots, endless(clock, step=1))
    assert (first.status_code, second.status_code) == (200, 200)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "2"
    assert refused.get_json()["status"] == 503
    first.close()
    second.close()


def test_a_slot_is_given_back_when_the_stream_closes_even_before_its_first_byte() -> None:
    clock = Clock()
    slots = StreamSlots(slots=1, seconds=30, clock=clock)
    never_read = open_stream(slots, endless(clock, step=1))
    assert open_stream(slots, endless(clock, step=1)).status_code == 503
    never_read.close()  # the client left: the server closes the body without iterating it
    never_read.close()  # closing twice gives back one slot, not two
    again = open_stream(slots, endless(clock, step=1))
    assert again.status_code == 200
    assert open_stream(slots, endless(clock, step=1)).status_code == 503


def test_the_producer_is_closed_with_the_stream() -> None:
    clock = Clock()
    closed: list[bool] = []

    def producer() -> Iterator[str | None]:
        try:
            yield from endless(clock, step=1)
        finally:
            closed.append(True)

    response = open_stream(StreamSlots(slots=1, seconds=30, clock=clock), producer())
    chunks = iter(response.response)
    next(chunks)
    next(chunks)
    response.close()
    assert closed == [True]


def test_no_slots_means_no_streams() -> None:
    clock = Clock()
    assert open_stream(StreamSlots(slots=0, seconds=30, clock=clock), endless(clock, 1)).status_code == 503
