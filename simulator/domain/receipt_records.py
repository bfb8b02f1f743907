"""What is kept of receipts: the stored receipt (its XML and its list item) and the node's record
of a paid notice, with where its receipt stands (delivered, due later, lost, refused)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    organization: str
    iuv: str
    receipt_id: str
    debtor: str | None
    payment_date: datetime
    xml: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PaidNotice:
    """A notice the node saw paid, and its receipt's fate."""

    fiscal_code: str
    nav: str
    iuv: str
    attempt_id: str
    cart_id: str | None
    paid_at: datetime
    receipt: str  # delivered | due | lost | refused
    receipt_due_at: datetime | None
    duplicate: bool
    document: dict[str, Any]
    id: int | None = None


OFFLINE_PREFIX = "offline-"  # the attempt id a notice paid offline (at a counter) is recorded under
