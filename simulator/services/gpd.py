"""The GPD use cases: debt positions of a tenant's creditors, with the time-driven statuses
brought up to date against the tenant's clock before anything is read (what has come due first:
a pending payment's result, a late receipt; GPD learns of an online payment from its receipt)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.domain import debt_position as dp
from simulator.domain.debt_position import DebtPosition, PaymentReport
from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.services.context import Sandbox
from simulator.services.due import settle_due
from simulator.storage.store import Duplicate, Page, PositionQuery, Tx


@dataclass(frozen=True, slots=True)
class GpdService:
    sandbox: Sandbox

    def create(self, tenant: str, position: DebtPosition, to_publish: bool) -> DebtPosition:
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            created = dp.create(position, now, to_publish)
            try:
                tx.insert_position(tenant, created)
            except Duplicate:
                raise DebtPositionError(
                    GpdReason.UNIQUE_VIOLATION, org=position.organization_fiscal_code
                ) from None
            return created

    def get(self, tenant: str, org: str, iupd: str) -> DebtPosition:
        with self.sandbox.store.transaction() as tx:
            return self._current(tx, tenant, org, iupd)

    def list(self, tenant: str, org: str, query: PositionQuery) -> Page:
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            settle_due(tx, self.sandbox, tenant, now)
            for position in tx.positions_to_settle(tenant, org, now):
                tx.save_position(tenant, dp.settle(position, now))
            return tx.list_positions(tenant, org, query)

    def update(self, tenant: str, org: str, iupd: str, new: DebtPosition, to_publish: bool) -> DebtPosition:
        with self.sandbox.store.transaction() as tx:
            current = self._current(tx, tenant, org, iupd)
            updated = dp.update(current, new, self.sandbox.tenant_now(tx, tenant), to_publish)
            try:
                tx.save_position(tenant, updated)
            except Duplicate:
                raise DebtPositionError(GpdReason.UNIQUE_VIOLATION, org=org) from None
            return updated

    def delete(self, tenant: str, org: str, iupd: str) -> None:
        with self.sandbox.store.transaction() as tx:
            dp.check_deletable(self._current(tx, tenant, org, iupd))
            tx.delete_position(tenant, org, iupd)

    def publish(self, tenant: str, org: str, iupd: str) -> DebtPosition:
        return self._transition(tenant, org, iupd, dp.publish)

    def invalidate(self, tenant: str, org: str, iupd: str) -> DebtPosition:
        return self._transition(tenant, org, iupd, dp.invalidate)

    def mark_paid(self, tenant: str, org: str, nav: str, report: PaymentReport) -> DebtPosition:
        """GPD's ``paymentoptions/paids/{nav}``: a notice paid outside pagoPA's online flow."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            settle_due(tx, self.sandbox, tenant, now)
            position = tx.position_by_nav(tenant, org, nav)
            if position is None:
                raise DebtPositionError(GpdReason.OPTION_NOT_FOUND, org=org, nav=nav)
            # settled at "now" first: whether the position has expired must not depend on whether
            # someone read it before (reads save the settled status), nor on a back-dated report
            paid = dp.pay_option(dp.settle(position, now), nav, report.at(now))
            tx.save_position(tenant, paid)
            return paid

    def _transition(self, tenant: str, org: str, iupd: str, step: dp.Transition) -> DebtPosition:
        with self.sandbox.store.transaction() as tx:
            current = self._current(tx, tenant, org, iupd)
            moved = step(current, self.sandbox.tenant_now(tx, tenant))
            tx.save_position(tenant, moved)
            return moved

    def _current(self, tx: Tx, tenant: str, org: str, iupd: str) -> DebtPosition:
        now = self.sandbox.tenant_now(tx, tenant)
        settle_due(tx, self.sandbox, tenant, now)
        position = tx.position(tenant, org, iupd)
        if position is None:
            raise DebtPositionError(GpdReason.NOT_FOUND, org=org, iupd=iupd)
        settled = dp.settle(position, now)
        if settled != position:
            tx.save_position(tenant, settled)
        return settled
