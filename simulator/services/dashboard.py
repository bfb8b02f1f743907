"""What the dashboard reads: a tenant's carts as rows (state, outcome, scenario, attempt), filtered
and searched on the server; the tenants there are; and a cheap "did anything change?" for live
updates. Steering goes through the same use cases as the sandbox API (``control``, ``offline``,
``tenant_clock``, ``notifications``): the dashboard has no second implementation of any of them."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.domain.cart import Cart
from simulator.domain.cart_status import CartState, cart_outcome, cart_state
from simulator.domain.journal import JournalEntry
from simulator.domain.payment import OutcomeCode, PaymentAttempt
from simulator.services.unit import Unit
from simulator.storage.checkout import recent_carts, tenants_with_carts
from simulator.storage.history import latest_change

LISTED = 200  # the newest carts a dashboard page looks at (filters apply to these)


@dataclass(frozen=True, slots=True)
class CartRow:
    """One cart as the dashboard lists it, as of the tenant's now."""

    cart: Cart
    attempt: PaymentAttempt | None
    state: CartState
    outcome: OutcomeCode | None
    scenario_id: str | None

    @property
    def creditors(self) -> list[str]:
        return list(dict.fromkeys(n.company_name or n.fiscal_code for n in self.cart.notices))

    @property
    def fiscal_codes(self) -> list[str]:
        return list(dict.fromkeys(n.fiscal_code for n in self.cart.notices))


@dataclass(frozen=True, slots=True)
class CartFilter:
    """The dashboard's filters: a state, a creditor's fiscal code, and free text searched in the
    cart's ids, notice numbers, creditors, descriptions and scenario."""

    state: CartState | None = None
    creditor: str | None = None
    text: str | None = None

    def keeps(self, row: CartRow) -> bool:
        if self.state is not None and row.state is not self.state:
            return False
        if self.creditor and self.creditor not in row.fiscal_codes:
            return False
        if self.text:
            wanted = self.text.casefold()
            return any(wanted in part.casefold() for part in _searchable(row))
        return True


def _searchable(row: CartRow) -> list[str]:
    cart = row.cart
    parts = [cart.id, cart.id_cart or "", row.scenario_id or ""]
    if row.attempt is not None:
        parts += [row.attempt.id, row.attempt.psp_name or ""]
    for n in cart.notices:
        parts += [n.notice_number, n.fiscal_code, n.company_name, n.description]
    return parts


def cart_row(unit: Unit, cart: Cart) -> CartRow:
    attempt = unit.checkout.attempt(cart.attempt_id) if cart.attempt_id is not None else None
    choice = (attempt.scenario if attempt is not None else None) or cart.scenario
    return CartRow(
        cart=cart,
        attempt=attempt,
        state=cart_state(cart, attempt, unit.now),
        outcome=cart_outcome(cart, attempt),
        scenario_id=choice.scenario_id if choice is not None else None,
    )


def carts(unit: Unit, wanted: CartFilter, limit: int = LISTED) -> list[CartRow]:
    """The tenant's newest carts that pass the filter, newest first. Attempts are read as stored:
    what time made due was applied when the unit opened."""
    rows = (cart_row(unit, cart) for cart in recent_carts(unit.checkout, limit))
    return [row for row in rows if wanted.keeps(row)]


def tenants(unit: Unit) -> list[str]:
    """The tenants that have carts (for the switcher; any other name can be typed), read in the
    request's own transaction."""
    return tenants_with_carts(unit.tx.conn)


def change_mark(unit: Unit) -> str:
    """A short mark that moves whenever the tenant's events or journal grow (two indexed MAX
    queries): what a live view compares to know it must refresh."""
    event_id, entry_id = latest_change(unit.history)
    return f"{event_id}.{entry_id}"


def journal_entry(unit: Unit, entry_id: int) -> JournalEntry | None:
    return unit.history.journal_entry(entry_id)
