"""Which due notifications to start when a delivery thread has free slots, so that one bad
receiver, or one tenant's backlog, delays nobody else: at most ``per_destination`` attempts in
flight to one host:port and ``per_tenant`` for one tenant, and each free slot to the tenant with
the fewest attempts in flight (ties: the one served least recently). Pure: the thread counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["Due", "InFlight", "Share", "pick_fairly"]


@dataclass(frozen=True, slots=True)
class Due:
    """A due delivery as the claim sees it: its row, its tenant, where it goes (host:port)."""

    key: int
    tenant: str
    destination: str


@dataclass(frozen=True, slots=True)
class Share:
    per_destination: int
    per_tenant: int


@dataclass(frozen=True, slots=True)
class InFlight:
    """Attempts running now, and the tenants in the order they were last served (oldest first)."""

    destinations: Mapping[str, int] = field(default_factory=dict)
    tenants: Mapping[str, int] = field(default_factory=dict)
    served: Sequence[str] = ()


def pick_fairly(
    due: Mapping[str, Sequence[Due]], limit: int, share: Share | None = None, busy: InFlight | None = None
) -> list[Due]:
    """Up to ``limit`` of ``due`` (per tenant, each in the order it is due) to start now. Without
    ``share`` nothing is capped and the tenants still take turns."""
    busy = busy or InFlight()
    destinations, tenants = Counter(busy.destinations), Counter(busy.tenants)
    served = {tenant: n for n, tenant in enumerate(busy.served)}
    left = {tenant: list(rows) for tenant, rows in due.items() if rows}
    picked: list[Due] = []
    while left and len(picked) < limit:
        tenant = min(left, key=lambda t: (tenants[t], served.get(t, -1), t))
        row = _next_admissible(left[tenant], destinations, share)
        if row is None or (share is not None and tenants[tenant] >= share.per_tenant):
            del left[tenant]
            continue
        left[tenant].remove(row)
        picked.append(row)
        tenants[tenant] += 1
        destinations[row.destination] += 1
    return picked


def _next_admissible(rows: list[Due], destinations: Counter[str], share: Share | None) -> Due | None:
    for row in rows:
        if share is None or destinations[row.destination] < share.per_destination:
            return row
    return None
