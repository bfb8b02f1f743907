"""The real transport against a local receiver: what counts as an answer, and the bounds on
time and size that keep a bad endpoint from holding the worker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from simulator.notify.transport import MAX_BODY, ConnectionFailed, Request, RequestsTransport, Timeout
from tests.notify_receiver import Receiver, receiver
from tests.system.conftest import free_port


@pytest.fixture
def endpoint() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


def post(url: str, timeout: float = 2.0) -> Request:
    return Request(
        url + "/hook", {"Content-Type": "application/json", "webhook-id": "msg_1"}, b'{"a":1}', timeout
    )


def test_an_answer_is_returned_with_its_status_and_body(endpoint: Receiver) -> None:
    endpoint.status = 500

    response = RequestsTransport().send(post(endpoint.url))

    assert response.status == 500 and response.body == b"failing on purpose"
    [got] = endpoint.received
    assert got.body == b'{"a":1}' and got.headers["webhook-id"] == "msg_1" and got.path == "/hook"


def test_a_redirect_is_returned_not_followed(endpoint: Receiver) -> None:
    endpoint.mode = "redirect"

    response = RequestsTransport().send(post(endpoint.url))

    assert response.status == 302 and response.headers["Location"].endswith("/elsewhere")
    assert len(endpoint.received) == 1


def test_a_huge_body_is_read_only_up_to_the_bound(endpoint: Receiver) -> None:
    endpoint.mode = "huge"

    response = RequestsTransport().send(post(endpoint.url))

    assert response.status == 200 and response.truncated
    assert len(response.body) == MAX_BODY


def test_an_endpoint_that_hangs_times_out(endpoint: Receiver) -> None:
    endpoint.mode = "hang"
    started = time.monotonic()

    with pytest.raises(Timeout):
        RequestsTransport().send(post(endpoint.url, timeout=0.3))

    assert time.monotonic() - started < 2


def test_an_endpoint_that_trickles_its_body_is_cut_off_at_the_deadline(endpoint: Receiver) -> None:
    endpoint.mode = "trickle"
    started = time.monotonic()

    with pytest.raises(Timeout):
        RequestsTransport().send(post(endpoint.url, timeout=0.4))

    assert time.monotonic() - started < 2


def test_a_closed_port_is_a_connection_failure() -> None:
    with pytest.raises(ConnectionFailed):
        RequestsTransport().send(post(f"http://127.0.0.1:{free_port()}"))
