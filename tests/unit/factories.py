"""Small builders of debt-position values for the unit tests; every time is a fixed aware UTC datetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.domain.debt_position import (
    Debtor,
    DebtPosition,
    Payment,
    PaymentOption,
    Stamp,
    Transfer,
)

NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
ORG = "77777777777"
DAY = timedelta(days=1)


def transfer(id_transfer: str = "1", amount: int = 10_000, **overrides: Any) -> Transfer:
    """A transfer paid to an IBAN, unless ``overrides`` say otherwise."""
    fields: dict[str, Any] = {
        "remittance_information": "TARI 2026",
        "category": "9/0101108TS/",
        "iban": "IT60X0542811101000000123456",
        **overrides,
    }
    return Transfer(id_transfer=id_transfer, amount=amount, **fields)


def stamp_transfer(id_transfer: str = "1", amount: int = 1_600, **overrides: Any) -> Transfer:
    """A transfer paid with a digital stamp (marca da bollo) instead of an IBAN."""
    stamp = Stamp(hash_document="ZHVtbXkgaGFzaA==", stamp_type="01", provincial_residence="RM")
    return transfer(id_transfer, amount, **{"iban": None, "stamp": stamp, **overrides})


def option(
    iuv: str = "02000000000012320",
    amount: int = 10_000,
    *,
    transfers: tuple[Transfer, ...] | None = None,
    **overrides: Any,
) -> PaymentOption:
    """A single-payment option due in 30 days whose one transfer carries the whole amount."""
    fields: dict[str, Any] = {
        "nav": "3" + iuv,
        "description": "Tassa rifiuti 2026",
        "is_partial_payment": False,
        "due_date": NOW + 30 * DAY,
        **overrides,
    }
    return PaymentOption(
        iuv=iuv,
        amount=amount,
        transfers=transfers if transfers is not None else (transfer(amount=amount),),
        **fields,
    )


def instalment(number: int, amount: int = 5_000, **overrides: Any) -> PaymentOption:
    """Instalment ``number`` (1, 2, ...) of a plan: a partial-payment option due ``number`` months ahead."""
    iuv = f"0200000000009{number:04d}"
    return option(iuv, amount, is_partial_payment=True, due_date=NOW + 30 * number * DAY, **overrides)


def debtor() -> Debtor:
    return Debtor(type="F", fiscal_code="RSSMRA80A01H501U", full_name="Mario Rossi")


def position(*options: PaymentOption, **overrides: Any) -> DebtPosition:
    """A DRAFT debt position of the test EC with the given options (one full option by default)."""
    fields: dict[str, Any] = {
        "organization_fiscal_code": ORG,
        "iupd": "IUPD-2026-0001",
        "debtor": debtor(),
        "company_name": "Comune di Test",
        **overrides,
    }
    return DebtPosition(options=options or (option(),), **fields)


def payment(when: datetime = NOW, **overrides: Any) -> Payment:
    return Payment(payment_date=when, **overrides)
