"""Small helpers for the notification tests: enqueue an event as a service would, and a notifier
on a mock transport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from simulator.notify.transport import MockTransport, Request, Response
from simulator.services import outbound
from simulator.services.context import Sandbox
from simulator.services.delivery import Notifier

EC = "77777777777"
RECEIVER = "https://ec.example/pagopa/notify"


def sandbox_of(app: Flask) -> Sandbox:
    return app.extensions["sandbox"]  # type: ignore[no-any-return]


def announce(
    app: Flask,
    event_type: str = "attempt.closed",
    *,
    tenant: str = "default",
    fiscal_code: str = EC,
    notify_url: str | None = None,
    data: dict[str, Any] | None = None,
    **options: Any,
) -> list[str]:
    """Enqueue an event of ``fiscal_code`` to its endpoints, as the payment services do; returns
    the delivery ids."""
    sb = sandbox_of(app)
    with sb.unit(tenant) as unit:
        targets = outbound.targets_for(unit, fiscal_code, event_type, notify_url)
        rows = outbound.enqueue(
            unit,
            event_type,
            data or {"outcome": "OK", "outcomeCode": 0},
            targets,
            fiscal_code=fiscal_code,
            now=unit.now,
            **options,
        )
    return [r.id for r in rows]


def answering(*statuses: int, body: bytes = b"ok") -> Callable[[Request], Response]:
    """A handler answering the given statuses in turn (the last one from then on)."""
    left = list(statuses)

    def handler(_request: Request) -> Response:
        status = left.pop(0) if len(left) > 1 else left[0]
        return Response(status, body)

    return handler


def notifier(
    app: Flask, handler: Callable[[Request], Response] | None = None
) -> tuple[Notifier, MockTransport]:
    transport = MockTransport(handler)
    return Notifier(sandbox_of(app), transport, worker_id="test-worker"), transport
