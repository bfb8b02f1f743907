"""Fresh notice numbers for users: unique per tenant and EC, aux digit 3, the EC's segregation code."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.domain.codes import Nav, new_nav
from simulator.services import organizations
from simulator.services.context import Sandbox


@dataclass(frozen=True, slots=True)
class FreshNotice:
    fiscal_code: str
    segregation_code: str
    nav: Nav

    @property
    def iuv(self) -> str:
        return self.nav.iuv


def fresh_notice(sandbox: Sandbox, tenant: str, fiscal_code: str) -> FreshNotice:
    with sandbox.store.transaction() as tx:
        org = organizations.ensure(tx, tenant, fiscal_code, sandbox.settings.faker_seed)
        while True:
            sequence = tx.next_iuv_sequence(tenant, fiscal_code)
            nav = new_nav(org.segregation_code, sequence)
            if not tx.iuv_or_nav_taken(tenant, fiscal_code, nav.iuv, nav.value):
                return FreshNotice(fiscal_code, f"{org.segregation_code:02d}", nav)
