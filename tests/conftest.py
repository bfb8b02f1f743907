"""Shared fixtures: an app on a fresh database (SQLite always; PostgreSQL where it answers),
a fixed clock, and a client that speaks as a tenant with a subscription key."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock

# Each test's fresh SQLite database is a copy of one migrated once per process (the real
# revisions, see simulator.storage.migrate): ~0.1 ms instead of ~20-40 ms a test.
os.environ.setdefault("PAGOPA_SANDBOX_MIGRATION_TEMPLATE", "1")

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
# The official pagoPA interface files the contract tests check against (tests/specs/pagopa-api/README.md).
SPECS = Path(__file__).resolve().parent / "specs" / "pagopa-api"
KEY = {"Ocp-Apim-Subscription-Key": "any-key"}


def postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        import psycopg

        psycopg.connect(POSTGRES_ADMIN, connect_timeout=2).close()
    except Exception:
        return False
    return True


@contextmanager
def postgres_schema(what: str) -> Iterator[str]:
    """The URL of a throwaway PostgreSQL schema (dropped afterwards); skips ``what`` with a message
    where PostgreSQL does not answer."""
    if not postgres_available():
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 does not answer: {what} skipped")
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'sandbox.sqlite3'}"
        return
    with postgres_schema("PostgreSQL storage tests") as url:
        yield url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Scenario delays are recorded but not slept (``delay_cap_seconds=0``): tests stay fast."""
    return Settings(data_dir=str(tmp_path), log_requests=False, delay_cap_seconds=0)


@pytest.fixture
def app(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    """The sandbox on a fresh SQLite file (the embedded default)."""
    application = create_app(
        settings.with_(database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}"), clock=clock
    )
    yield application
    application.extensions["sandbox"].close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_app(
    request: pytest.FixtureRequest, settings: Settings, clock: FixedClock, tmp_path: Path
) -> Iterator[Flask]:
    """The sandbox on each storage backend: SQLite always, PostgreSQL where it answers."""
    gen = _database_url(request.param, tmp_path)
    url = next(gen)
    application = create_app(settings.with_(database_url=url), clock=clock)
    try:
        yield application
    finally:
        application.extensions["sandbox"].close()
        next(gen, None)


class ApiClient:
    """A test client that sends the subscription key and a tenant on every call."""

    def __init__(self, client: FlaskClient, tenant: str = "default", key: bool = True) -> None:
        self.client = client
        self.headers = {"X-Sandbox-Tenant": tenant, **(KEY if key else {})}

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.client, method)

        def send(path: str, **kwargs: Any) -> Any:
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return call(path, headers=headers, **kwargs)

        return send


@pytest.fixture
def api(app: Flask) -> ApiClient:
    return ApiClient(app.test_client())


@pytest.fixture
def any_db_api(any_db_app: Flask) -> ApiClient:
    return ApiClient(any_db_app.test_client())


class Calls:
    """A service module's use cases called as a request calls them: each in a unit of its own in
    ``tenant`` (the first argument), e.g. ``Calls(sandbox, payments).start_attempt("default", ...)``."""

    def __init__(self, sandbox: Any, module: Any) -> None:
        self.sandbox = sandbox
        self.module = module

    def __getattr__(self, name: str) -> Any:
        use_case = getattr(self.module, name)

        def call(tenant: str, *args: Any, **kwargs: Any) -> Any:
            with self.sandbox.unit(tenant) as unit:
                return use_case(unit, *args, **kwargs)

        return call
