"""GPD JSON <-> domain: the request model (PaymentPositionModel) and the two response views
(the model as created/updated, and PaymentPositionModelBaseResponse as read/listed)."""

from __future__ import annotations

from typing import Any

from simulator.domain.codes import nav_from_iuv
from simulator.domain.debt_position import (
    Debtor,
    DebtPosition,
    PaymentOption,
    PaymentReport,
    Stamp,
    Transfer,
)
from simulator.domain.errors import InvalidInput
from simulator.web.wire import Fields, compact, format_datetime

TEXT_140 = 140
ID_TRANSFERS = ("1", "2", "3", "4", "5")
IBAN = r"[A-Za-z0-9]{1,35}"


def parse_position(body: Any, organization: str) -> DebtPosition:
    f = Fields(body)
    debtor_type = f.req_text("type")
    if debtor_type not in ("F", "G"):
        raise InvalidInput("type", "must be one of F, G")
    debtor = Debtor(
        type=debtor_type,
        fiscal_code=f.req_text("fiscalCode", min_len=1, max_len=35),
        full_name=f.req_text("fullName", min_len=1, max_len=TEXT_140),
        street_name=f.text("streetName", max_len=70),
        civic_number=f.text("civicNumber", max_len=16),
        postal_code=f.text("postalCode", max_len=16),
        city=f.text("city", max_len=35),
        province=f.text("province", max_len=35),
        region=f.text("region", max_len=35),
        country=f.text("country", pattern=r"[A-Z]{2}"),
        email=f.text("email", max_len=256),
        phone=f.text("phone", max_len=19),
    )
    if "switchToExpired" not in f.data:
        raise InvalidInput("switchToExpired", "is required")
    return DebtPosition(
        organization_fiscal_code=organization,
        iupd=f.req_text("iupd", min_len=1, max_len=256),
        debtor=debtor,
        company_name=f.req_text("companyName", max_len=TEXT_140),
        office_name=f.text("officeName", max_len=TEXT_140),
        switch_to_expired=f.boolean("switchToExpired", required=True),
        pay_stand_in=f.boolean("payStandIn", default=True),
        validity_date=f.moment("validityDate"),
        options=tuple(
            _option(o) for o in f.objects("paymentOption", required=True, min_items=1, max_items=100)
        ),
    )


def _option(f: Fields) -> PaymentOption:
    iuv = f.req_text("iuv", min_len=1, max_len=35)
    nav = f.text("nav", min_len=1, max_len=35) or nav_from_iuv(iuv)
    if len(nav) > 35:  # the default "3" + iuv of a 35-character IUV would not fit the NAV's 35
        raise InvalidInput(
            f.where("iuv"), 'must be at most 34 characters when nav is absent (nav = "3" + iuv)'
        )
    return PaymentOption(
        iuv=iuv,
        nav=nav,
        amount=f.req_integer("amount", minimum=1),
        description=f.req_text("description", max_len=TEXT_140),
        is_partial_payment=f.boolean("isPartialPayment", required=True),
        due_date=f.req_moment("dueDate"),
        retention_date=f.moment("retentionDate"),
        fee=f.integer("fee", minimum=0) or 0,
        transfers=tuple(_transfer(t) for t in f.objects("transfer", required=True, min_items=1, max_items=5)),
        metadata=_metadata(f, "paymentOptionMetadata"),
    )


def _transfer(f: Fields) -> Transfer:
    id_transfer = f.req_text("idTransfer")
    if id_transfer not in ID_TRANSFERS:
        raise InvalidInput(f.where("idTransfer"), "must be one of 1, 2, 3, 4, 5")
    stamp = f.obj("stamp")
    return Transfer(
        id_transfer=id_transfer,
        amount=f.req_integer("amount", minimum=1),
        remittance_information=f.req_text("remittanceInformation", max_len=TEXT_140),
        category=f.req_text("category", min_len=1, max_len=140),
        iban=f.text("iban", pattern=IBAN),
        postal_iban=f.text("postalIban", pattern=r"|" + IBAN) or None,
        stamp=None
        if stamp is None
        else Stamp(
            hash_document=stamp.req_text("hashDocument", max_len=72),
            stamp_type=stamp.req_text("stampType", min_len=2, max_len=2),
            provincial_residence=stamp.req_text("provincialResidence", pattern=r"[A-Z]{2}"),
        ),
        organization_fiscal_code=f.text("organizationFiscalCode", pattern=r"\d{11}"),
        company_name=f.text("companyName", max_len=TEXT_140),
        metadata=_metadata(f, "transferMetadata"),
    )


def _metadata(f: Fields, key: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (m.req_text("key", max_len=TEXT_140), m.req_text("value", max_len=TEXT_140))
        for m in f.objects(key, max_items=10)
    )


def parse_payment(body: Any) -> PaymentReport:
    """The body of ``paymentoptions/paids/{nav}`` (all optional)."""
    f = Fields(body if body is not None else {})
    return PaymentReport(
        payment_date=f.moment("paymentDate"),
        payment_method=f.text("paymentMethod", max_len=35),
        psp_company=f.text("pspCompany", max_len=140),
        id_receipt=f.text("idReceipt", max_len=64),
        fee=f.integer("fee", minimum=0) or 0,
    )


