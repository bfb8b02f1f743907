"""Creditors (EC). An unknown fiscal code becomes an organization on first use, with a realistic
fake name that depends only on the fiscal code, so every worker invents the same one."""

from __future__ import annotations

from simulator.domain.organization import Organization
from simulator.services.fakes import seeded_faker
from simulator.services.unit import Unit

SEGREGATION_CODES = 50  # pagoPA assigns 00..49 per EC


def segregation_code_for(fiscal_code: str) -> int:
    return int(fiscal_code) % SEGREGATION_CODES


def invent_company_name(fiscal_code: str, seed: int) -> str:
    return f"Comune di {seeded_faker(seed + int(fiscal_code)).city()}"


def ensure(unit: Unit, fiscal_code: str, company_name: str | None = None) -> Organization:
    existing = unit.tenants.organization(fiscal_code)
    if existing is not None:
        return existing
    unit.require_write()
    org = Organization(
        fiscal_code=fiscal_code,
        company_name=company_name or invent_company_name(fiscal_code, unit.settings.faker_seed),
        segregation_code=segregation_code_for(fiscal_code),
        settings={},
    )
    unit.tenants.add_organization(org)
    return unit.tenants.organization(fiscal_code) or org
