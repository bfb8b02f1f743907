"""Slow clients: does the server keep answering while 64 connections trickle their requests?

Starts the server, measures the health probe's latency and cart-creation throughput unloaded, then
opens the slow connections (header lines or body bytes every few seconds, and requests whose body
stops short of its Content-Length) and measures both again while they stay open. Targets: health
p99 < 100 ms and cart creation within 10 % of the unloaded figure of the same run.

Run from the project root: ``.venv/bin/python bench/slow_clients.py [--quick] [--servers
serve,gthread,waitress,gevent]``. Needs wrk. ``serve`` is ``pagopa-sandbox serve --ephemeral`` as users
start it; ``gthread`` (gunicorn's threaded worker, what ``serve`` ran before), ``waitress`` (one
process) and ``gevent`` (gunicorn's gevent worker; ``pip install gevent`` first) serve the same app
through bench/sandbox_wsgi.py, for comparison. Everything targets
127.0.0.1; every server and client it starts is stopped at the end. Results go to
bench/results/slow-*.json, plus a Markdown summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import selectors
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import run  # noqa: E402
import uow_bench  # noqa: E402
from servers import free_port, running  # noqa: E402

PY = sys.executable
HEALTH = "/_sandbox/v1/health"
PROBE_TIMEOUT = 2.0  # a probe that takes longer counts as failed (and as 2000 ms in the percentiles)
HEALTH_P99_MS = 100.0
CART_KEEP = 0.90  # cart creation under slow clients >= 90 % of unloaded
Result = dict[str, Any]


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- servers


def server_argv(server: str, port: int) -> list[str]:
    opts = run.sandbox_options()
    if server == "serve":
        return [PY, "-m", "simulator.cli", "serve", "--ephemeral", "--port", str(port)]
    if server == "gthread":
        return run.server_argv("gunicorn", "sandbox", port, {**opts, "worker_class": "gthread"})
    if server == "gevent":  # needs ``pip install gevent``: greenlets, SQLite calls block the loop
        return run.server_argv("gunicorn", "sandbox", port, {**opts, "worker_class": "gevent"})
    if server == "waitress":  # one process, as many threads as serve has in all
        threads = opts["workers"] * opts["threads"]
        return run.server_argv("waitress", "sandbox", port, {**opts, "threads": threads})
    raise ValueError(server)


@contextmanager
def started(server: str) -> Iterator[int]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as data_dir:
        env = {}
        if server != "serve":  # sandbox_wsgi.py reads the data dir; the schema is made first
            env["PAGOPA_SANDBOX_DATA_DIR"] = data_dir
            env["PYTHONPATH"] = str(BENCH)  # waitress imports sandbox_wsgi from here
            run.prepare_database(Path(data_dir))
        with running(server_argv(server, port), port, HEALTH, env):
            yield port


# --------------------------------------------------------------------------- slow clients

HEAD = b"POST /checkout/ec/v1/carts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"


def slow_connection(port: int, kind: str) -> socket.socket:
    """A connection that has started its request: ``header`` (the request line and a header so
    far), ``body`` (headers announcing 1000 bytes, none sent yet) or ``short`` (10 of the 1000)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if kind == "header":
        sock.sendall(HEAD)
    else:
        sock.sendall(HEAD + b"Content-Length: 1000\r\n\r\n" + (b'{"payment"' if kind == "short" else b""))
    sock.setblocking(False)
    return sock


def slow_clients(port: int, kinds: list[str], every: float, stop: Any, report: Any) -> None:
    """Keep one connection open per entry of ``kinds``: every ``every`` seconds a ``header``
    connection sends one more header line and a ``body`` one one more body byte; ``short`` ones
    send nothing more. A connection the server closes is opened again (counted per kind)."""
    socks = [slow_connection(port, kind) for kind in kinds]
    reopened: Counter[str] = Counter()
    selector = selectors.DefaultSelector()
    for i, sock in enumerate(socks):
        selector.register(sock, selectors.EVENT_READ, i)
    tick = 0
    while not stop.wait(every):
        tick += 1
        closed = set()
        for key, _ in selector.select(0):  # readable: the server answered or closed
            closed.add(key.data)
        for i, (sock, kind) in enumerate(zip(socks, kinds, strict=True)):
            try:
                if kind == "header":
                    sock.send(f"X-Slow-{tick}: {tick}\r\n".encode())
                elif kind == "body":
                    sock.send(b" ")
            except OSError:
                closed.add(i)
        for i in closed:
            selector.unregister(socks[i])
            socks[i].close()
            reopened[kinds[i]] += 1
            socks[i] = slow_connection(port, kinds[i])
            selector.register(socks[i], selectors.EVENT_READ, i)
    for sock in socks:
        sock.close()
    report.put(dict(reopened))


