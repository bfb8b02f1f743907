"""Benchmark of the sandbox against the unit-of-work targets: cart creation, GET cart and GPD
against a bare Flask cart app and Prism, payments per second (headless and through the pages),
cart creation p99 and RSS per worker, on SQLite and on PostgreSQL.

Run from the project root: ``.venv/bin/python bench/uow_bench.py [--quick] [--database
sqlite|postgresql|both]``. Needs wrk. Everything targets 127.0.0.1 with a fixed number of
connections for a fixed time, and every server it starts is stopped at the end. What it measures
is in bench/README.md; results go to bench/results/uow-*.json, plus a Markdown summary on stdout.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import checkout_bench  # noqa: E402
import run  # noqa: E402
from servers import free_port, running  # noqa: E402

PY = sys.executable
HEALTH = "/_sandbox/v1/health"
CARTS = "/checkout/ec/v1/carts"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PRISM_DIR = BENCH / ".prism"
PRISM_SPEC = ROOT / "tests" / "specs" / "pagopa-api" / "openapi" / "checkout_v1.json"
CARTS_TO_GET = 200
Result = dict[str, Any]

# name, what, target, unit; "ratio" targets divide by the bare cart app (or Prism)
TARGETS: list[tuple[str, str, float, str]] = [
    ("cart_vs_bare", "cart creation / bare app", 0.50, ">="),
    ("cart_vs_prism", "cart creation / Prism", 1.5, ">="),
    ("get_vs_bare", "GET cart / bare app", 0.60, ">="),
    ("gpd_create_vs_bare", "GPD create / bare app", 0.35, ">="),
    ("gpd_get_vs_bare", "GPD get / bare app", 0.50, ">="),
    ("headless_payments_s", "headless payments/s", 300, ">="),
    ("pages_payments_s", "payments/s through the pages", 60, ">="),
    ("cart_p99_ms", "p99 cart creation at c=32 (ms)", 50, "<"),
    ("rss_worker_mib", "RSS per worker (MiB, the largest)", 80, "<"),
]


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- servers


@contextmanager
def database(kind: str) -> Iterator[list[str]]:
    """The ``serve`` arguments for a fresh database: ``--ephemeral`` SQLite, or a new PostgreSQL
    schema (dropped at the end), as tests/conftest.py does."""
    if kind == "sqlite":
        yield ["--ephemeral"]
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
        yield ["--database-url", url]
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextmanager
def sandbox(kind: str) -> Iterator[int]:
    """``pagopa-sandbox serve`` on a fresh database, as users start it; yields its port."""
    with database(kind) as storage:
        port = free_port()
        argv = [PY, "-m", "simulator.cli", "serve", "--port", str(port), *storage]
        with running(argv, port, HEALTH):
            yield port


def proc_children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        tree.setdefault(ppid, []).append(int(stat.parent.name))
    return tree


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_rss() -> Result:
    """VmRSS of the gunicorn master this script started (``serve`` runs gunicorn in its own
    process) and of each of its worker children."""
    tree = proc_children()
    masters = [
        pid
        for pid in tree.get(os.getpid(), [])
        if b"simulator.cli" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    if len(masters) != 1:
        raise RuntimeError(f"expected one sandbox master, found {masters}")
    workers = sorted(tree.get(masters[0], []))
    return {"master_mib": rss_mib(masters[0]), "workers_mib": [rss_mib(pid) for pid in workers]}


# --------------------------------------------------------------------------- loads


def cart_body() -> str:
    return json.dumps(checkout_bench.CART, separators=(",", ":"))


def payment_template() -> str:
    """The cart with ``__NOTICE__`` for the notice number: wrk.lua makes it unique per payment."""
    notice = {**checkout_bench.CART["paymentNotices"][0], "noticeNumber": "__NOTICE__"}
    return json.dumps({**checkout_bench.CART, "paymentNotices": [notice]}, separators=(",", ":"))


def create_carts(port: int, count: int) -> tuple[str, ...]:
    """``count`` carts, by their id read from the 302's Location (``.../carts/{id}/redirect?...``)."""
    ids = []
    with requests.Session() as session:
        for _ in range(count):
            r = session.post(
                f"http://127.0.0.1:{port}{CARTS}",
                data=cart_body(),
                headers=run.HEADERS,
                allow_redirects=False,
                timeout=30,
            )
            if r.status_code != 302:
                raise RuntimeError(f"cart creation answered {r.status_code}: {r.text[:300]}")
            ids.append(r.headers["Location"].split("/carts/")[1].split("/")[0])
    return tuple(ids)


