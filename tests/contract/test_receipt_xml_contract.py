"""Rendered receipts validate against the official paForNode.xsd (paSendRTV2Request, ctReceiptV2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simulator.domain.receipt import Receipt, SubjectType
from simulator.domain.receipt_xml import render_receipt
from tests.conftest import SPECS
from tests.unit import receipt_factories as f

XSD = SPECS / "wsdl" / "xsd" / "paForNode.xsd"

pytestmark = pytest.mark.contract

xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def schema() -> object:
    return xmlschema.XMLSchema(str(XSD))


def assert_valid(schema: object, receipt: Receipt) -> None:
    xml = render_receipt(receipt)
    errors = [str(e) for e in schema.iter_errors(xml)]  # type: ignore[attr-defined]
    assert errors == [], "\n".join(errors) + "\n" + xml


def test_a_plain_receipt_is_a_valid_pa_send_rt_v2_request(schema: object) -> None:
    assert_valid(schema, f.receipt())


def test_a_receipt_with_every_optional_element_is_valid(schema: object) -> None:
    debtor = f.debtor(
        type="G",
        fiscal_code="15376371009",
        full_name="Rossi & Figli S.r.l.",
        street_name="Via del Corso",
        civic_number="12/B",
        postal_code="00186",
        city="Roma",
        province="RM",
        country="IT",
        email="amministrazione@rossi-figli.example.it",
    )
    position = f.payable_position(
        debtor_value=debtor,
        office_name="Ufficio Tributi",
        transfers=(
            f.iban_transfer(
                "1",
                8_400,
                organization_fiscal_code="80078750587",
                company_name="Regione Lazio",
                metadata=(("capitolo", "123"),),
            ),
            f.stamp_transfer("2", 1_600),
        ),
        option_overrides={"metadata": (("anno", "2026"),)},
    )
    payment = f.facts(payer=f.payer(type=SubjectType.F), payment_note="cart-0001")

    assert_valid(schema, f.receipt(position, payment))


def test_five_transfers_are_valid(schema: object) -> None:
    transfers = tuple(f.iban_transfer(str(i), 1_000 * i) for i in range(1, 6))

    assert_valid(schema, f.receipt(f.payable_position(transfers=transfers)))


def test_hostile_and_oversized_user_text_still_gives_a_valid_receipt(schema: object) -> None:
    nasty = "<script>alert(\"x\")</script> & 'q' ]]> \x01"
    debtor = f.debtor(full_name=nasty * 10, city="C" * 35, email="not an email", fiscal_code="ANONIMO")
    position = f.payable_position(
        debtor_value=debtor,
        company_name=nasty,
        transfers=(f.iban_transfer(remittance_information=nasty),),
        option_overrides={"description": nasty, "metadata": tuple((f"k{i}", nasty) for i in range(20))},
    )
    payment = f.facts(psp_company_name="P" * 100, channel_description="D" * 50, payment_note=nasty * 20)

    assert_valid(schema, f.receipt(position, payment))


def test_a_zero_fee_and_a_summer_payment_are_valid(schema: object) -> None:
    payment = f.facts(fee=0, paid_at=datetime(2026, 8, 15, 23, 59, 59, 999999, tzinfo=UTC))

    assert_valid(schema, f.receipt(payment=payment))
