"""The GPD receipts service's reads (reference §5): an EC's receipts as a paged list, and one
receipt's XML. The unit has applied what the tenant's clock made due (a pending payment's result,
a late receipt), so an EC polling GPD sees what production would show it by then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from simulator.domain import receipt_window
from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.italian_time import italian_date
from simulator.services.unit import Unit

__all__ = ["ReceiptQuery", "ReceiptsPage", "find_receipts", "receipt_xml"]


@dataclass(frozen=True, slots=True)
class ReceiptQuery:
    page: int = 0
    size: int = 20
    debtor: str | None = None
    date_from: date | None = None  # Italian calendar days of payment
    date_to: date | None = None
    debtor_or_iuv: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptsPage:
    """One page of the list: items are the wire documents (ReceiptModelResponse)."""

    page: int
    items: list[dict[str, Any]]
    total_pages: int


def find_receipts(unit: Unit, organization: str, query: ReceiptQuery) -> ReceiptsPage:
    """A page of an EC's receipts paid in the window (by default the last three months), newest
    payment first; a page past the end — so the first page of an empty list too — is
    RECEIPTS_PAGE_TOO_BIG, as production answers it."""
    first, last = receipt_window.window(query.date_from, query.date_to, italian_date(unit.now))
    since, until = receipt_window.bounds(first, last)
    found = unit.receipts.find(
        organization,
        page=query.page,
        size=query.size,
        debtor=query.debtor,
        date_from=since,
        date_to=until,
        debtor_or_iuv=query.debtor_or_iuv,
    )
    total_pages = -(-found.total // query.size)
    if query.page >= total_pages:
        raise DebtPositionError(GpdReason.RECEIPTS_PAGE_TOO_BIG)
    return ReceiptsPage(query.page, [row.document for row in found.items], total_pages)


def receipt_xml(unit: Unit, organization: str, iuv: str) -> str:
    """The stored paSendRTV2Request of one IUV; RECEIPT_NOT_FOUND when there is none."""
    row = unit.receipts.get(organization, iuv)
    if row is None:
        raise DebtPositionError(GpdReason.RECEIPT_NOT_FOUND, org=organization, iuv=iuv)
    return row.xml
