"""What the tenant's clock has made due, applied when a unit opens (``Sandbox.unit`` asks one
indexed question first, and calls this only when something is due): pending payments whose
scripted result has come and tokens that ended, then receipts whose delivery time has come, then
debt positions whose status moved (published -> valid, valid -> expired). No scheduler: exact for
any clock, the same in every worker."""

from __future__ import annotations

from simulator.domain import debt_position as dp
from simulator.services import payments
from simulator.services.receipts import deliver_due_receipts
from simulator.services.unit import Unit

__all__ = ["settle"]


def settle(unit: Unit) -> None:
    payments.resolve_due(unit)
    deliver_due_receipts(unit)
    for position in unit.positions.to_settle(unit.now):
        unit.positions.save(dp.settle(position, unit.now))
