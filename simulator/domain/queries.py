"""Queries over debt positions as GPD's list endpoint asks them, and one page of results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from simulator.domain.debt_position import PositionStatus


@dataclass(frozen=True, slots=True)
class PositionQuery:
    page: int = 0
    limit: int = 10
    due_date_from: date | None = None
    due_date_to: date | None = None
    payment_date_from: date | None = None
    payment_date_to: date | None = None
    status: PositionStatus | None = None
    orderby: str = "INSERTED_DATE"
    ordering: str = "DESC"


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    total: int
