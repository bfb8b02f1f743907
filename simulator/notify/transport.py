"""The one seam through which a notification leaves the sandbox (httpx's transport idea): the
worker hands a ``Request`` to a ``Transport`` and gets a ``Response`` or a ``TransportError``.

    TransportError          the endpoint gave no HTTP answer
     ├── Timeout             no answer within the timeout (connect, or the whole exchange)
     ├── ConnectionFailed    refused, unreachable, reset, TLS failure, a malformed answer
     └── Refused             not sent: the destination is the sandbox itself or outside the allow
                             list (``notify.destinations``), judged on the URL and again on the
                             address each new connection reached, before the request is written

Any HTTP answer is a ``Response``, 3xx included: redirects are never followed (the worker counts
them as failures) and the body is read up to ``max_body`` bytes, then the connection is dropped.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from simulator.config import Settings
from simulator.domain.notify_destination import ip_of
from simulator.notify.destinations import DestinationGuard, guard_for

__all__ = [
    "MAX_BODY",
    "ConnectionFailed",
    "MockTransport",
    "Refused",
    "Request",
    "RequestsTransport",
    "Response",
    "Timeout",
    "Transport",
    "TransportError",
]

MAX_BODY = 4 * 1024  # enough for any excerpt the log keeps; the rest is never read


class TransportError(Exception):
    """No HTTP answer came back."""


class Timeout(TransportError):
    pass


class ConnectionFailed(TransportError):
    pass


class Refused(TransportError):
    """Not sent: where it would have gone is refused."""


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
    exchange (a server trickling its body byte by byte is cut off too), the body bounded, and,
    with a ``guard``, only to destinations it allows."""

    def __init__(
        self,
        *,
        max_body: int = MAX_BODY,
        connect_timeout: float = 2.0,
        guard: DestinationGuard | None = None,
        connections: int = 16,
    ) -> None:
        self.max_body = max_body
        self.connect_timeout = connect_timeout
        self.guard = guard
        self.session = requests.Session()
        self.session.trust_env = False  # no proxies from the environment: the endpoint is called as given
        if guard is not None:
            adapter = _GuardedAdapter(guard, pool_maxsize=connections)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)

    @classmethod
    def for_settings(cls, settings: Settings) -> RequestsTransport:
        return cls(
            connect_timeout=settings.notify_connect_timeout_seconds,
            guard=guard_for(settings),
            connections=settings.notify_concurrency,
        )

    def send(self, request: Request) -> Response:
        if self.guard is not None and (refusal := self.guard.refusal(request.url)) is not None:
            raise Refused(refusal)
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
        except Refused:
            raise
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


class _GuardedConnection(HTTPConnection):
    """Checks the address each new connection reached before anything is written to it."""

    guard: DestinationGuard

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        address, port = sock.getpeername()[:2]
        peer = ip_of(str(address))
        refusal = (
            "the connection has no peer address"
            if peer is None
            else self.guard.peer_refusal(self.host, peer, int(port))
        )
        if refusal is not None:
            sock.close()
            raise Refused(refusal)
        return sock


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedAdapter(HTTPAdapter):
    """An adapter whose connection pools make guarded connections (one class pair per guard)."""

    def __init__(self, guard: DestinationGuard, **kwargs: Any) -> None:
        self.guard = guard
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        plain = type("GuardedConnection", (_GuardedConnection,), {"guard": self.guard})
        tls = type("GuardedHTTPSConnection", (_GuardedHTTPSConnection,), {"guard": self.guard})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
        }


def _reason(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "…"


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
