"""Benchmark of the checkout: cart creation against the bare Flask hello on the same server
settings (same run, same client), and whole headless payments per second through the pages' own
links and form posts.

Run from the project root: ``.venv/bin/python bench/checkout_bench.py [--quick]``. Everything runs
on 127.0.0.1 with a fixed number of client threads for a fixed time; every server it starts is
stopped at the end. Results go to bench/results/checkout-*.json and a Markdown summary on stdout.
The client is Python (one keep-alive ``requests.Session`` per thread) for both targets, so the ratio
compares like with like; `bench/run.py` has the wrk-driven GPD figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from servers import free_port, running  # noqa: E402

CART: dict[str, Any] = {
    "paymentNotices": [
        {
            "noticeNumber": "302012387654312384",
            "fiscalCode": "80078750587",
            "amount": 12050,
            "companyName": "Comune di Prova",
            "description": "TARI 2026",
        }
    ],
    "returnUrls": {
        "returnOkUrl": "https://ec.example/ok",
        "returnCancelUrl": "https://ec.example/cancel",
        "returnErrorUrl": "https://ec.example/error",
    },
}


def sandbox_options() -> list[str]:
    from simulator.config import Settings
    from simulator.server import SandboxServer

    options = SandboxServer(Settings()).options
    return [
        "--workers",
        str(options["workers"]),
        "--worker-class",
        str(options["worker_class"]),
        "--threads",
        str(options["threads"]),
    ]


def load(threads: int, seconds: float, call: Callable[[requests.Session], bool]) -> dict[str, Any]:
    """``threads`` clients calling ``call`` back to back for ``seconds``; latencies and failures."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        nonlocal failures
        session = requests.Session()
        mine: list[float] = []
        bad = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            ok = call(session)
            mine.append(time.perf_counter() - started)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            failures += bad

    workers = [threading.Thread(target=client) for _ in range(threads)]
    began = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - began
    ordered = sorted(latencies)
    return {
        "count": len(latencies),
        "per_second": len(latencies) / elapsed,
        "failures": failures,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else None,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000 if ordered else None,
    }


def headless_payment(url: str, first: int | None = None) -> Callable[[requests.Session], bool]:
    """A fresh notice per payment: a paid notice can never be paid again (PAYMENT_DUPLICATED).

    Notices count up from ``first`` (default: the clock in ms); clients in several processes each
    need their own ``first``.
    """
    from simulator.testing.pages_client import PagesClient, RequestsTransport, pay

    numbers = itertools.count(int(time.time()) * 1000 if first is None else first)

    def call(session: requests.Session) -> bool:
        notice = {**CART["paymentNotices"][0], "noticeNumber": f"3{next(numbers) % 10**17:017d}"}
        body = {**CART, "paymentNotices": [notice]}
        created = session.post(url + "/checkout/ec/v1/carts", json=body, allow_redirects=False, timeout=30)
        cart_id = created.headers["Location"].split("/carts/")[1].split("/")[0]
        transport = RequestsTransport(url)  # a fresh browser: its own cookie jar
        return pay(PagesClient(transport), f"/c/{cart_id}").outcome == 0

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="3 s rounds instead of 10 s")
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 10.0
    python = [sys.executable, "-m"]
    options = sandbox_options()
    results: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(),
        "threads": args.threads,
        "seconds": seconds,
        "server": options,
    }
    hello_cmd = [*python, "gunicorn", *options, "--chdir", str(BENCH), "hello_app:app"]
    port = free_port()
    with running([*hello_cmd, "--bind", f"127.0.0.1:{port}"], port, "/") as url:
        load(args.threads, 1, lambda s: s.get(url + "/", timeout=30).status_code == 200)  # warm-up
        results["hello"] = load(
            args.threads, seconds, lambda s: s.get(url + "/", timeout=30).status_code == 200
        )
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        sandbox_cmd = [*python, "simulator.cli", "serve", "--data-dir", data, "--port", str(port)]
        with running(sandbox_cmd, port, "/_sandbox/v1/health", {"PAGOPA_SANDBOX_NOTIFY_WORKER": "0"}) as url:

            def cart(s: requests.Session) -> bool:
                return (
                    s.post(
                        url + "/checkout/ec/v1/carts", json=CART, allow_redirects=False, timeout=30
                    ).status_code
                    == 302
                )

            load(args.threads, 1, cart)  # warm-up
            results["cart"] = load(args.threads, seconds, cart)
            results["payments"] = load(args.threads, seconds, headless_payment(url))
    results["cart_vs_hello"] = results["cart"]["per_second"] / results["hello"]["per_second"]
    out = (
        BENCH
        / "results"
        / f"checkout-{datetime.now(UTC):%Y%m%dT%H%M%SZ}{'-quick' if args.quick else ''}.json"
    )
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print("| measure | per second | p50 ms | p95 ms | failures |\n|---|---:|---:|---:|---:|")
    for key, label in (
        ("hello", "bare Flask hello (GET /)"),
        ("cart", "cart creation (POST /checkout/ec/v1/carts)"),
        ("payments", "headless payment (cart + every page, ~9 requests)"),
    ):
        r = results[key]
        print(
            f"| {label} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['failures']} |"
        )
    print(f"\ncart creation / hello: {results['cart_vs_hello']:.0%} (target >= 50%); results: {out}")


if __name__ == "__main__":
    main()
