"""Domain values <-> JSON documents: what the store writes must read back as the same value."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest

from simulator.domain.debt_position import (
    DebtPosition,
    OptionStatus,
    PositionStatus,
    TransferStatus,
    create,
    pay_option,
)
from simulator.storage.documents import from_document, to_document
from tests.unit.factories import DAY, NOW, instalment, option, payment, position, stamp_transfer, transfer

ROME = timezone(timedelta(hours=1))


def full_position() -> DebtPosition:
    """A partially paid instalment plan using every kind of field: stamp, metadata, payment, Nones."""
    with_stamp = option(
        "02000000000000007",
        11_600,
        transfers=(
            transfer("1", 10_000, metadata=(("capitolo", "1234"), ("anno", "2026"))),
            stamp_transfer("2", 1_600, organization_fiscal_code="86334519757"),
        ),
        retention_date=NOW + 90 * DAY,
        metadata=(("servizio", "TARI"),),
    )
    created = create(
        position(
            with_stamp,
            instalment(1),
            instalment(2),
            office_name="Ufficio Tributi",
            switch_to_expired=True,
        ),
        NOW,
        to_publish=True,
    )
    paid_at = (NOW + DAY).astimezone(ROME)
    return pay_option(
        created,
        created.options[1].nav,
        payment(paid_at, payment_method="CP", psp_company="Banca Test", id_receipt="R-1", fee=150),
    )


def test_full_position_round_trips_to_an_equal_value() -> None:
    pos = full_position()
    assert pos.status is PositionStatus.PARTIALLY_PAID
    assert pos.options[0].transfers[1].stamp is not None
    assert pos.options[1].payment is not None
    assert pos.debtor.email is None
    assert from_document(DebtPosition, to_document(pos)) == pos


def test_full_position_round_trips_through_json() -> None:
    pos = full_position()
    text = json.dumps(to_document(pos))
    assert from_document(DebtPosition, json.loads(text)) == pos


def test_document_uses_wire_strings_iso_dates_and_lists() -> None:
    document = to_document(full_position())
    assert document["status"] == "PARTIALLY_PAID"
    assert document["inserted_date"] == "2026-03-02T09:00:00+00:00"
    assert document["payment_date"] == "2026-03-03T10:00:00+01:00"  # the offset is kept
    assert document["office_name"] == "Ufficio Tributi"
    assert document["debtor"]["email"] is None
    first, paid = document["options"][0], document["options"][1]
    assert first["metadata"] == [["servizio", "TARI"]]
    assert first["transfers"][0]["metadata"] == [["capitolo", "1234"], ["anno", "2026"]]
    assert first["transfers"][1]["iban"] is None
    assert first["transfers"][1]["stamp"] == {
        "hash_document": "ZHVtbXkgaGFzaA==",
        "stamp_type": "01",
        "provincial_residence": "RM",
    }
    assert first["transfers"][1]["status"] == "T_UNREPORTED"
    assert first["payment"] is None
    assert paid["status"] == "PO_PAID"
    assert paid["payment"]["payment_method"] == "CP"


def test_read_back_values_have_their_domain_types() -> None:
    back = from_document(DebtPosition, json.loads(json.dumps(to_document(full_position()))))
    assert back.status is PositionStatus.PARTIALLY_PAID
    assert back.options[1].status is OptionStatus.PO_PAID
    assert back.options[0].transfers[0].status is TransferStatus.T_UNREPORTED
    assert isinstance(back.options, tuple)
    assert back.options[0].metadata == (("servizio", "TARI"),)
    paid = back.options[1].payment
    assert paid is not None
    assert paid.payment_date.utcoffset() == timedelta(hours=1)


def test_document_of_an_older_version_loads_with_defaults_and_ignores_unknown_fields() -> None:
    document = to_document(position())
    del document["pay_stand_in"]
    del document["options"][0]["notification_fee"]
    document["retired_field"] = "whatever"
    back = from_document(DebtPosition, document)
    assert back.pay_stand_in is True
    assert back.options[0].notification_fee == 0
    assert back == position()


def test_corrupt_metadata_pair_is_refused_rather_than_truncated() -> None:
    document = to_document(position(option(metadata=(("k", "v"),))))
    document["options"][0]["metadata"] = [["k", "v", "extra"]]
    with pytest.raises(ValueError):
        from_document(DebtPosition, document)