# --- responses ----------------------------------------------------------------------------


def position_model(p: DebtPosition) -> dict[str, Any]:
    """PaymentPositionModel: what create, update, publish and invalidate answer."""
    d = p.debtor
    return compact(
        {
            "iupd": p.iupd,
            "type": d.type,
            "payStandIn": p.pay_stand_in,
            "fiscalCode": d.fiscal_code,
            "fullName": d.full_name,
            "streetName": d.street_name,
            "civicNumber": d.civic_number,
            "postalCode": d.postal_code,
            "city": d.city,
            "province": d.province,
            "region": d.region,
            "country": d.country,
            "email": d.email,
            "phone": d.phone,
            "switchToExpired": p.switch_to_expired,
            "companyName": p.company_name,
            "officeName": p.office_name,
            "validityDate": format_datetime(p.validity_date),
            "paymentDate": format_datetime(p.payment_date),
            "status": p.status.value,
            "paymentOption": [_option_model(o) for o in p.options],
        }
    )


def _option_model(o: PaymentOption) -> dict[str, Any]:
    return compact(
        {
            "nav": o.nav,
            "iuv": o.iuv,
            "amount": o.amount,
            "description": o.description,
            "isPartialPayment": o.is_partial_payment,
            "dueDate": format_datetime(o.due_date),
            "retentionDate": format_datetime(o.retention_date),
            "fee": o.fee,
            "notificationFee": o.notification_fee,
            "transfer": [_transfer_model(t) for t in o.transfers],
            "paymentOptionMetadata": _metadata_out(o.metadata),
        }
    )


def _transfer_model(t: Transfer) -> dict[str, Any]:
    return compact(
        {
            "idTransfer": t.id_transfer,
            "amount": t.amount,
            "organizationFiscalCode": t.organization_fiscal_code,
            "remittanceInformation": t.remittance_information,
            "category": t.category,
            "iban": t.iban,
            "postalIban": t.postal_iban,
            "stamp": _stamp(t.stamp),
            "companyName": t.company_name,
            "transferMetadata": _metadata_out(t.metadata),
        }
    )


def position_response(p: DebtPosition) -> dict[str, Any]:
    """PaymentPositionModelBaseResponse: what get and list answer."""
    return compact(
        {
            "iupd": p.iupd,
            "organizationFiscalCode": p.organization_fiscal_code,
            "type": p.debtor.type,
            "companyName": p.company_name,
            "officeName": p.office_name,
            "insertedDate": format_datetime(p.inserted_date),
            "publishDate": format_datetime(p.publish_date),
            "validityDate": format_datetime(p.validity_date),
            "paymentDate": format_datetime(p.payment_date),
            "status": p.status.value,
            "lastUpdatedDate": format_datetime(p.last_updated_date),
            "paymentOption": [option_response(p, o) for o in p.options],
        }
    )


def option_response(p: DebtPosition, o: PaymentOption) -> dict[str, Any]:
    """PaymentOptionModelResponse."""
    paid = o.payment
    return compact(
        {
            "nav": o.nav,
            "iuv": o.iuv,
            "organizationFiscalCode": p.organization_fiscal_code,
            "amount": o.amount,
            "description": o.description,
            "isPartialPayment": o.is_partial_payment,
            "dueDate": format_datetime(o.due_date),
            "retentionDate": format_datetime(o.retention_date),
            "paymentDate": format_datetime(paid.payment_date) if paid else None,
            "insertedDate": format_datetime(p.inserted_date),
            "paymentMethod": paid.payment_method if paid else None,
            "fee": paid.fee if paid and paid.fee else o.fee,
            "notificationFee": o.notification_fee,
            "pspCompany": paid.psp_company if paid else None,
            "idReceipt": paid.id_receipt if paid else None,
            "status": o.status.value,
            "lastUpdatedDate": format_datetime(p.last_updated_date),
            "paymentOptionMetadata": _metadata_out(o.metadata),
            "transfer": [
                compact(
                    {
                        "organizationFiscalCode": t.organization_fiscal_code or p.organization_fiscal_code,
                        "companyName": t.company_name,
                        "idTransfer": t.id_transfer,
                        "amount": t.amount,
                        "remittanceInformation": t.remittance_information,
                        "category": t.category,
                        "iban": t.iban,
                        "postalIban": t.postal_iban,
                        "stamp": _stamp(t.stamp),
                        "insertedDate": format_datetime(p.inserted_date),
                        "status": t.status.value,
                        "lastUpdatedDate": format_datetime(p.last_updated_date),
                        "transferMetadata": _metadata_out(t.metadata),
                    }
                )
                for t in o.transfers
            ],
        }
    )


def _stamp(s: Stamp | None) -> dict[str, str] | None:
    if s is None:
        return None
    return {
        "hashDocument": s.hash_document,
        "stampType": s.stamp_type,
        "provincialResidence": s.provincial_residence,
    }


def _metadata_out(items: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in items]
