"""The reference station (examples/station) served on a free port, and a sandbox EC pointing at it."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from examples.station.app import Ledger, create_app
from tests.conftest import ApiClient

EC = "77777777777"
BROKER = "77777777777"
STATION_ID = "77777777777_01"
PAYABLE = "302000000000000123"
EXPIRED = "302000000000000222"
UNKNOWN = "302000000000000999"
DEBTS = Path(__file__).parents[2] / "examples" / "station" / "debts.yaml"


@contextmanager
def serving(app: Callable[..., Any]) -> Iterator[str]:
    """``app`` (any WSGI app) on 127.0.0.1 at a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def reference_station() -> Iterator[tuple[str, Ledger]]:
    ledger = Ledger.load(DEBTS)
    station: Flask = create_app(ledger, BROKER, STATION_ID)
    with serving(station) as url:
        yield url, ledger


@contextmanager
def counted_station() -> Iterator[tuple[str, Ledger, Counter[str]]]:
    """The reference station, counting the calls it gets by SOAPAction."""
    ledger = Ledger.load(DEBTS)
    inner = create_app(ledger, BROKER, STATION_ID)
    calls: Counter[str] = Counter()

    def station(environ: Any, start_response: Any) -> Any:
        calls[environ.get("HTTP_SOAPACTION", "").strip('"')] += 1
        return inner(environ, start_response)

    with serving(station) as url:
        yield url, ledger, calls


def set_station(api: ApiClient, url: str, fiscal_code: str = EC, **over: Any) -> Any:
    station = {"url": url, "idBrokerPA": BROKER, "idStation": STATION_ID, "version": 2, **over}
    return api.put(f"/_sandbox/v1/organizations/{fiscal_code}", json={"station": station})


def station_notice(number: str = PAYABLE) -> dict[str, Any]:
    return {
        "noticeNumber": number,
        "fiscalCode": EC,
        "amount": 12050,
        "companyName": "Comune di Esempio",
        "description": "TARI 2026 - prima rata",
    }
