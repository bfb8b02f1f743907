"""Schema migrations (simulator.storage.migrate): a database written by release 0.1.0 upgrades in
place with every row intact, on SQLite and on PostgreSQL; an empty database upgraded by the
revisions has exactly the schema of simulator.storage.tables; concurrent upgrades and fresh files
made from the template end at the same schema."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, Table, func, select, text

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.storage import migrate
from simulator.storage import tables as t
from simulator.storage.engine import make_disposable_engine, make_engine
from tests.conftest import KEY, START, postgres_schema

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.0.sqlite3"
EC = "80078750587"
GPD = f"/gpd/debt-positions-service/v1/organizations/{EC}/debtpositions"
RECEIPTS = "/gpd/payments-receipts-service/v1"


# --- helpers ------------------------------------------------------------------------------------------


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A throwaway PostgreSQL schema's URL (search_path), or a skip where PostgreSQL does not answer."""
    with postgres_schema("PostgreSQL migration tests") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file not yet created, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sandbox.sqlite3'}"
    else:
        yield request.getfixturevalue("pg_schema")


def upgrade_to(engine: Engine, revision: str) -> None:
    """Alembic's own upgrade to one revision (the product only ever goes to head)."""
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), revision)


def release_tables() -> list[str]:
    with sqlite3.connect(FIXTURE) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    conn.close()
    return sorted(names)


