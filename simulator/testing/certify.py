"""Drive a certification run from a terminal or a CI job, over the sandbox's HTTP API: start it,
say which tenant the service under test must use, show each case as it is decided, write the
JUnit report, and say by the exit code whether every check passed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import requests

__all__ = ["CertifyError", "CertifyResult", "certify", "profile_argument"]

RUNS = "/_sandbox/v1/certifications"


class CertifyResult(Enum):
    """How a run ended, and the command's exit code for it."""

    PASSED = 0  # every check of every case passed
    FAILED = 1  # a check failed (the run is complete)
    USAGE = 2  # a bad option, or the sandbox refused the run (unknown profile, bad fiscal code ...)
    TIMED_OUT = 3  # closed at --timeout: some cases never ran
    UNREACHABLE = 6  # the sandbox did not answer

    @property
    def exit_code(self) -> int:
        return self.value


class CertifyError(Exception):
    def __init__(self, result: CertifyResult, message: str) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class Run:
    id: str
    tenant: str
    body: dict[str, Any]


def profile_argument(value: str) -> str | dict[str, Any]:
    """A profile id, or the data of a profile file (``.yaml``/``.yml``/``.json``) sent whole."""
    path = Path(value)
    if path.suffix not in (".yaml", ".yml", ".json"):
        return value
    from simulator.scenario.loader import yaml_data
    from simulator.scenario.model import ScenarioError

    try:
        data = yaml_data(path.read_bytes(), str(path))
    except OSError as exc:
        raise CertifyError(CertifyResult.USAGE, f"cannot read the profile {value}: {exc.strerror}") from None
    except ScenarioError as exc:
        raise CertifyError(CertifyResult.USAGE, f"invalid profile {value}:\n{exc}") from None
    if not isinstance(data, dict):
        raise CertifyError(CertifyResult.USAGE, f"invalid profile {value}: a profile is a mapping")
    return data


def certify(
    url: str,
    profile: str | dict[str, Any],
    fiscal_code: str,
    *,
    tenant: str = "default",
    junit: Path | None = None,
    timeout: float = 600.0,
    poll: float = 2.0,
    echo: Callable[[str], None] = print,
    on_start: Callable[[str], None] | None = None,
    http: requests.Session | None = None,
) -> CertifyResult:
    """Start the run, follow it until every case is decided (or close it at ``timeout`` seconds),
    write the JUnit report to ``junit`` and return the result. ``on_start`` is called with the
    run's tenant once it exists (a test starts the service under test there)."""
    session = http or requests.Session()
    session.headers["X-Sandbox-Tenant"] = tenant
    base = url.rstrip("/")
    started = _call(session, "POST", f"{base}{RUNS}", json={"fiscalCode": fiscal_code, "profile": profile})
    run = Run(started["id"], started["tenant"], started)
    echo(f"Certification run {run.id}: profile {started['profile']} for EC {started['fiscalCode']}")
    echo(f"Configure the service under test with the header  X-Sandbox-Tenant: {run.tenant}")
    echo(f"Then start {len(started['cases'])} carts, one per case, in this order:")
    for n, case in enumerate(started["cases"], 1):
        echo(f"  {n}. {case['id']}: {case['title']}")
    if on_start is not None:
        on_start(run.tenant)
    shown: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    body = started
    while True:
        _show(body, shown, echo)
        if body["complete"]:
            break
        if time.monotonic() >= deadline:
            echo(f"Timed out after {timeout:g} s: closing the run")
            body = _call(session, "POST", f"{base}{RUNS}/{run.id}/close")
            _show(body, shown, echo)
            break
        time.sleep(poll)
        body = _call(session, "GET", f"{base}{RUNS}/{run.id}")
    if junit is not None:
        report = _request(session, "GET", f"{base}{RUNS}/{run.id}/report.xml")
        junit.write_bytes(report.content)
        echo(f"JUnit report written to {junit}")
    echo(f"Report: {base}{RUNS}/{run.id}/report.html  (header X-Sandbox-Tenant: {tenant})")
    return _result(body)


def _show(body: dict[str, Any], shown: dict[str, str], echo: Callable[[str], None]) -> None:
    """One line per case whose state changed since the last look, with its failed checks."""
    total = len(body["cases"])
    for n, case in enumerate(body["cases"], 1):
        state = case["state"]
        if shown.get(case["id"]) == state or (state == "pending" and case["id"] not in shown):
            continue
        shown[case["id"]] = state
        echo(f"[{n}/{total}] {case['id']}: {state}")
        for check in case["checks"]:
            if check["verdict"] in ("failed", "never ran"):
                echo(f"        {check['id']}: {check['message']}")


def _result(body: dict[str, Any]) -> CertifyResult:
    counts = body["counts"]
    if body["passed"]:
        return CertifyResult.PASSED
    if counts.get("never ran") and not counts.get("failed"):
        return CertifyResult.TIMED_OUT
    return CertifyResult.FAILED


def _request(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    try:
        return session.request(method, url, timeout=30, **kwargs)
    except requests.RequestException as exc:
        raise CertifyError(CertifyResult.UNREACHABLE, f"cannot reach the sandbox at {url}: {exc}") from None


def _call(session: requests.Session, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    answer = _request(session, method, url, **kwargs)
    try:
        body = answer.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise CertifyError(
            CertifyResult.UNREACHABLE, f"{url} answered HTTP {answer.status_code}, not the sandbox's JSON"
        )
    if answer.status_code >= 400:
        problems = "".join(f"\n  {p}" for p in body.get("problems", ()))
        result = CertifyResult.USAGE if answer.status_code < 500 else CertifyResult.UNREACHABLE
        raise CertifyError(result, f"{body.get('title', 'refused')}: {body.get('detail', '')}{problems}")
    return body
