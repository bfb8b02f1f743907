"""Benchmark of the pagoPA sandbox: time to ready, throughput against a bare Flask app, WSGI servers.

Run from the project root: ``.venv/bin/python bench/run.py [--quick]``. Everything targets
127.0.0.1 with a fixed number of connections for a fixed time, and every server is stopped at the
end. What it measures is in bench/README.md; results go to bench/results/ as JSON, plus a Markdown
summary on stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = sys.executable
HEALTH = "/_sandbox/v1/health"
GPD = "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions"
HEADERS = {"Ocp-Apim-Subscription-Key": "k", "Content-Type": "application/json"}
PRECREATED = 256  # positions created before the GET runs, read round-robin
READY_TARGET_S = 1.0
RATIO_TARGET = 0.40
OTHER_LOAD_MAX = 10  # % of the machine used by other jobs above which a round is run again
Result = dict[str, Any]


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """The status of one GET, or None when nothing answers yet."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def wait_ready(
    proc: subprocess.Popen[bytes], port: int, path: str, started: float, limit: float = 30
) -> float:
    """Seconds from ``started`` until GET ``path`` first answers 200, polling every 10 ms."""
    while time.perf_counter() - started < limit:
        if get_status(port, path) == 200:
            return time.perf_counter() - started
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        time.sleep(0.01)
    raise RuntimeError(f"no 200 from {path} within {limit} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serving(argv: list[str], port: int, ready_path: str, env: dict[str, str] | None = None) -> Iterator[None]:
    """Start a server, wait for it to answer 200 on ``ready_path``, stop it on exit.

    Its output (the sandbox logs one line per request) goes to a temporary file, shown on failure.
    """
    with tempfile.TemporaryFile() as output:
        env = {**os.environ, "PYTHONPATH": str(BENCH), **(env or {})}
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            wait_ready(proc, port, ready_path, time.perf_counter())
            yield
        except Exception:
            stop(proc)
            output.seek(0)
            sys.stderr.write(output.read()[-3000:].decode(errors="replace"))
            raise
        finally:
            stop(proc)


def sandbox_options() -> dict[str, Any]:
    """The gunicorn settings the sandbox really uses, read from SandboxServer itself."""
    from simulator.config import Settings
    from simulator.server import SandboxServer

    options = SandboxServer(Settings()).options
    return {key: options[key] for key in ("worker_class", "workers", "threads")}


def server_argv(server: str, app: str, port: int, opts: dict[str, Any]) -> list[str]:
    """The command serving ``app`` (``hello`` or ``sandbox``) on ``server``."""
    if server == "sandbox-cli":  # the real thing: pagopa-sandbox serve
        cli = [PY, "-m", "simulator.cli", "serve", "--ephemeral"]
        return [*cli, "--port", str(port), "--workers", str(opts["workers"])]
    module = {"hello": "hello_app:app", "sandbox": "sandbox_wsgi:app"}[app]
    if server == "waitress":
        return [PY, "-m", "waitress", f"--listen=127.0.0.1:{port}", f"--threads={opts['threads']}", module]
    argv = [PY, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(opts["workers"])]
    argv += ["--worker-class", opts["worker_class"], "--log-level", "warning", "--chdir", str(BENCH)]
    if opts["worker_class"] != "sync":  # gunicorn turns sync with threads into gthread
        argv += ["--threads", str(opts["threads"])]
    if "keepalive" in opts:
        argv += ["--keep-alive", str(opts["keepalive"])]
    return [*argv, module]


def prepare_database(data_dir: Path) -> None:
    """The schema, as ``pagopa-sandbox serve`` creates it before its workers start."""
    from simulator.config import Settings
    from simulator.storage import migrate
    from simulator.storage.engine import make_disposable_engine

    engine = make_disposable_engine(Settings(data_dir=str(data_dir)).resolved_database_url)
    migrate.upgrade(engine)
    engine.dispose()


# --------------------------------------------------------------------------- time to ready


def time_to_ready(runs: int, workers: int) -> list[Result]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-data-") as data_dir:
        for label, storage in (("ephemeral", ["--ephemeral"]), ("persistent", ["--data-dir", data_dir])):
            times = []
            for _ in range(runs):
                port = free_port()
                argv = [PY, "-m", "simulator.cli", "serve", *storage, "--port", str(port)]
                started = time.perf_counter()
                proc = subprocess.Popen(
                    [*argv, "--workers", str(workers)],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                try:
                    times.append(wait_ready(proc, port, HEALTH, started))
                finally:
                    stop(proc)
            rows.append(
                {
                    "database": label,
                    "workers": workers,
                    "runs_s": times,
                    "min_s": min(times),
                    "median_s": statistics.median(times),
                    "max_s": max(times),
                }
            )
    return rows


# --------------------------------------------------------------------------- load


@dataclass(frozen=True)
class Load:
    port: int
    mode: str  # hello | create | get | mix
    seconds: int
    connections: int
    series: str  # 5 digits that keep the IUPDs/IUVs of this run apart from every other run
    template: str  # the create body, with __IUPD__ and __IUV__
    iupds: tuple[str, ...] = ()
    threads: int = 1  # wrk threads


def create_body_template() -> str:
    due = datetime.now(UTC) + timedelta(days=30)  # the real clock: the sandbox tenant has no offset
    transfer = {
        "idTransfer": "1",
        "amount": 10000,
        "remittanceInformation": "Quota 1",
        "category": "9/0101108TS/",
        "iban": "IT60X0542811101000000123456",
    }
    option = {
        "iuv": "__IUV__",
        "amount": 10000,
        "description": "Tassa rifiuti",
        "isPartialPayment": False,
        "dueDate": due.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "transfer": [transfer],
    }
    body = {
        "iupd": "__IUPD__",
        "type": "F",
        "fiscalCode": "RSSMRA80A01H501U",
        "fullName": "Mario Rossi",
        "email": "mario.rossi@example.com",
        "switchToExpired": False,
        "companyName": "Comune di Roma",
        "officeName": "Ufficio Tributi",
        "paymentOption": [option],
    }
    return json.dumps(body, separators=(",", ":"))


def unique_number(series: str, thread: int, counter: int) -> str:
    """15 digits: IUPD ``BENCH-<n>`` and IUV ``01<n>`` (the format bench/wrk.lua uses too)."""
    return f"{series}{thread:02d}{counter:08d}"


def request_for(load: Load, thread: int, counter: int) -> tuple[str, str, str | None]:
    if load.mode == "hello":
        return "GET", "/", None
    if load.mode == "create" or (load.mode == "mix" and counter % 2 == 1):
        n = unique_number(load.series, thread, counter)
        body = load.template.replace("__IUPD__", f"BENCH-{n}").replace("__IUV__", f"01{n}")
        return "POST", f"{GPD}?toPublish=true", body
    return "GET", f"{GPD}/{load.iupds[counter % len(load.iupds)]}", None


def python_load(load: Load) -> Result:
    """The fallback client: one thread per connection, each with its own keep-alive connection."""
    latencies: list[list[float]] = [[] for _ in range(load.connections)]
    bad = [0] * load.connections
    socket_errors = [0] * load.connections
    samples: list[str] = []
    barrier = threading.Barrier(load.connections + 1)
    deadline = [0.0]

    def worker(tid: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", load.port, timeout=30)
        counter = 0
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            counter += 1
            method, path, body = request_for(load, tid, counter)
            started = time.perf_counter()
            try:
                conn.request(method, path, body, HEADERS)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                socket_errors[tid] += 1
                conn.close()
                continue
            latencies[tid].append(time.perf_counter() - started)
            if not 200 <= response.status < 300:
                bad[tid] += 1
                samples.append(f"{response.status} {payload[:200].decode(errors='replace')}")
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(load.connections)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + load.seconds
    barrier.wait()
    for t in threads:
        t.join()
    duration = time.perf_counter() - started
    ms = sorted(x * 1000 for lat in latencies for x in lat)
    if not ms:
        raise RuntimeError("no request completed")

    def pct(p: float) -> float:
        return ms[max(0, math.ceil(p / 100 * len(ms)) - 1)]  # nearest rank

    return {
        "requests": len(ms),
        "duration_s": duration,
        "mean_ms": statistics.fmean(ms),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": ms[-1],
        "non2xx": sum(bad),
        "socket_errors": sum(socket_errors),
        "sample": samples[0] if samples else "",
    }


def wrk_load(load: Load, workdir: Path) -> Result:
    (workdir / "body.json").write_text(load.template)
    (workdir / "iupds.txt").write_text("\n".join(load.iupds) + "\n")
    argv = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{load.seconds}s", "--timeout", "30s"]
    argv += ["-s", str(BENCH / "wrk.lua"), f"http://127.0.0.1:{load.port}/", "--", load.mode, load.series]
    argv += [str(workdir / "body.json"), str(workdir / "iupds.txt")]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=load.seconds + 60).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    return dict(json.loads(line.removeprefix("BENCH_JSON ")))


def cpu_busy_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine so far, from /proc/stat."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def own_ticks() -> float:
    """CPU ticks used so far by this script and everything it started: the servers (still running,
    read from /proc) and the finished children it waited for (wrk, the Python client, ss)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    ours, frontier = set(), [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        ours.update(children)
        frontier += children
    done = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = sum(u.ru_utime + u.ru_stime for u in done)
    return sum(ticks[pid] for pid in ours) + seconds * os.sysconf("SC_CLK_TCK")


def connection_split(port: int) -> list[int]:
    """How many client connections each server process holds (needs ``ss``; empty without it)."""
    if not shutil.which("ss"):
        return []
    argv = ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"]
    out = subprocess.run(argv, capture_output=True, text=True).stdout
    return sorted(Counter(re.findall(r"pid=(\d+)", out)).values(), reverse=True)


class CpuWatch:
    """How busy the machine was since creation, and how much of that was other jobs' CPU."""

    def __init__(self) -> None:
        self.own, (self.busy, self.total) = own_ticks(), cpu_busy_jiffies()

    def read(self) -> Result:
        own, (busy, total) = own_ticks(), cpu_busy_jiffies()
        elapsed = max(1, total - self.total)
        return {
            "machine_busy_pct": 100 * (busy - self.busy) / elapsed,
            "other_load_pct": max(0.0, 100 * (busy - self.busy - (own - self.own)) / elapsed),
        }


def measure(load: Load, client: str, workdir: Path) -> Result:
    """One load run, with the CPU share of the load generator, of the whole machine and of other
    jobs, and how the connections were split between the server's processes one second in."""
    split: list[int] = []
    timer = threading.Timer(min(1.0, load.seconds / 2), lambda: split.extend(connection_split(load.port)))
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    watch = CpuWatch()
    if client == "wrk":
        timer.start()
        result = wrk_load(load, workdir)
    else:  # a separate process, so the client's GIL is not the test driver's
        with multiprocessing.get_context("fork").Pool(1) as pool:
            timer.start()
            result = pool.apply(python_load, (load,))
    timer.join()
    result |= watch.read()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = sum(
        getattr(children_after, f) - getattr(children_before, f) for f in ("ru_utime", "ru_stime")
    )
    result["rps"] = result["requests"] / result["duration_s"]
    result["client_cpu_pct"] = 100 * client_cpu / result["duration_s"]  # of one core
    result["connections_per_process"] = split
    return {"mode": load.mode, "connections": load.connections, "client": client, **result}


class Series:
    """Hands out a fresh 5-digit series per load run."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"{self.n:05d}"


def precreate(port: int, template: str, series: str) -> tuple[str, ...]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    iupds = []
    for i in range(PRECREATED):
        n = unique_number(series, 0, i)
        conn.request(
            "POST",
            f"{GPD}?toPublish=true",
            template.replace("__IUPD__", f"BENCH-{n}").replace("__IUV__", f"01{n}"),
            HEADERS,
        )
        response = conn.getresponse()
        text = response.read()
        if response.status != 201:
            raise RuntimeError(f"pre-create answered {response.status}: {text[:300]!r}")
        iupds.append(f"BENCH-{n}")
    conn.close()
    return tuple(iupds)


@dataclass
class Runner:
    client: str
    seconds: int
    warmup: int
    connections: int
    template: str
    workdir: Path
    series: Series
    rounds: int
    threads: int = 1  # wrk threads
    retries: int = 2  # how many times a round is run again while other jobs take over OTHER_LOAD_MAX

    def run(self, port: int, mode: str, iupds: tuple[str, ...] = ()) -> Result:
        """A warm-up (not recorded), then ``rounds`` measured runs, each on fresh connections.

        A gthread worker keeps every keep-alive connection it accepted, so how the connections
        happen to split between the workers moves req/s from one run to the next. The round with
        the median req/s is reported; requests and errors are the totals of all rounds.
        """

        def once(seconds: int, retries: int) -> Result:
            """One round; run again (``retries`` times at most) while other jobs take over
            OTHER_LOAD_MAX."""
            for _ in range(1 + retries):
                series = self.series.next()
                load = Load(port, mode, seconds, self.connections, series, self.template, iupds, self.threads)
                result = measure(load, self.client, self.workdir)
                if result["other_load_pct"] <= OTHER_LOAD_MAX:
                    break
                log(f"  {mode}: other jobs used {result['other_load_pct']:.0f}% of the machine, again")
            return result

        once(self.warmup, 0)  # not recorded: no point running it again
        rounds = sorted(
            (once(self.seconds, self.retries) for _ in range(self.rounds)), key=lambda r: float(r["rps"])
        )
        result = {
            **rounds[len(rounds) // 2],
            "rounds": rounds,
            "rps_min": rounds[0]["rps"],
            "rps_max": rounds[-1]["rps"],
            **{k: sum(r[k] for r in rounds) for k in ("requests", "non2xx", "socket_errors")},
        }
        log(
            f"  {mode}: {[round(r['rps']) for r in rounds]} req/s, connections per process "
            f"{[r['connections_per_process'] for r in rounds]}, other load "
            f"{[round(r['other_load_pct']) for r in rounds]}%, median round p99 "
            f"{result['p99_ms']:.1f} ms, {result['non2xx']} non-2xx, {result['socket_errors']} socket errors"
        )
        return result

    def hello(self, server: str, opts: dict[str, Any]) -> Result:
        port = free_port()
        with serving(server_argv(server, "hello", port, opts), port, "/"):
            return self.run(port, "hello")

    def sandbox(self, server: str, opts: dict[str, Any], modes: tuple[str, ...]) -> dict[str, Result]:
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as data_dir:
            env = {}
            if server != "sandbox-cli":  # the CLI makes its own --ephemeral database
                env["PAGOPA_SANDBOX_DATA_DIR"] = data_dir
                prepare_database(Path(data_dir))
            with serving(server_argv(server, "sandbox", port, opts), port, HEALTH, env):
                iupds = precreate(port, self.template, self.series.next()) if set(modes) - {"create"} else ()
                return {mode: self.run(port, mode, iupds) for mode in modes}


# --------------------------------------------------------------------------- report


def machine() -> Result:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (x.split(":", 1)[1].strip() for x in cpuinfo.splitlines() if x.startswith("model name")), "?"
    )
    mem_kb = int(
        next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
    )
    wrk = shutil.which("wrk")
    wrk_version = (
        subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.split("\n")[0] if wrk else None
    )
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {p: version(p) for p in ("gunicorn", "waitress", "Flask", "Werkzeug", "SQLAlchemy")},
        "wrk": wrk_version,
    }


def code_state() -> Result:
    """Which code was measured: the commit, and how many files differed from it (read-only git)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "changed_files": len(git("status", "--porcelain").splitlines()),
    }


def rps(r: Result) -> str:
    """Median req/s, the range over the rounds, and ``*`` when other jobs skewed a round."""
    noisy = max(x["other_load_pct"] for x in r["rounds"]) > OTHER_LOAD_MAX
    return f"{r['rps']:.0f} ({r['rps_min']:.0f}-{r['rps_max']:.0f}){' *' if noisy else ''}"


def load_row(name: str, r: Result) -> str:
    latency = " | ".join(f"{r[k]:.1f}" for k in ("mean_ms", "p50_ms", "p95_ms", "p99_ms"))
    return (
        f"| {name} | {rps(r)} | {latency} "
        f"| {r['requests']} | {r['non2xx']} | {r['socket_errors']} "
        f"| {r['client_cpu_pct']:.0f}% | {r['machine_busy_pct']:.0f}% | {r['other_load_pct']:.0f}% "
        f"| {'/'.join(map(str, r['connections_per_process'])) or '?'} |"
    )


def markdown(report: Result) -> str:
    cfg, code = report["config"], report["code"]
    lines = [
        f"Code: commit {code['commit'][:10]}, {code['changed_files']} files changed in the work tree. "
        f"Client: {cfg['client']}.",
        "",
        f"## Time to ready ({cfg['ready_runs']} starts each, `--workers {cfg['sandbox']['workers']}`)",
        "",
        f"Other jobs used {report['time_to_ready_load']['other_load_pct']:.0f}% of the machine meanwhile.",
        "",
        "| database | min | median | max | median < 1 s | max < 1 s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["time_to_ready"]:
        ok = ["yes" if r[k] < READY_TARGET_S else "**no**" for k in ("median_s", "max_s")]
        times = " | ".join(f"{r[k]:.3f} s" for k in ("min_s", "median_s", "max_s"))
        lines.append(f"| {r['database']} | {times} | {ok[0]} | {ok[1]} |")
    s = cfg["sandbox"]
    head = (
        "| run | req/s (range) | mean ms | p50 ms | p95 ms | p99 ms | requests | non-2xx | socket errors "
        "| client CPU | machine CPU | other load | connections per process |\n| --- |" + " ---: |" * 12
    )
    lines += [
        "",
        f"## Throughput: gunicorn {s['worker_class']}, {s['workers']} workers x {s['threads']} threads; "
        f"{cfg['connections']} connections, {cfg['rounds']} x {cfg['seconds']} s, client {cfg['client']}",
        "",
        "req/s, latencies and CPU are those of the median round; requests and errors add up all rounds.",
        f"`*`: other jobs used more than {OTHER_LOAD_MAX}% of the machine in a round even after two retries,",
        "so that figure reads low.",
        "",
        head,
    ]
    t = report["throughput"]
    for name, r in (
        ("bare Flask hello", t["hello"]),
        ("sandbox GPD create", t["create"]),
        ("sandbox GPD get", t["get"]),
        ("sandbox create+get mix 1:1", t["mix"]),
    ):
        lines.append(load_row(name, r))
    ratio = report["ratios"]
    verdict = "met" if ratio["create"] >= RATIO_TARGET else "**missed**"
    lines += [
        "",
        f"Sandbox / hello: create {ratio['create']:.0%} (target >= {RATIO_TARGET:.0%}: {verdict}), "
        f"get {ratio['get']:.0%}, mix {ratio['mix']:.0%}.",
        "",
        "## WSGI servers (hello and GPD create)",
        "",
        "| server | hello req/s | create req/s | create / hello | create p50 ms | create p99 ms "
        "| non-2xx | socket errors |",
        "| --- |" + " ---: |" * 7,
    ]
    for name, r in report["servers"].items():
        h, c = r["hello"], r["create"]
        lines.append(
            f"| {name} | {rps(h)} | {rps(c)} | {c['rps'] / h['rps']:.0%} "
            f"| {c['p50_ms']:.1f} | {c['p99_ms']:.1f} | {h['non2xx'] + c['non2xx']} "
            f"| {h['socket_errors'] + c['socket_errors']} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def other_servers(opts: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The servers the sandbox's gunicorn gthread is compared with: name -> (server, options)."""
    many = 2 * (os.cpu_count() or 1) + 1  # gunicorn's suggested worker count for sync workers
    threads = opts["workers"] * opts["threads"]  # as many threads in all as the sandbox's setup
    return {
        f"gunicorn gthread, {opts['workers']} workers x {opts['threads']} threads, keep-alive off": (
            "gunicorn",
            {**opts, "keepalive": 0},
        ),
        f"gunicorn sync, {opts['workers']} workers": ("gunicorn", {**opts, "worker_class": "sync"}),
        f"gunicorn sync, {many} workers": ("gunicorn", {**opts, "worker_class": "sync", "workers": many}),
        f"waitress, 1 process x {threads} threads": ("waitress", {**opts, "threads": threads}),
    }


def busy_now() -> Result:
    """How busy the machine is before the bench starts (other jobs skew every figure)."""
    before = cpu_busy_jiffies()
    time.sleep(1)
    after = cpu_busy_jiffies()
    pct = 100 * (after[0] - before[0]) / max(1, after[1] - before[1])
    return {"cpu_busy_pct_1s": round(pct, 1), "loadavg": Path("/proc/loadavg").read_text().split()[:3]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="3 s runs, 2 starts: a smoke test of the bench")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, help="per measured run (default 10, 3 with --quick)")
    args = parser.parse_args()
    for signum in (signal.SIGTERM, signal.SIGINT):  # stop the servers on the way out, even when
        signal.signal(signum, lambda n, _: sys.exit(128 + n))  # started in the background
    opts = sandbox_options()
    config: Result = {
        "quick": args.quick,
        "client": args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python"),
        "connections": args.connections,
        "seconds": args.seconds or (3 if args.quick else 10),
        "warmup_seconds": 1 if args.quick else 2,
        "rounds": 1 if args.quick else 3,
        "ready_runs": 2 if args.quick else 5,
        "sandbox": opts,
    }
    log(f"config {json.dumps(config)}")
    code = code_state()
    before = busy_now()
    if before["cpu_busy_pct_1s"] > 15:
        log(f"WARNING: the machine is already {before['cpu_busy_pct_1s']}% busy; figures will be low")

    log("time to ready")
    watch = CpuWatch()
    ready = time_to_ready(config["ready_runs"], opts["workers"])
    ready_load = watch.read()
    medians = [round(r["median_s"], 3) for r in ready]
    log(f"  medians {medians} s; other jobs used {ready_load['other_load_pct']:.0f}% of the machine")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as workdir:
        runner = Runner(
            config["client"],
            config["seconds"],
            config["warmup_seconds"],
            args.connections,
            create_body_template(),
            Path(workdir),
            Series(),
            config["rounds"],
        )
        log("hello and the sandbox on the sandbox's own gunicorn settings")
        throughput = {"hello": runner.hello("gunicorn", opts)}
        throughput |= runner.sandbox("sandbox-cli", opts, ("create", "get", "mix"))
        own = f"gunicorn gthread, {opts['workers']} workers x {opts['threads']} threads (the sandbox's)"
        servers = {own: {"hello": throughput["hello"], "create": throughput["create"]}}
        for name, (server, server_opts) in other_servers(opts).items():
            log(name)
            hello = runner.hello(server, server_opts)
            servers[name] = {"hello": hello, **runner.sandbox(server, server_opts, ("create",))}

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/run.py", *sys.argv[1:]]),
        "machine": machine(),
        "code": code,
        "load_before": before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
        "config": config,
        "time_to_ready": ready,
        "time_to_ready_load": ready_load,
        "throughput": throughput,
        "ratios": {m: throughput[m]["rps"] / throughput["hello"]["rps"] for m in ("create", "get", "mix")},
        "servers": servers,
    }
    out = BENCH / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}{'-quick' if args.quick else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nresults: {out.relative_to(ROOT)}")


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