def snapshot(engine: Engine, names: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every 0.1.0 table, 0.1.0's columns only, in a backend-neutral form."""
    meta = MetaData()
    meta.reflect(engine, only=names)
    fixture_columns = _fixture_columns()
    result = {}
    with engine.connect() as conn:
        for name in names:
            table = meta.tables[name]
            columns = [table.c[c] for c in fixture_columns[name]]
            rows = [tuple(_neutral(v) for v in row) for row in conn.execute(select(*columns))]
            result[name] = sorted(rows, key=repr)
    return result


def _fixture_columns() -> dict[str, list[str]]:
    with sqlite3.connect(FIXTURE) as conn:
        found = {
            name: [r[1] for r in conn.execute(f"PRAGMA table_info({name})")] for name in release_tables()
        }
    conn.close()
    return found


def _neutral(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def fixture_resolves_at() -> dict[str, datetime | None]:
    """What 0002 must backfill: each CLOSED attempt's ``resolves_at`` from its document."""
    with sqlite3.connect(FIXTURE) as conn:
        rows = conn.execute("SELECT id, document FROM payment_attempts WHERE state = 'CLOSED'").fetchall()
    conn.close()
    found = {}
    for attempt_id, document in rows:
        value = json.loads(document).get("resolves_at")
        found[attempt_id] = datetime.fromisoformat(value) if value else None
    return found


def assert_release_rows_intact(engine: Engine, before: dict[str, list[tuple[Any, ...]]]) -> None:
    after = snapshot(engine, list(before))
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    assert after == before
    # the pending attempts: resolves_at backfilled from the document (one set, one held by hand)
    expected = fixture_resolves_at()
    assert sorted(v is None for v in expected.values()) == [False, True]
    a = t.payment_attempts.c
    with engine.connect() as conn:
        got = {row[0]: row[1] for row in conn.execute(select(a.id, a.resolves_at))}
    for attempt_id, due in expected.items():
        value = got.pop(attempt_id)
        assert (None if value is None else _neutral(value)) == due, attempt_id
    assert set(got.values()) == {None}  # attempts that are not pending have none


def assert_readable_through_the_app(url: str) -> None:
    """The 0.1.0 rows, read by the current app: a debt position, a cart, a receipt."""
    settings = Settings(log_requests=False, delay_cap_seconds=0)
    app = create_app(settings.with_(database_url=url), clock=FixedClock(START), create_schema=False)
    try:
        client = app.test_client()
        headers = {"X-Sandbox-Tenant": "default", **KEY}
        position = client.get(f"{GPD}/IUPD-REL-1", headers=headers)
        assert position.status_code == 200, position.get_data(as_text=True)
        body = position.get_json()
        assert body["status"] == "PAID"
        assert body["companyName"] == "Comune di Roma"
        assert body["paymentOption"][0]["iuv"] == "02000000000000001"
        assert body["paymentOption"][0]["amount"] == 10_001
        with app.extensions["sandbox"].database.engine.connect() as conn:
            cart_id = conn.execute(
                select(t.payment_attempts.c.cart_id).where(t.payment_attempts.c.state == "NOTIFIED_OK")
            ).scalar_one()
        cart = client.get(f"/_sandbox/v1/carts/{cart_id}", headers=headers)
        assert cart.status_code == 200, cart.get_data(as_text=True)
        assert cart.get_json()["id"] == cart_id
        assert "302000000000000001" in cart.get_data(as_text=True)
        receipt = client.get(f"{RECEIPTS}/payments/{EC}/receipts/02000000000000001", headers=headers)
        assert receipt.status_code == 200, receipt.get_data(as_text=True)
        assert "02000000000000001" in receipt.get_data(as_text=True)
    finally:
        app.extensions["sandbox"].close()


# --- a 0.1.0 database upgrades in place -----------------------------------------------------------------


def test_a_release_0_1_0_sqlite_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    shutil.copyfile(FIXTURE, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        before = snapshot(engine, release_tables())
        assert migrate.current(engine) == migrate.INITIAL  # no alembic_version, 0.1.0's tables
        assert migrate.upgrade(engine) == migrate.HEAD
        assert migrate.current(engine) == migrate.HEAD
        assert_release_rows_intact(engine, before)
        assert migrate.upgrade(engine) == migrate.HEAD  # again: nothing to do
    finally:
        engine.dispose()
    assert_readable_through_the_app(url)


@pytest.mark.postgres
def test_a_release_0_1_0_database_upgrades_in_place_on_postgresql(pg_schema: str, tmp_path: Path) -> None:
    shutil.copyfile(FIXTURE, tmp_path / "release.sqlite3")  # opening it would switch it to WAL
    source = make_disposable_engine(f"sqlite:///{tmp_path / 'release.sqlite3'}")
    engine = make_engine(pg_schema)
    try:
        upgrade_to(engine, migrate.INITIAL)
        assert migrate.current(engine) == migrate.INITIAL
        names = release_tables()
        _copy_rows(source, engine, names)
        before = snapshot(source, names)
        assert migrate.upgrade(engine) == migrate.HEAD
        assert migrate.current(engine) == migrate.HEAD
        assert_release_rows_intact(engine, before)
    finally:
        source.dispose()
        engine.dispose()
    assert_readable_through_the_app(pg_schema)


def _copy_rows(source: Engine, target: Engine, names: list[str]) -> None:
    """Table by table with SQLAlchemy Core (parents first), then the serial sequences past the ids."""
    source_meta, target_meta = MetaData(), MetaData()
    source_meta.reflect(source, only=names)
    target_meta.reflect(target, only=names)
    with source.connect() as read, target.begin() as write:
        for table in target_meta.sorted_tables:
            rows = [
                {k: _aware(v) for k, v in row.items()}
                for row in read.execute(select(source_meta.tables[table.name])).mappings()
            ]
            if rows:
                write.execute(table.insert(), rows)
            for column in table.primary_key.columns:
                if column.autoincrement is True or (
                    column.autoincrement == "auto"
                    and len(table.primary_key.columns) == 1
                    and column.type.python_type is int
                ):
                    _reset_sequence(write, table, column.name)


def _reset_sequence(conn: Any, table: Table, column: str) -> None:
    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column})
    name = sequence.scalar()
    if name is not None:
        top = conn.execute(select(func.max(table.c[column]))).scalar()
        conn.execute(
            text("SELECT setval(:s, :v, :called)"), {"s": name, "v": top or 1, "called": top is not None}
        )


def _aware(value: Any) -> Any:
    """SQLite keeps datetimes without their offset; the sandbox writes them in UTC."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


# --- the revisions make exactly tables.py -------------------------------------------------------------


def test_an_empty_database_upgraded_has_exactly_the_schema_of_tables_py(empty_db: str) -> None:
    engine = make_engine(empty_db)
    try:
        assert migrate.current(engine) is None
        assert migrate.upgrade(engine, template=False) == migrate.HEAD
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_revision_0001_differs_from_tables_py_by_exactly_what_0002_and_0003_add(empty_db: str) -> None:
    """The comparison sees differences (it is not vacuous), and 0002 and 0003 are all that
    tables.py added."""
    engine = make_engine(empty_db)
    try:
        upgrade_to(engine, migrate.INITIAL)
        found = sorted(_describe(d) for d in _differences(engine))
    finally:
        engine.dispose()
    assert found == [
        "add_column payment_attempts.resolves_at",
        "add_index ix_attempts_due",
        "add_index ix_attempts_token",
        "add_index ix_certification_runs_tenant",
        "add_index ix_journal_tenant_at",
        "add_index ix_positions_due",
        "add_index ix_positions_validity",
        "add_table certification_runs",
    ]


def test_revision_0002_differs_from_tables_py_by_exactly_the_certification_runs(empty_db: str) -> None:
    engine = make_engine(empty_db)
    try:
        upgrade_to(engine, "0002_unit_of_work")
        found = sorted(_describe(d) for d in _differences(engine))
    finally:
        engine.dispose()
    assert found == ["add_index ix_certification_runs_tenant", "add_table certification_runs"]


def test_revision_0001_makes_the_very_schema_that_release_0_1_0_made(tmp_path: Path) -> None:
    """Same CREATE TABLE and CREATE INDEX statements as 0.1.0's ``create_all`` wrote in the fixture."""
    engine = make_disposable_engine(f"sqlite:///{tmp_path / 'initial.sqlite3'}")
    try:
        upgrade_to(engine, migrate.INITIAL)
    finally:
        engine.dispose()
    assert _ddl(tmp_path / "initial.sqlite3") == _ddl(FIXTURE)


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, t.metadata))


