"""Resetting a tenant: all of its state goes. A sandbox served with ``--demo`` gets the demo
creditor back in the same transaction when the demo tenant is reset, so the printed demo NAVs
keep working after a reset as they do after a restart."""

from __future__ import annotations

from simulator.services import demo
from simulator.services.unit import Unit


def reset_tenant(unit: Unit) -> None:
    unit.tenants.reset()
    if unit.settings.demo and unit.tenant == demo.DEMO_TENANT:
        demo.seed(unit)
