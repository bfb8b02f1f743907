"""Small builders of paid positions, payment facts and receipts (pure domain values, no Flask)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.domain.debt_position import (
    Debtor,
    DebtPosition,
    PaymentOption,
    PositionStatus,
    Stamp,
    Transfer,
    pay_option,
)
from simulator.domain.receipt import PaymentFacts, Receipt, Subject, SubjectType, build_receipt

PAID_AT = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # 10:00 in Rome
ORG = "77777777777"
IUV = "02000000000012320"
IBAN = "IT60X0542811101000000123456"


def iban_transfer(id_transfer: str = "1", amount: int = 10_000, **overrides: Any) -> Transfer:
    fields: dict[str, Any] = {
        "remittance_information": "TARI 2026",
        "category": "9/0101108TS/",
        "iban": IBAN,
        **overrides,
    }
    return Transfer(id_transfer=id_transfer, amount=amount, **fields)


def stamp_transfer(id_transfer: str = "2", amount: int = 1_600) -> Transfer:
    stamp = Stamp(hash_document="ZHVtbXkgaGFzaA==", stamp_type="01", provincial_residence="RM")
    return iban_transfer(id_transfer, amount, iban=None, stamp=stamp, remittance_information="Bollo")


def debtor(fiscal_code: str = "RSSMRA80A01H501U", **overrides: Any) -> Debtor:
    fields: dict[str, Any] = {"type": "F", "full_name": "Mario Rossi", **overrides}
    return Debtor(fiscal_code=fiscal_code, **fields)


def payable_position(
    iuv: str = IUV,
    *,
    transfers: tuple[Transfer, ...] | None = None,
    org: str = ORG,
    debtor_value: Debtor | None = None,
    option_overrides: dict[str, Any] | None = None,
    **overrides: Any,
) -> DebtPosition:
    """A VALID position with one option (NAV ``3`` + iuv) whose transfers make its amount."""
    transfers = transfers if transfers is not None else (iban_transfer(),)
    option_fields: dict[str, Any] = {
        "nav": "3" + iuv,
        "amount": sum(t.amount for t in transfers),
        "description": "Tassa rifiuti 2026",
        "is_partial_payment": False,
        "due_date": PAID_AT + timedelta(days=30),
        **(option_overrides or {}),
    }
    option = PaymentOption(iuv=iuv, transfers=transfers, **option_fields)
    fields: dict[str, Any] = {
        "organization_fiscal_code": org,
        "iupd": f"IUPD-{iuv}",
        "debtor": debtor_value or debtor(),
        "company_name": "Comune di Test",
        "status": PositionStatus.VALID,
        "validity_date": PAID_AT - timedelta(days=1),
        **overrides,
    }
    return DebtPosition(options=(option,), **fields)


def facts(**overrides: Any) -> PaymentFacts:
    fields: dict[str, Any] = {
        "receipt_id": "c110729d258c4ab1b765fe902aae41d6",
        "paid_at": PAID_AT,
        "id_psp": "BCITITMM",
        "psp_company_name": "Intesa Sanpaolo",
        "id_channel": "00799960158_01",
        "channel_description": "app",
        "payment_method": "CP",
        "fee": 150,
        **overrides,
    }
    return PaymentFacts(**fields)


def paid_position(position: DebtPosition | None = None, payment: PaymentFacts | None = None) -> DebtPosition:
    position = position or payable_position()
    return pay_option(position, position.options[0].nav, (payment or facts()).gpd_payment())


def receipt(
    position: DebtPosition | None = None, payment: PaymentFacts | None = None, **changes: Any
) -> Receipt:
    """The receipt of a freshly paid position; ``changes`` then replace fields of the receipt."""
    payment = payment or facts()
    paid = paid_position(position, payment)
    built = build_receipt(paid, paid.options[0].nav, payment)
    return replace(built, **changes) if changes else built


def payer(**overrides: Any) -> Subject:
    fields: dict[str, Any] = {
        "type": SubjectType.F,
        "fiscal_code": "BNCLRD75B41F205X",
        "full_name": "Laura Bianchi",
        "email": "laura.bianchi@example.com",
        **overrides,
    }
    return Subject(**fields)
