"""Bringing a database to the schema this code needs."""

from __future__ import annotations

from sqlalchemy import Engine

from simulator.storage import tables


def prepare_schema(engine: Engine) -> None:
    tables.metadata.create_all(engine)
