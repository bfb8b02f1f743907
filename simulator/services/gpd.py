"""The GPD use cases: debt positions of a tenant's creditors. The unit has already brought the
time-driven statuses up to date against the tenant's clock (and what came due before them: a
pending payment's result, a late receipt; GPD learns of an online payment from its receipt)."""

from __future__ import annotations

from simulator.domain import debt_position as dp
from simulator.domain.debt_position import DebtPosition, PaymentReport
from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.queries import Page, PositionQuery
from simulator.services.unit import Unit
from simulator.storage.errors import Duplicate

__all__ = ["create", "delete", "get", "invalidate", "list_positions", "mark_paid", "publish", "update"]


def create(unit: Unit, position: DebtPosition, to_publish: bool) -> DebtPosition:
    created = dp.create(position, unit.now, to_publish)
    try:
        unit.positions.insert(created)
    except Duplicate:
        raise DebtPositionError(GpdReason.UNIQUE_VIOLATION, org=position.organization_fiscal_code) from None
    return created


def get(unit: Unit, org: str, iupd: str) -> DebtPosition:
    position = unit.positions.get(org, iupd)
    if position is None:
        raise DebtPositionError(GpdReason.NOT_FOUND, org=org, iupd=iupd)
    return dp.settle(position, unit.now)


def list_positions(unit: Unit, org: str, query: PositionQuery) -> Page:
    return unit.positions.find(org, query)


def update(unit: Unit, org: str, iupd: str, new: DebtPosition, to_publish: bool) -> DebtPosition:
    updated = dp.update(get(unit, org, iupd), new, unit.now, to_publish)
    try:
        unit.positions.save(updated)
    except Duplicate:
        raise DebtPositionError(GpdReason.UNIQUE_VIOLATION, org=org) from None
    return updated


def delete(unit: Unit, org: str, iupd: str) -> None:
    dp.check_deletable(get(unit, org, iupd))
    unit.positions.delete(org, iupd)


def publish(unit: Unit, org: str, iupd: str) -> DebtPosition:
    return _transition(unit, org, iupd, dp.publish)


def invalidate(unit: Unit, org: str, iupd: str) -> DebtPosition:
    return _transition(unit, org, iupd, dp.invalidate)


def mark_paid(unit: Unit, org: str, nav: str, report: PaymentReport) -> DebtPosition:
    """GPD's ``paymentoptions/paids/{nav}``: a notice paid outside pagoPA's online flow."""
    position = unit.positions.by_nav(org, nav)
    if position is None:
        raise DebtPositionError(GpdReason.OPTION_NOT_FOUND, org=org, nav=nav)
    # settled at "now" first: whether the position has expired must not depend on a back-dated report
    paid = dp.pay_option(dp.settle(position, unit.now), nav, report.at(unit.now))
    unit.positions.save(paid)
    return paid


def _transition(unit: Unit, org: str, iupd: str, step: dp.Transition) -> DebtPosition:
    moved = step(get(unit, org, iupd), unit.now)
    unit.positions.save(moved)
    return moved