@contextmanager
def slow_load(port: int, count: int, every: float) -> Iterator[Result]:
    """``count`` slow connections in a process of their own: 5/8 trickle headers, 2/8 trickle a
    body, 1/8 stop 990 bytes short of their Content-Length. Yields a dict that gets the reopen
    counts at the end."""
    short = count // 8
    body = count // 4
    kinds = ["short"] * short + ["body"] * body + ["header"] * (count - short - body)
    ctx = multiprocessing.get_context("fork")
    stop, report = ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=slow_clients, args=(port, kinds, every, stop, report), daemon=True)
    proc.start()
    info: Result = {"connections": dict(Counter(kinds)), "every_s": every}
    try:
        time.sleep(min(2.0, every) + 0.5)  # all open, each has sent something
        yield info
    finally:
        stop.set()
        info["reopened"] = report.get(timeout=30) if proc.is_alive() else "client process died"
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()


# --------------------------------------------------------------------------- measures


def probe_health(port: int, seconds: float) -> Result:
    """Health probes one after the other, each on a new connection (as a container or load
    balancer probes), for ``seconds``; a probe over PROBE_TIMEOUT counts as failed."""
    import http.client

    latencies: list[float] = []
    failed = 0
    watch = run.CpuWatch()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT)
        try:
            conn.request("GET", HEALTH)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            ok = False
        finally:
            conn.close()
        elapsed = (time.perf_counter() - start) * 1000
        latencies.append(elapsed if ok else PROBE_TIMEOUT * 1000)
        failed += not ok
        time.sleep(0.01)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    return {
        "probes": len(latencies),
        "failed": failed,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "max_ms": ordered[-1],
        "mean_ms": statistics.fmean(latencies),
        **watch.read(),
    }


def server_pids() -> list[int]:
    """Every process below this script: called while only the server runs, its master and workers."""
    found, frontier = [], [os.getpid()]
    while frontier:
        pid = frontier.pop()
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            kids = [int(k) for k in children.read_text().split()]
            found += kids
            frontier += kids
    return found


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def cart_round(port: int, runner: run.Runner, pids: list[int]) -> Result:
    """One cart-creation round of wrk, with the server's CPU per cart creation: unlike req/s, that
    hardly moves when other jobs share the machine, so it shows what slow connections cost."""
    series = runner.series.next()
    load = run.Load(port, "cart", runner.seconds, runner.connections, series, runner.template)
    before = cpu_ticks(pids)
    result = run.measure(load, "wrk", runner.workdir)
    seconds = (cpu_ticks(pids) - before) / os.sysconf("SC_CLK_TCK")
    keep = ("rps", "requests", "p50_ms", "p99_ms", "non2xx", "socket_errors", "other_load_pct")
    return {"cpu_ms": 1000 * seconds / max(1, result["requests"]), **{k: result[k] for k in keep}}


def summary(rounds: list[Result]) -> Result:
    rps = sorted(r["rps"] for r in rounds)
    return {
        "rps": statistics.median(rps),
        "rps_min": rps[0],
        "rps_max": rps[-1],
        "cpu_ms": statistics.median(r["cpu_ms"] for r in rounds),
        "errors": sum(r["non2xx"] + r["socket_errors"] for r in rounds),
        "other_load_max": max(r["other_load_pct"] for r in rounds),
        "rounds": rounds,
    }


def measure_server(server: str, runner: run.Runner, args: argparse.Namespace) -> Result:
    """Health unloaded, then with the slow connections open; then cart rounds in pairs, one
    unloaded and one with the slow connections, so that other jobs' load, which drifts over
    minutes on a shared machine, weighs on both sides alike."""
    log(f"{server}: starting")
    with started(server) as port:
        pids = server_pids()
        health = probe_health(port, args.probe_seconds)
        with slow_load(port, args.slow, args.every) as slow:
            health_slow = probe_health(port, args.probe_seconds)
        log(f"{server}: health p99 {health['p99_ms']:.1f} ms, with slow {health_slow['p99_ms']:.1f}")
        cart_round(port, replace(runner, seconds=2), pids)  # warm-up, not recorded
        unloaded, loaded, reopened = [], [], Counter[str]()
        for n in range(args.rounds):
            unloaded.append(cart_round(port, runner, pids))
            with slow_load(port, args.slow, args.every) as info:
                loaded.append(cart_round(port, runner, pids))
            reopened.update(info["reopened"] if isinstance(info["reopened"], dict) else {"died": 1})
            log(
                f"{server}: round {n + 1}: cart {unloaded[-1]['rps']:.0f} -> {loaded[-1]['rps']:.0f} req/s, "
                f"CPU per cart {unloaded[-1]['cpu_ms']:.2f} -> {loaded[-1]['cpu_ms']:.2f} ms, other load "
                f"{unloaded[-1]['other_load_pct']:.0f} / {loaded[-1]['other_load_pct']:.0f} %"
            )
    out: Result = {
        "health": {"unloaded": health, "slow": health_slow},
        "cart": {"unloaded": summary(unloaded), "slow": summary(loaded)},
        "round_ratios": [b["rps"] / max(1e-9, a["rps"]) for a, b in zip(unloaded, loaded, strict=True)],
        "slow_clients": {**slow, "reopened_during_cart_rounds": dict(reopened)},
    }
    out["health_p99_met"] = health_slow["p99_ms"] < HEALTH_P99_MS and health_slow["failed"] == 0
    out["cart_ratio"] = out["cart"]["slow"]["rps"] / max(1e-9, out["cart"]["unloaded"]["rps"])
    return out