def _describe(diff: Any) -> str:
    if isinstance(diff, list):  # column modifications come grouped
        return "; ".join(_describe(d) for d in diff)
    kind, *rest = diff
    if kind == "add_column":
        return f"add_column {rest[1]}.{rest[2].name}"
    if kind in ("add_index", "remove_index", "add_table"):
        return f"{kind} {rest[0].name}"
    return repr(diff)


def _ddl(path: Path) -> dict[tuple[str, str], str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'alembic%'"
        ).fetchall()
    conn.close()
    return {(kind, name): " ".join(sql.split()) for kind, name, sql in rows}


# --- concurrency, templates, the cheap path -------------------------------------------------------------


def test_two_processes_upgrading_at_once_leave_one_schema_at_head(empty_db: str) -> None:
    """Two engines (as two worker processes would have) upgrade the same empty database at once."""
    engines = [make_engine(empty_db), make_engine(empty_db)]
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            barrier.wait()
            results.append(migrate.upgrade(engine, template=False))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        assert results == [migrate.HEAD, migrate.HEAD]
        with engines[0].connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert _differences(engines[0]) == []
    finally:
        for engine in engines:
            engine.dispose()


def test_a_new_sqlite_file_from_the_template_is_what_the_revisions_make(tmp_path: Path) -> None:
    real = make_engine(f"sqlite:///{tmp_path / 'real.sqlite3'}")
    copied = make_engine(f"sqlite:///{tmp_path / 'copied.sqlite3'}")
    try:
        assert migrate.upgrade(real, template=False) == migrate.HEAD
        assert migrate.upgrade(copied, template=True) == migrate.HEAD
        assert migrate.current(copied) == migrate.HEAD
        assert _differences(copied) == []
        with copied.begin() as conn:  # a working database, in WAL mode like any other
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            conn.execute(t.counters.insert().values(name="x", value=1))
    finally:
        real.dispose()
        copied.dispose()
    assert _ddl(tmp_path / "copied.sqlite3") == _ddl(tmp_path / "real.sqlite3")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []


def test_the_template_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "legacy.sqlite3"
    shutil.copyfile(FIXTURE, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert migrate.upgrade(engine, template=True) == migrate.HEAD
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(t.debt_positions)).scalar() == 5
    finally:
        engine.dispose()


def test_a_database_at_head_is_upgraded_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'head.sqlite3'}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine, template=False)
    finally:
        engine.dispose()
    script = (
        "import sys\n"
        "from simulator.storage import migrate\n"
        "from simulator.storage.engine import make_engine\n"
        f"print(migrate.upgrade(make_engine({url!r})), 'alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [migrate.HEAD, "False"]