def pages_worker(url: str, clients: int, seconds: float, first: int) -> Result:
    """One client process: ``clients`` threads, each paying one new cart after another through the
    pages (checkout_bench.headless_payment: cart, then every page by its links and forms)."""
    call = checkout_bench.headless_payment(url, first)

    def safe(session: requests.Session) -> bool:
        try:
            return call(session)
        except Exception:  # a broken page counts as a failed payment, the client goes on
            return False

    return checkout_bench.load(clients, seconds, safe)


def pages_payments(port: int, processes: int, clients: int, seconds: float) -> Result:
    url = f"http://127.0.0.1:{port}"
    per_process = max(1, clients // processes)
    first = int(time.time()) * 1000
    jobs = [(url, per_process, seconds, first + k * 10**8) for k in range(processes)]
    watch = run.CpuWatch()
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        parts = pool.starmap(pages_worker, jobs)
    elapsed = time.monotonic() - started
    attempts = sum(p["count"] for p in parts)
    failures = sum(p["failures"] for p in parts)
    p50s = [p["p50_ms"] for p in parts if p["p50_ms"] is not None]
    result = {
        "client": f"Python, {processes} processes x {per_process} threads (simulator.testing.pages_client)",
        "seconds": seconds,
        "elapsed_s": elapsed,
        "attempts": attempts,
        "failures": failures,
        "payments": attempts - failures,
        "payments_s": (attempts - failures) / elapsed,
        "p50_ms": statistics.median(p50s) if p50s else None,
        "processes": parts,
        **watch.read(),
    }
    log(
        f"  pages: {result['payments_s']:.1f} payments/s, {failures} failed, "
        f"other load {result['other_load_pct']:.0f}%"
    )
    return result


def rss_after_carts(kind: str, runner: run.Runner, total: int) -> Result:
    """A fresh sandbox, ``total`` cart creations by wrk (in runs of at most 60 s), then VmRSS."""
    with sandbox(kind) as port:
        before = worker_rss()
        done, chunks, rate = 0, [], 400.0
        deadline = time.monotonic() + 900
        while done < total and time.monotonic() < deadline:
            seconds = max(1, min(60, round((total - done) / rate + 0.5)))
            load = run.Load(
                port,
                "cart",
                seconds,
                runner.connections,
                runner.series.next(),
                cart_body(),
                (),
                runner.threads,
            )
            r = run.measure(load, "wrk", runner.workdir)
            done += r["requests"]
            rate = max(50.0, r["rps"])
            chunks.append(
                {k: r[k] for k in ("requests", "rps", "p99_ms", "non2xx", "socket_errors", "other_load_pct")}
            )
        after = worker_rss()
    result = {
        "requests": done,
        "before": before,
        "after": after,
        "runs": chunks,
        "worker_max_mib": max(after["workers_mib"]),
    }
    log(
        f"  RSS after {done} cart creations: workers {[round(x, 1) for x in after['workers_mib']]} MiB "
        f"(at start {[round(x, 1) for x in before['workers_mib']]})"
    )
    return result


def prism(runner: run.Runner) -> Result:
    """The same cart POST against Prism 5 mocking checkout_v1.json, or why it was skipped."""
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            return {"skipped": "npm is not installed"}
        log("installing @stoplight/prism-cli@5 into bench/.prism")
        try:
            proc = subprocess_run([npm, "install", "--prefix", str(PRISM_DIR), "@stoplight/prism-cli@5"], 300)
        except Exception as exc:  # timeout, OSError
            return {"skipped": f"npm install failed: {exc}"}
        if proc.returncode != 0 or not binary.exists():
            return {"skipped": f"npm install failed ({proc.returncode}): {proc.stderr[-300:]}"}
    if not PRISM_SPEC.exists():
        return {"skipped": f"no spec at {PRISM_SPEC}"}
    version = subprocess_run([str(binary), "--version"], 60).stdout.strip()
    port = free_port()
    argv = [str(binary), "mock", "-p", str(port), "-h", "127.0.0.1", str(PRISM_SPEC)]
    with running(argv, port, None):
        answer = requests.post(
            f"http://127.0.0.1:{port}/carts",
            data=cart_body(),
            headers=run.HEADERS,
            allow_redirects=False,
            timeout=30,
        )
        result = runner.run(port, "prism")
    return {**result, "prism_version": version, "first_answer": answer.status_code}


def subprocess_run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def postgres_ticks() -> int:
    """CPU clock ticks used so far by the PostgreSQL server's processes (not children of this
    script, so run.CpuWatch counts them as other load)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks


def with_postgres_cpu(measure: Callable[[], Result]) -> Result:
    """``measure()``, plus the PostgreSQL server's CPU over it (% of one core, warm-up included)."""
    ticks, started = postgres_ticks(), time.monotonic()
    result = measure()
    elapsed = time.monotonic() - started
    result["postgres_cpu_pct"] = 100 * (postgres_ticks() - ticks) / os.sysconf("SC_CLK_TCK") / elapsed
    return result


def sandbox_targets(kind: str, runner: run.Runner, args: argparse.Namespace) -> Result:
    if kind == "postgresql":  # the database's CPU reads as other load: running rounds again buys nothing
        runner = replace(runner, retries=0)
    out: Result = {}
    with sandbox(kind) as port:
        log(f"{kind}: cart creation")
        out["cart"] = with_postgres_cpu(lambda: runner.run(port, "cart"))
        log(f"{kind}: GET cart over {CARTS_TO_GET} carts")
        ids = create_carts(port, CARTS_TO_GET)
        out["cartget"] = with_postgres_cpu(lambda: runner.run(port, "cartget", ids))
        gpd = replace(runner, template=run.create_body_template())
        log(f"{kind}: GPD create and get")
        out["gpd_create"] = with_postgres_cpu(lambda: gpd.run(port, "create"))
        iupds = run.precreate(port, gpd.template, runner.series.next())
        out["gpd_get"] = with_postgres_cpu(lambda: gpd.run(port, "get", iupds))
        log(f"{kind}: headless payments (cart, then complete)")
        pay = replace(runner, template=payment_template())
        payment = with_postgres_cpu(lambda: pay.run(port, "payment"))
        payment["payments_s"] = payment["payments"] / payment["duration_s"]  # the median round's
        out["headless"] = payment
        log(f"{kind}: payments through the pages")
        out["pages"] = with_postgres_cpu(
            lambda: pages_payments(port, args.pages_processes, args.pages_clients, runner.seconds)
        )
    log(f"{kind}: RSS after {args.rss_requests} cart creations")
    out["rss"] = rss_after_carts(kind, runner, args.rss_requests)
    return out


# --------------------------------------------------------------------------- report


def measured(db: Result, bare: Result, prism_result: Result) -> dict[str, float | None]:
    def per(r: Result, ref: Result) -> float | None:
        return r["rps"] / ref["rps"] if "rps" in ref else None

    return {
        "cart_vs_bare": per(db["cart"], bare),
        "cart_vs_prism": per(db["cart"], prism_result),
        "get_vs_bare": per(db["cartget"], bare),
        "gpd_create_vs_bare": per(db["gpd_create"], bare),
        "gpd_get_vs_bare": per(db["gpd_get"], bare),
        "headless_payments_s": db["headless"]["payments_s"],
        "pages_payments_s": db["pages"]["payments_s"],
        "cart_p99_ms": db["cart"]["p99_ms"],
        "rss_worker_mib": db["rss"]["worker_max_mib"],
    }


def met(value: float | None, target: float, op: str) -> str:
    if value is None:
        return "skipped"
    return "yes" if (value >= target if op == ">=" else value < target) else "**no**"


def show(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    if name.endswith("_vs_prism"):
        return f"{value:.2f}x"
    if "_vs_" in name:
        return f"{value:.0%}"
    return f"{value:.1f}"


def markdown(report: Result) -> str:
    cfg, dbs = report["config"], report["databases"]
    s = cfg["sandbox"]
    lines = [
        f"Code: commit {report['code']['commit'][:10]}, {report['code']['changed_files']} files changed "
        f"in the work tree. Server: gunicorn {s['worker_class']}, {s['workers']} workers x {s['threads']} "
        f"threads. Client: wrk -t{cfg['wrk_threads']} -c{cfg['connections']}, {cfg['rounds']} x "
        f"{cfg['seconds']} s after {cfg['warmup_seconds']} s warm-up (median round shown).",
        "",
        "| run | database | req/s (range) | p50 ms | p99 ms | requests | non-2xx/3xx | socket errors "
        "| other load | PostgreSQL CPU |",
        "| --- | --- |" + " ---: |" * 8,
    ]

    def row(name: str, db: str, r: Result) -> str:
        other = max(x["other_load_pct"] for x in r["rounds"])
        pg = f"{r['postgres_cpu_pct']:.0f}%" if "postgres_cpu_pct" in r else "-"
        return (
            f"| {name} | {db} | {run.rps(r)} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['requests']} "
            f"| {r['non2xx']} | {r['socket_errors']} | {other:.0f}% | {pg} |"
        )

    lines.append(row("bare Flask cart app (POST, 302)", "-", report["bare"]))
    p = report["prism"]
    if "skipped" in p:
        lines.append(f"| Prism {CARTS} | - | skipped: {p['skipped']} | | | | | | | |")
    else:
        lines.append(row(f"Prism {p['prism_version']} POST /carts (answers {p['first_answer']})", "-", p))
    for kind, db in dbs.items():
        for key, name in (
            ("cart", "sandbox cart creation"),
            ("cartget", "sandbox GET cart"),
            ("gpd_create", "sandbox GPD create"),
            ("gpd_get", "sandbox GPD get"),
            ("headless", "headless payment: cart + complete (requests)"),
        ):
            lines.append(row(name, kind, db[key]))
    lines += [
        "",
        "| payments | database | payments/s | p50 ms | payments | failed | client | other load |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for kind, db in dbs.items():
        h, g = db["headless"], db["pages"]
        lines.append(
            f"| headless (cart, then `/_sandbox/v1/carts/{{id}}/complete`) | {kind} "
            f"| {h['payments_s']:.1f} | - | {h['payments']} (median round) | {h['non2xx']} "
            f"| wrk (bench/wrk.lua, payment mode) | {h['other_load_pct']:.0f}% |"
        )
        p50 = f"{g['p50_ms']:.0f}" if g["p50_ms"] is not None else "-"
        lines.append(
            f"| through the pages (every page, links and forms) | {kind} | {g['payments_s']:.1f} "
            f"| {p50} | {g['payments']} | {g['failures']} | {g['client']} | {g['other_load_pct']:.0f}% |"
        )
    lines += [
        "",
        "| RSS | database | cart creations | workers at start MiB | workers after MiB | master MiB |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, db in dbs.items():
        r = db["rss"]
        lines.append(
            f"| after cart creations | {kind} | {r['requests']} "
            f"| {' / '.join(f'{x:.1f}' for x in r['before']['workers_mib'])} "
            f"| {' / '.join(f'{x:.1f}' for x in r['after']['workers_mib'])} "
            f"| {r['after']['master_mib']:.1f} |"
        )
    head = "| target | " + " | ".join(f"{k} | met?" for k in dbs) + " |"
    lines += ["", head, "| --- |" + " ---: | --- |" * len(dbs)]
    for name, what, target, op in TARGETS:
        unit = f"{target:.0%}" if "_vs_bare" in name else (f"{target}x" if "prism" in name else f"{target:g}")
        cells = " | ".join(
            f"{show(name, report['measured'][k][name])} | {met(report['measured'][k][name], target, op)}"
            for k in dbs
        )
        lines.append(f"| {what} {op} {unit} | {cells} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="3 s rounds, 1 round, 10k requests for RSS")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=int, help="per measured round (default 10, 3 with --quick)")
    parser.add_argument("--rounds", type=int, help="measured rounds per figure (default 3, 1 with --quick)")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="times a round is run again while other jobs use > 10%% of the machine (SQLite only)",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rss-requests", type=int, help="cart creations before RSS (default 100000, 10000 quick)"
    )
    parser.add_argument("--pages-processes", type=int, default=4)
    parser.add_argument("--pages-clients", type=int, default=8, help="in all, spread over the processes")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: uow_bench.py needs wrk (apt-get install -y wrk)")
    for signum in (signal.SIGTERM, signal.SIGINT):  # stop the servers on the way out
        signal.signal(signum, lambda n, _: sys.exit(128 + n))
    args.rss_requests = args.rss_requests or (10_000 if args.quick else 100_000)
    opts = run.sandbox_options()
    config: Result = {
        "quick": args.quick,
        "client": "wrk",
        "wrk_threads": 2,
        "connections": args.connections,
        "seconds": args.seconds or (3 if args.quick else 10),
        "warmup_seconds": 2,
        "rounds": args.rounds or (1 if args.quick else 3),
        "retries": args.retries,
        "rss_requests": args.rss_requests,
        "pages_processes": args.pages_processes,
        "pages_clients": args.pages_clients,
        "sandbox": opts,
    }
    log(f"config {json.dumps(config)}")
    code, before = run.code_state(), run.busy_now()
    if before["cpu_busy_pct_1s"] > 15:
        log(f"WARNING: the machine is already {before['cpu_busy_pct_1s']}% busy; figures will be low")
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-uow-") as workdir:
        runner = run.Runner(
            "wrk",
            config["seconds"],
            config["warmup_seconds"],
            args.connections,
            cart_body(),
            Path(workdir),
            run.Series(),
            config["rounds"],
            threads=config["wrk_threads"],
            retries=args.retries,
        )
        log("bare Flask cart app (bench/hello_app.py) on the sandbox's gunicorn settings")
        port = free_port()
        with running(run.server_argv("gunicorn", "hello", port, opts), port, "/"):
            bare = runner.run(port, "cart")
        log("Prism")
        prism_result = prism(runner)
        if "skipped" in prism_result:
            log(f"Prism skipped: {prism_result['skipped']}")
        databases = {kind: sandbox_targets(kind, runner, args) for kind in kinds}
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/uow_bench.py", *sys.argv[1:]]),
        "elapsed_s": round(time.monotonic() - started),
        "machine": run.machine(),
        "code": code,
        "load_before": before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "config": config,
        "bare": bare,
        "prism": prism_result,
        "databases": databases,
        "measured": {kind: measured(db, bare, prism_result) for kind, db in databases.items()},
        "targets": [{"name": n, "what": w, "target": t, "op": o} for n, w, t, o in TARGETS],
    }
    out = BENCH / "results" / f"uow-{datetime.now(UTC):%Y%m%dT%H%M%SZ}{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nresults: {out.relative_to(ROOT)} ({report['elapsed_s']} s)")


if __name__ == "__main__":
    main()
