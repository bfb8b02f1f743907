"""Creditors (EC). An unknown fiscal code becomes an organization on first use, with a realistic
fake name that depends only on the fiscal code, so every worker invents the same one."""

from __future__ import annotations

from simulator.services.fakes import seeded_faker
from simulator.storage.store import Organization, Tx

SEGREGATION_CODES = 50  # pagoPA assigns 00..49 per EC


def segregation_code_for(fiscal_code: str) -> int:
    return int(fiscal_code) % SEGREGATION_CODES


def invent_company_name(fiscal_code: str, seed: int) -> str:
    return f"Comune di {seeded_faker(seed + int(fiscal_code)).city()}"


def ensure(tx: Tx, tenant: str, fiscal_code: str, seed: int, company_name: str | None = None) -> Organization:
    existing = tx.organization(tenant, fiscal_code)
    if existing is not None:
        return existing
    org = Organization(
        fiscal_code=fiscal_code,
        company_name=company_name or invent_company_name(fiscal_code, seed),
        segregation_code=segregation_code_for(fiscal_code),
        settings={},
    )
    tx.add_organization(tenant, org)
    return tx.organization(tenant, fiscal_code) or org
