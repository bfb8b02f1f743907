"""How long one tenant's notification waits while another tenant's receiver never answers.

Run from the project root: ``.venv/bin/python bench/notify_fairness_bench.py [--webhooks 20]``.
A ``pagopa-sandbox serve --workers 2`` on 127.0.0.1; tenant ``aaa-noisy`` subscribes its EC
``--webhooks`` times to a black hole (a socket that accepts and never answers) and pays a notice
offline: as many deliveries that each hang until their timeout. Once the black hole holds
attempts, tenant ``zzz-quiet`` (subscribed to a receiver answering 204) pays a notice offline; the
figure is the time from that payment's answer to its notification's arrival. Results go to
bench/results/notify-fairness-*.json plus a Markdown line on stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from servers import free_port, running  # noqa: E402

from tests.notify_receiver import black_hole, receiver  # noqa: E402
from tests.system.test_server import position_body  # noqa: E402

EC = "77777777777"
KEY = {"Ocp-Apim-Subscription-Key": "bench"}
GPD = f"/gpd/debt-positions-service/v1/organizations/{EC}/debtpositions"
GIVE_UP_AFTER = 180.0


def subscribe(url: str, tenant: str, hook: str) -> None:
    requests.post(
        url + "/_sandbox/v1/webhooks",
        json={"url": hook, "fiscalCode": EC},
        headers={"X-Sandbox-Tenant": tenant},
        timeout=10,
    ).raise_for_status()


def pay_offline(url: str, tenant: str, iupd: str) -> None:
    headers = {**KEY, "X-Sandbox-Tenant": tenant}
    created = requests.post(
        url + GPD + "?toPublish=true", json=position_body(iupd), headers=headers, timeout=10
    )
    created.raise_for_status()
    nav = created.json()["paymentOption"][0]["nav"]
    requests.post(f"{url}/_sandbox/v1/notices/{EC}/{nav}/pay", headers=headers, timeout=10).raise_for_status()


def one_run(webhooks: int) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory() as data, black_hole() as hole, receiver() as healthy:
        command = [sys.executable, "-m", "simulator.cli", "serve", "--port", str(port), "--data-dir", data]
        with running(command, port, "/_sandbox/v1/health") as url:
            for n in range(webhooks):
                subscribe(url, "aaa-noisy", f"{hole.url}/hook/{n}")
            pay_offline(url, "aaa-noisy", "IUPD-NOISY")
            while not hole.connections:
                time.sleep(0.01)
            subscribe(url, "zzz-quiet", healthy.url + "/hook")
            pay_offline(url, "zzz-quiet", "IUPD-QUIET")
            paid = time.monotonic()
            while not healthy.received and time.monotonic() - paid < GIVE_UP_AFTER:
                time.sleep(0.005)
            waited = time.monotonic() - paid
            for conn in hole.connections:
                conn.close()
        return {
            "waited_s": round(waited, 3),
            "arrived": bool(healthy.received),
            "black_hole_most_at_once": hole.most_at_once,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--webhooks", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.webhooks) for _ in range(args.runs)]
    report = {"at": datetime.now(UTC).isoformat(), "webhooks": args.webhooks, "runs": runs}
    out = BENCH / "results" / f"notify-fairness-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    waits = [r["waited_s"] for r in runs]
    most = max(r["black_hole_most_at_once"] for r in runs)
    print(
        f"| another tenant's notification, {args.webhooks} deliveries in a black hole"
        f" | median {statistics.median(waits)} s (max {max(waits)} s, {len(waits)} runs);"
        f" at most {most} connections held by the black hole |"
    )
    print(f"\n{out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
