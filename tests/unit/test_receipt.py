"""Receipts without Flask: building one from a paid option, and its paSendRTV2Request XML."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import pytest

from simulator.domain.debt_position import OptionStatus
from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.italian_time import xsd_date_time
from simulator.domain.receipt import Outcome, SubjectType, build_receipt
from simulator.domain.receipt_xml import PA_FOR_NODE, render_receipt
from tests.unit import receipt_factories as f

RECEIPT_ORDER = [
    "receiptId",
    "noticeNumber",
    "fiscalCode",
    "outcome",
    "creditorReferenceId",
    "paymentAmount",
    "description",
    "companyName",
    "officeName",
    "debtor",
    "transferList",
    "idPSP",
    "PSPCompanyName",
    "idChannel",
    "channelDescription",
    "payer",
    "paymentMethod",
    "paymentNote",
    "fee",
    "paymentDateTime",
    "applicationDate",
    "transferDate",
    "metadata",
]
AMOUNT = re.compile(r"\d+\.\d{2}")


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode())


def receipt_element(xml: str) -> ET.Element:
    found = parse(xml).find("receipt")
    assert found is not None
    return found


def text(element: ET.Element, path: str) -> str | None:
    return element.findtext(path)


# --- building ------------------------------------------------------------------------------


def test_receipt_of_a_paid_option_carries_the_notice_the_debtor_and_the_payment() -> None:
    receipt = f.receipt(payment=f.facts(payment_note="cart-42"))

    assert receipt.notice_number == "3" + f.IUV
    assert receipt.creditor_reference_id == receipt.iuv == f.IUV
    assert receipt.fiscal_code == f.ORG
    assert receipt.outcome is Outcome.OK
    assert receipt.payment_amount == 10_000
    assert receipt.description == "Tassa rifiuti 2026"
    assert receipt.company_name == "Comune di Test"
    assert receipt.debtor.type is SubjectType.F
    assert receipt.debtor.fiscal_code == "RSSMRA80A01H501U"
    assert receipt.debtor.full_name == "Mario Rossi"
    assert (receipt.id_psp, receipt.psp_company_name) == ("BCITITMM", "Intesa Sanpaolo")
    assert (receipt.id_channel, receipt.channel_description) == ("00799960158_01", "app")
    assert (receipt.payment_method, receipt.fee) == ("CP", 150)
    assert receipt.receipt_id == "c110729d258c4ab1b765fe902aae41d6"
    assert receipt.payment_note == "cart-42"
    assert receipt.payment_date_time == f.PAID_AT


def test_each_transfer_keeps_its_beneficiary_and_defaults_to_the_position_ec() -> None:
    other_ec = "80078750587"
    position = f.payable_position(
        transfers=(
            f.iban_transfer("1", 8_400, organization_fiscal_code=other_ec, company_name="Regione"),
            f.stamp_transfer("2", 1_600),
        )
    )

    first, second = f.receipt(position).transfers

    assert (first.id_transfer, first.amount, first.fiscal_code_pa) == (1, 8_400, other_ec)
    assert (first.iban, first.stamp, first.company_name) == (f.IBAN, None, "Regione")
    assert (second.id_transfer, second.amount, second.fiscal_code_pa) == (2, 1_600, f.ORG)
    assert second.iban is None and second.stamp is not None
    assert second.transfer_category == "9/0101108TS/"


def test_debtor_province_becomes_state_province_region_as_gpd_maps_it() -> None:
    debtor = f.debtor(
        street_name="Via Roma", city="Roma", province="RM", region="Lazio", country="IT", email="m@example.it"
    )

    subject = f.receipt(f.payable_position(debtor_value=debtor)).debtor

    assert subject.state_province_region == "RM"
    assert (subject.street_name, subject.city, subject.country, subject.email) == (
        "Via Roma",
        "Roma",
        "IT",
        "m@example.it",
    )


def test_application_date_is_the_italian_day_of_payment_and_transfer_date_the_next() -> None:
    late_evening_utc = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # already 1 July in Rome

    receipt = f.receipt(payment=f.facts(paid_at=late_evening_utc))

    assert receipt.application_date == date(2026, 7, 1)
    assert receipt.transfer_date == date(2026, 7, 2)


def test_texts_longer_than_the_xsd_allows_are_fitted_and_a_malformed_email_left_out() -> None:
    debtor = f.debtor(full_name="N" * 140, email="not an email")

    receipt = f.receipt(
        f.payable_position(debtor_value=debtor),
        f.facts(psp_company_name="P" * 100, payment_note="x" * 300),
    )

    assert receipt.debtor.full_name == "N" * 70
    assert receipt.debtor.email is None
    assert receipt.psp_company_name == "P" * 70
    assert receipt.payment_note == "x" * 210


def test_an_unpaid_option_has_no_receipt() -> None:
    position = f.payable_position()
    assert position.options[0].status is OptionStatus.PO_UNPAID

    with pytest.raises(ValueError, match="not paid"):
        build_receipt(position, position.options[0].nav, f.facts())


def test_an_unknown_notice_has_no_receipt() -> None:
    with pytest.raises(DebtPositionError) as caught:
        build_receipt(f.paid_position(), "399999999999999999", f.facts())
    assert caught.value.reason is GpdReason.OPTION_NOT_FOUND


def test_payment_facts_give_gpd_the_same_payment_record() -> None:
    payment = f.facts().gpd_payment()

    assert payment.payment_date == f.PAID_AT
    assert (payment.psp_company, payment.payment_method, payment.fee) == ("Intesa Sanpaolo", "CP", 150)
    assert payment.id_receipt == "c110729d258c4ab1b765fe902aae41d6"


# --- XML -----------------------------------------------------------------------------------


def test_xml_is_a_pa_send_rt_v2_request_with_only_the_root_namespaced() -> None:
    xml = render_receipt(f.receipt())
    root = parse(xml)

    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert root.tag == f"{{{PA_FOR_NODE}}}paSendRTV2Request"
    assert [child.tag for child in root] == ["idPA", "idBrokerPA", "idStation", "receipt"]
    assert (text(root, "idPA"), text(root, "idBrokerPA"), text(root, "idStation")) == (
        f.ORG,
        f.ORG,
        f"{f.ORG}_01",
    )


def test_broker_and_station_can_be_given() -> None:
    root = parse(render_receipt(f.receipt(), id_broker_pa="15376371009", id_station="15376371009_03"))

    assert (text(root, "idBrokerPA"), text(root, "idStation")) == ("15376371009", "15376371009_03")


def test_receipt_elements_follow_the_xsd_sequence() -> None:
    receipt = f.receipt(
        f.payable_position(office_name="Ufficio Tributi", option_overrides={"metadata": (("k", "v"),)}),
        f.facts(payer=f.payer(), payment_note="cart-42"),
    )

    tags = [child.tag for child in receipt_element(render_receipt(receipt))]

    assert tags == RECEIPT_ORDER


def test_optional_receipt_elements_are_left_out_when_absent() -> None:
    receipt = f.receipt(payment=f.facts(payment_method=None))

    tags = [child.tag for child in receipt_element(render_receipt(receipt))]

    assert not {"officeName", "payer", "paymentMethod", "paymentNote", "metadata"} & set(tags)


def test_receipt_xml_carries_the_payment_facts() -> None:
    el = receipt_element(render_receipt(f.receipt(payment=f.facts(payer=f.payer()))))

    assert text(el, "receiptId") == "c110729d258c4ab1b765fe902aae41d6"
    assert text(el, "noticeNumber") == "3" + f.IUV
    assert text(el, "creditorReferenceId") == f.IUV
    assert text(el, "outcome") == "OK"
    assert text(el, "debtor/uniqueIdentifier/entityUniqueIdentifierType") == "F"
    assert text(el, "debtor/uniqueIdentifier/entityUniqueIdentifierValue") == "RSSMRA80A01H501U"
    assert text(el, "debtor/fullName") == "Mario Rossi"
    assert text(el, "payer/fullName") == "Laura Bianchi"
    assert text(el, "payer/e-mail") == "laura.bianchi@example.com"
    assert text(el, "transferList/transfer/IBAN") == f.IBAN
    assert text(el, "transferList/transfer/idTransfer") == "1"
    assert text(el, "idPSP") == "BCITITMM"
    assert text(el, "paymentMethod") == "CP"


@pytest.mark.parametrize(
    ("cents", "euros"),
    [(10_000, "100.00"), (12_345, "123.45"), (5, "0.05"), (1_000_001, "10000.01")],
)
def test_amounts_are_decimal_euros_with_two_digits(cents: int, euros: str) -> None:
    position = f.payable_position(transfers=(f.iban_transfer(amount=cents),))
    el = receipt_element(render_receipt(f.receipt(position, f.facts(fee=cents))))

    assert text(el, "paymentAmount") == euros
    assert text(el, "transferList/transfer/transferAmount") == euros
    assert text(el, "fee") == euros


def test_a_free_payment_still_states_a_zero_fee() -> None:
    el = receipt_element(render_receipt(f.receipt(payment=f.facts(fee=0))))

    assert text(el, "fee") == "0.00"
    assert all(AMOUNT.fullmatch(e.text or "") for e in el.iter() if e.tag in ("paymentAmount", "fee"))


def test_dates_are_italian_wall_clock_without_offset() -> None:
    winter = receipt_element(render_receipt(f.receipt()))  # 09:00 UTC in March: CET
    summer = receipt_element(
        render_receipt(f.receipt(payment=f.facts(paid_at=datetime(2026, 7, 1, 9, 0, 5, 123456, tzinfo=UTC))))
    )

    assert text(winter, "paymentDateTime") == "2026-03-02T10:00:00"
    assert text(winter, "applicationDate") == "2026-03-02"
    assert text(winter, "transferDate") == "2026-03-03"
    assert text(summer, "paymentDateTime") == "2026-07-01T11:00:05"


@pytest.mark.parametrize(
    ("utc", "italian"),
    [
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "2026-03-29T01:59:00"),  # last minute of CET
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "2026-03-29T03:00:00"),  # CEST begins
        (datetime(2026, 10, 25, 0, 59, tzinfo=UTC), "2026-10-25T02:59:00"),  # last minute of CEST
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC), "2026-10-25T02:00:00"),  # back to CET
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "2027-01-01T00:30:00"),
    ],
)
def test_italian_time_follows_the_eu_summer_time_rule(utc: datetime, italian: str) -> None:
    assert xsd_date_time(utc) == italian


def test_user_text_is_escaped_and_reads_back_unchanged() -> None:
    nasty = "<script>alert(\"x\")</script> & 'quoted' ]]>"
    position = f.payable_position(
        company_name=nasty,
        transfers=(f.iban_transfer(remittance_information=nasty),),
        debtor_value=f.debtor(full_name='Rossi & "Figli" <srl>'),
        option_overrides={"description": nasty},
    )

    xml = render_receipt(f.receipt(position, f.facts(payment_note=nasty)))
    el = receipt_element(xml)

    assert "<script>" not in xml
    assert "&lt;script&gt;" in xml
    assert "&amp; 'quoted'" in xml
    assert text(el, "description") == nasty
    assert text(el, "companyName") == nasty
    assert text(el, "paymentNote") == nasty
    assert text(el, "transferList/transfer/remittanceInformation") == nasty
    assert text(el, "debtor/fullName") == 'Rossi & "Figli" <srl>'


def test_characters_xml_cannot_carry_are_dropped_so_the_document_still_parses() -> None:
    position = f.payable_position(option_overrides={"description": "TARI\x00\x01\x1b 2026\tok"})

    el = receipt_element(render_receipt(f.receipt(position)))

    assert text(el, "description") == "TARI 2026\tok"


def test_a_stamp_transfer_carries_the_digital_stamp_as_mbd_attachment() -> None:
    position = f.payable_position(transfers=(f.iban_transfer("1", 8_400), f.stamp_transfer("2", 1_600)))

    el = receipt_element(render_receipt(f.receipt(position)))
    stamp_transfer = el.findall("transferList/transfer")[1]
    attachment = stamp_transfer.findtext("MBDAttachment")

    assert stamp_transfer.find("IBAN") is None
    assert attachment is not None
    stamp = ET.fromstring(base64.b64decode(attachment))
    assert stamp.tag.endswith("marcaDaBollo")
    assert "ZHVtbXkgaGFzaA==" in ET.tostring(stamp, encoding="unicode")
    assert [child.tag for child in stamp_transfer] == [
        "idTransfer",
        "transferAmount",
        "fiscalCodePA",
        "MBDAttachment",
        "remittanceInformation",
        "transferCategory",
    ]


def test_metadata_of_the_option_and_of_transfers_become_map_entries() -> None:
    position = f.payable_position(
        transfers=(f.iban_transfer(metadata=(("capitolo", "123"),)),),
        option_overrides={"metadata": (("anno", "2026"), ("tipo", "TARI"))},
    )

    el = receipt_element(render_receipt(f.receipt(position)))

    entries = [(e.findtext("key"), e.findtext("value")) for e in el.findall("metadata/mapEntry")]
    assert entries == [("anno", "2026"), ("tipo", "TARI")]
    assert el.findtext("transferList/transfer/metadata/mapEntry/key") == "capitolo"
