"""The one seam through which a notification leaves the sandbox (httpx's transport idea): the
worker hands a ``Request`` to a ``Transport`` and gets a ``Response`` or a ``TransportError``.

    TransportError          the endpoint gave no HTTP answer
     ├── Timeout             no answer within the timeout (connect, or the whole exchange)
     └── ConnectionFailed    refused, unreachable, reset, TLS failure, a malformed answer

Any HTTP answer is a ``Response``, 3xx included: redirects are never followed (the worker counts
them as failures) and the body is read up to ``max_body`` bytes, then the connection is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import requests
import urllib3

__all__ = [
    "MAX_BODY",
    "ConnectionFailed",
    "MockTransport",
    "Request",
    "RequestsTransport",
    "Response",
    "Timeout",
    "Transport",
    "TransportError",
]

MAX_BODY = 64 * 1024


class TransportError(Exception):
    """No HTTP answer came back."""


class Timeout(TransportError):
    pass


class ConnectionFailed(TransportError):
    pass


@dataclass(frozen=True, slots=True)
class Request:
    url: str
    headers: Mapping[str, str]
    body: bytes
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""  # at most the transport's max_body bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    truncated: bool = False


class Transport(Protocol):
    def send(self, request: Request) -> Response: ...


class RequestsTransport:
    """POSTs with ``requests``: no redirects, a connect timeout and a deadline for the whole
    exchange (a server trickling its body byte by byte is cut off too), the body bounded."""

    def __init__(self, *, max_body: int = MAX_BODY, connect_timeout: float = 5.0) -> None:
        self.max_body = max_body
        self.connect_timeout = connect_timeout
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies from the environment: the endpoint is called as given

    def send(self, request: Request) -> Response:
        deadline = time.monotonic() + request.timeout
        try:
            with self.session.post(
                request.url,
                data=request.body,
                headers=dict(request.headers),
                timeout=(min(self.connect_timeout, request.timeout), request.timeout),
                allow_redirects=False,
                stream=True,
            ) as answer:
                body, truncated = self._read(answer, deadline)
                return Response(answer.status_code, body, dict(answer.headers), truncated)
        except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            raise Timeout(f"no answer within {request.timeout:g}s") from exc
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailed(_reason(exc)) from exc

    def _read(self, answer: requests.Response, deadline: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while chunk := answer.raw.read1(8192):  # whatever has arrived, not a full 8 KiB
            if time.monotonic() > deadline:
                raise requests.Timeout("the body did not arrive in time")
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body:
                return b"".join(chunks)[: self.max_body], True
        return b"".join(chunks), False


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + "…"


Handler = Callable[[Request], Response]


class MockTransport:
    """A transport answering with ``handler`` (default: 204), keeping every request it got. A
    handler may raise ``Timeout`` or ``ConnectionFailed`` to play an endpoint that hangs or is down."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler: Handler = handler or (lambda _request: Response(204))
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        response = self.handler(request)
        if len(response.body) > MAX_BODY:  # as the real transport would have read it
            return Response(response.status, response.body[:MAX_BODY], response.headers, True)
        return response
