"""Benchmark of the proposal's notifications: delivery throughput, and what they add to the
citizen's request.

Run from the project root: ``.venv/bin/python bench/notify_bench.py [--quick]``. Everything runs
on 127.0.0.1: a ``pagopa-sandbox serve --workers 2`` and a local receiver answering 204. Results go
to bench/results/notify-*.json plus a Markdown summary on stdout.

1. Throughput: N notifications written to the outbox at once (as payments would), timed until the
   delivery log shows every one delivered.
2. Added latency: the requests that enqueue notifications — an offline payment
   (``POST /_sandbox/v1/notices/{fc}/{nav}/pay``: receipt + ``receipt.created``) and a whole
   headless cart payment (every page, ``attempt.closed`` + ``receipt.created``) — timed with the
   EC subscribed (notifications on, the delivery threads busy) and not subscribed (off).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from servers import free_port, running  # noqa: E402

EC = "77777777777"
KEY = {"Ocp-Apim-Subscription-Key": "k"}
GPD = f"/gpd/debt-positions-service/v1/organizations/{EC}/debtpositions"


@contextmanager
def receiver() -> Iterator[tuple[str, list[float]]]:
    """A local endpoint answering 204 to every POST; yields its URL and the arrival times."""
    arrivals: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrivals.append(time.perf_counter())
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", arrivals
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def sandbox(data_dir: Path, notify: bool = True) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "simulator.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    env = {
        "PAGOPA_SANDBOX_NOTIFY_POLL_SECONDS": "0.1",
        "PAGOPA_SANDBOX_NOTIFY_WORKER": "1" if notify else "0",
    }
    with running(command, port, "/_sandbox/v1/health", env) as url:
        yield url


def throughput(count: int) -> dict[str, Any]:
    from simulator.config import Settings
    from simulator.services import outbound
    from simulator.services.context import Sandbox
    from simulator.storage.database import Database
    from simulator.storage.engine import make_disposable_engine

    with tempfile.TemporaryDirectory() as tmp, receiver() as (hook, arrivals), sandbox(Path(tmp)) as url:
        engine = make_disposable_engine(f"sqlite:///{Path(tmp) / 'sandbox.sqlite3'}")
        writer = Sandbox(Settings(), Database(engine))
        now = datetime.now(UTC)
        with writer.unit("default") as unit:
            for n in range(count):
                outbound.enqueue(
                    unit, "receipt.created", {"n": n}, [outbound.Target(hook)], fiscal_code=EC, now=now
                )
        writer.close()
        started = time.perf_counter()
        deadline = started + 300
        while len(arrivals) < count and time.perf_counter() < deadline:
            time.sleep(0.01)
        elapsed = (arrivals[-1] if arrivals else time.perf_counter()) - started
        delivered = len(
            requests.get(
                url + "/_sandbox/v1/deliveries", params={"status": "delivered", "limit": 1000}
            ).json()["deliveries"]
        )
    return {
        "notifications": count,
        "received": len(arrivals),
        "seconds": round(elapsed, 3),
        "per_second": round(len(arrivals) / elapsed, 1) if elapsed else None,
        "delivered_in_log_sample": delivered,
    }


def _position(url: str, n: int) -> str:
    iuv = f"0100000000000{n:04d}"
    due = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    body = {
        "iupd": f"BENCH-{n}",
        "type": "F",
        "fiscalCode": "RSSMRA80A01H501U",
        "fullName": "Mario Rossi",
        "companyName": "Comune di Prova",
        "switchToExpired": False,
        "paymentOption": [
            {
                "iuv": iuv,
                "amount": 10000,
                "description": "Bench",
                "isPartialPayment": False,
                "dueDate": due,
                "transfer": [
                    {
                        "idTransfer": "1",
                        "amount": 10000,
                        "remittanceInformation": "Bench",
                        "category": "9/0101108TS/",
                        "iban": "IT60X0542811101000000123456",
                    }
                ],
            }
        ],
    }
    answer = requests.post(url + GPD + "?toPublish=true", json=body, headers=KEY, timeout=10)
    assert answer.status_code == 201, answer.text
    return "3" + iuv


def _cart(url: str, n: int) -> str:
    body = {
        "paymentNotices": [
            {
                "noticeNumber": f"30200000001{n:07d}",
                "fiscalCode": "80078750587",
                "amount": 2500,
                "companyName": "Comune di Prova",
                "description": "Bench",
            }
        ],
        "returnUrls": {
            "returnOkUrl": "https://ec.example/ok",
            "returnCancelUrl": "https://ec.example/cancel",
            "returnErrorUrl": "https://ec.example/error",
            "returnWaitingUrl": "https://ec.example/wait",
        },
    }
    answer = requests.post(url + "/checkout/ec/v2/carts", json=body, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def latency(rounds: int, notify: bool, hook: str) -> dict[str, Any]:
    from simulator.testing.headless import pay_url

    with tempfile.TemporaryDirectory() as tmp, sandbox(Path(tmp), notify) as url:
        if notify:
            for fiscal_code in (EC, "80078750587"):
                requests.post(url + "/_sandbox/v1/webhooks", json={"url": hook, "fiscalCode": fiscal_code})
        navs = [_position(url, n) for n in range(rounds)]
        offline = [
            _timed(lambda nav=nav: requests.post(f"{url}/_sandbox/v1/notices/{EC}/{nav}/pay", timeout=10))  # type: ignore[misc]
            for nav in navs
        ]
        carts = [_cart(url, n) for n in range(rounds)]
        headless = [_timed(lambda cart=cart: pay_url(cart)) for cart in carts]  # type: ignore[misc]
        pending = requests.get(url + "/_sandbox/v1/deliveries", params={"limit": 1000}).json()["deliveries"]
    return {
        "notifications": "on" if notify else "off",
        "offline_pay_ms": _summary(offline),
        "headless_payment_ms": _summary(headless),
        "deliveries_enqueued": len(pending),
    }


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 2),
        "mean": round(statistics.fmean(ordered), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count, rounds = (200, 10) if args.quick else (1000, 40)
    report: dict[str, Any] = {"at": datetime.now(UTC).isoformat(), "quick": args.quick}
    report["throughput"] = throughput(count)
    with receiver() as (hook, _arrivals):
        report["latency_off"] = latency(rounds, False, hook)
        report["latency_on"] = latency(rounds, True, hook)
    out = (
        BENCH / "results" / f"notify-{datetime.now(UTC):%Y%m%dT%H%M%SZ}{'-quick' if args.quick else ''}.json"
    )
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    t, off, on = report["throughput"], report["latency_off"], report["latency_on"]
    print(
        f"| notifications delivered | {t['received']} in {t['seconds']} s: {t['per_second']}/s (2 workers) |"
    )
    print("| request | notifications off (median / p95 ms) | on (median / p95 ms) |")
    print("|---|---|---|")
    for key, name in (("offline_pay_ms", "offline payment"), ("headless_payment_ms", "whole cart payment")):
        print(
            f"| {name} | {off[key]['median']} / {off[key]['p95']} | {on[key]['median']} / {on[key]['p95']} |"
        )
    print(f"\n{out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