# --------------------------------------------------------------------------- report


def markdown(report: Result) -> str:
    cfg = report["config"]
    lines = [
        f"Slow clients: {cfg['slow']} connections ({cfg['mix']}), one more header line or body byte "
        f"every {cfg['every']} s; health probed {cfg['probe_seconds']} s (new connection each, "
        f"{PROBE_TIMEOUT:.0f} s timeout); cart creation wrk -c{cfg['connections']}, "
        f"{cfg['rounds']} pairs of {cfg['seconds']} s rounds (unloaded, then with the slow connections); "
        "median and range.",
        "",
        "| server | health p99 ms unloaded | with slow | failed probes with slow | cart req/s unloaded | "
        "with slow | ratio (per pair) | CPU ms per cart unloaded / with slow | errors | "
        "health p99 < 100 ms | cart >= 90 % | other load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for name, r in report["servers"].items():
        hu, hs = r["health"]["unloaded"], r["health"]["slow"]
        cu, cs = r["cart"]["unloaded"], r["cart"]["slow"]
        pairs = ", ".join(f"{100 * x:.0f}" for x in r["round_ratios"])
        other = max(hu["other_load_pct"], hs["other_load_pct"], cu["other_load_max"], cs["other_load_max"])
        lines.append(
            f"| {name} | {hu['p99_ms']:.1f} | {hs['p99_ms']:.1f} | {hs['failed']} / {hs['probes']} | "
            f"{cu['rps']:.0f} ({cu['rps_min']:.0f}-{cu['rps_max']:.0f}) | "
            f"{cs['rps']:.0f} ({cs['rps_min']:.0f}-{cs['rps_max']:.0f}) | "
            f"{100 * r['cart_ratio']:.0f} % ({pairs}) | {cu['cpu_ms']:.2f} / {cs['cpu_ms']:.2f} | "
            f"{cu['errors']} / {cs['errors']} | {'met' if r['health_p99_met'] else '**missed**'} | "
            f"{'met' if r['cart_ratio'] >= CART_KEEP else '**missed**'} | up to {other:.0f} % |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default="serve", help="comma list of serve, gthread, waitress, gevent")
    parser.add_argument("--slow", type=int, default=64, help="slow connections (default 64)")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between slow sends")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--seconds", type=int, default=None, help="one cart round (10; 3 with --quick)")
    parser.add_argument("--rounds", type=int, default=None, help="pairs of cart rounds (3; 1 with --quick)")
    parser.add_argument("--probe-seconds", type=float, default=None, help="health probing (10; 3 quick)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.seconds = args.seconds or (3 if args.quick else 10)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.probe_seconds = args.probe_seconds or (3.0 if args.quick else 10.0)
    if not shutil.which("wrk"):
        sys.exit("bench: slow_clients.py needs wrk (apt-get install -y wrk)")
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    before = run.busy_now()
    if before["cpu_busy_pct_1s"] > 15:
        log(f"WARNING: the machine is already {before['cpu_busy_pct_1s']}% busy; figures will be low")
    with tempfile.TemporaryDirectory(prefix="bench-slow-") as workdir:
        runner = run.Runner(
            "wrk",
            args.seconds,
            2,
            args.connections,
            uow_bench.cart_body(),
            Path(workdir),
            run.Series(),
            args.rounds,
        )
        results = {server: measure_server(server, runner, args) for server in servers}
    short, body = args.slow // 8, args.slow // 4
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/slow_clients.py", *sys.argv[1:]]),
        "machine": run.machine(),
        "code": run.code_state(),
        "busy_before": before,
        "config": {
            "slow": args.slow,
            "mix": f"{args.slow - short - body} trickling headers, {body} trickling a body, "
            f"{short} short body",
            "every": args.every,
            "connections": args.connections,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "probe_seconds": args.probe_seconds,
            "sandbox": run.sandbox_options(),
        },
        "servers": results,
    }
    out_dir = BENCH / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"slow-{stamp}{'-quick' if args.quick else ''}.json"
    path.write_text(json.dumps(report, indent=2))
    log(f"wrote {path.relative_to(ROOT)}")
    print(markdown(report))


if __name__ == "__main__":
    main()
