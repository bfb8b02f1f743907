"""Fresh notice numbers for users: unique per tenant and EC, aux digit 3, the EC's segregation code."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.domain.codes import Nav, new_nav
from simulator.services import organizations
from simulator.services.unit import Unit


@dataclass(frozen=True, slots=True)
class FreshNotice:
    fiscal_code: str
    segregation_code: str
    nav: Nav

    @property
    def iuv(self) -> str:
        return self.nav.iuv


def fresh_notice(unit: Unit, fiscal_code: str) -> FreshNotice:
    org = organizations.ensure(unit, fiscal_code)
    while True:
        sequence = unit.tenants.next_iuv_sequence(fiscal_code)
        nav = new_nav(org.segregation_code, sequence)
        if not unit.tenants.iuv_or_nav_taken(fiscal_code, nav.iuv, nav.value):
            return FreshNotice(fiscal_code, f"{org.segregation_code:02d}", nav)
