"""What the tenant's clock has made due, applied before anything that shows it is read: pending
payments whose scripted result has come (paid or refunded), then receipts whose delivery time has
come. Lazy, as positions are settled: no scheduler, exact for any clock, the same in every worker."""

from __future__ import annotations

from datetime import datetime

from simulator.services.context import Sandbox
from simulator.services.payments import PaymentService
from simulator.services.receipts import deliver_due_receipts
from simulator.storage.store import Tx

__all__ = ["settle_due"]


def settle_due(tx: Tx, sandbox: Sandbox, tenant: str, now: datetime) -> None:
    PaymentService(sandbox).resolve_due(tx, tenant, now)
    deliver_due_receipts(tx, tenant, now)
