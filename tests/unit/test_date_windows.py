"""The date windows of GPD's lists, as its Java code draws them (docs/production-behaviour.md)."""

from __future__ import annotations

from datetime import date

import pytest

from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.queries import date_window
from simulator.domain.receipt_window import add_months, window


def test_months_move_like_javas_plus_months() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_receipts_window_defaults_and_clamps_to_today() -> None:
    today = date(2026, 3, 2)
    assert window(None, None, today) == (date(2025, 12, 2), today)
    assert window(date(2026, 2, 1), None, today) == (date(2026, 2, 1), today)
    assert window(None, date(2026, 1, 31), today) == (date(2025, 10, 31), date(2026, 1, 31))
    assert window(date(2025, 12, 2), date(2026, 3, 2), today) == (date(2025, 12, 2), date(2026, 3, 2))
    with pytest.raises(DebtPositionError) as caught:
        window(date(2025, 12, 1), date(2026, 3, 2), today)
    assert caught.value.reason is GpdReason.RECEIPTS_DATE_RANGE


def test_gpd_window_counts_whole_days_to_the_last_nanosecond() -> None:
    assert date_window(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 3, 1), date(2026, 3, 31))
    assert date_window(date(2026, 3, 1), None) == (date(2026, 3, 1), date(2026, 3, 31))
    assert date_window(None, date(2026, 3, 31)) == (date(2026, 3, 1), date(2026, 3, 31))
    assert date_window(date(2026, 3, 2), date(2026, 3, 2)) == (date(2026, 3, 2), date(2026, 3, 2))
    assert date_window(None, None) == (None, None)
    for low, high, days in (
        (date(2026, 3, 1), date(2026, 4, 1), "31"),
        (date(2026, 3, 2), date(2026, 3, 1), "0"),
    ):
        with pytest.raises(DebtPositionError) as caught:
            date_window(low, high)
        assert caught.value.reason is GpdReason.NOT_RECOVERABLE
        assert f"days_between_from_to= {days}," in caught.value.detail
