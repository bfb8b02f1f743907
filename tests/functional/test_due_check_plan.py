"""The question every unit asks when it opens (is anything due for the tenant by now?) is answered
from indexes: SQLite's plan searches an index for each part and scans no table, so its cost does not
grow with the tenant's positions, attempts or receipts."""

from __future__ import annotations

from flask import Flask

from simulator.services.context import _ANYTHING_DUE


def test_the_due_check_searches_indexes_and_scans_no_table(app: Flask) -> None:
    engine = app.extensions["sandbox"].database.engine
    compiled = _ANYTHING_DUE.compile(dialect=engine.dialect)
    values = compiled.construct_params({"tenant": "default", "now": "2026-03-02 00:00:00.000000"})
    positional = tuple(values[name] for name in compiled.positiontup or ())
    with engine.connect() as conn:
        plan = [
            str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), positional)
        ]
    searches = [step for step in plan if step.startswith("SEARCH")]
    assert len(searches) == 5, plan
    assert all("INDEX" in step for step in searches), plan
    assert not [step for step in plan if step.startswith("SCAN") and step != "SCAN CONSTANT ROW"], plan
