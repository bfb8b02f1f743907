"""The fictional PSP catalogue: who offers which method, for what fee, cheapest first."""

from __future__ import annotations

import pytest

from simulator.domain.errors import InvalidInput
from simulator.domain.psps import (
    CATALOGUE,
    FeeRule,
    PaymentMethod,
    fee_range,
    methods_for,
    parse_method,
    psp_by_id,
    psps_for,
)

REAL_SOUNDING = ("Intesa", "UniCredit", "Poste", "Nexi", "BancoPosta", "Sanpaolo", "Mediolanum", "Fineco")


def test_the_catalogue_has_a_handful_of_clearly_fictional_psps() -> None:
    assert 3 <= len(CATALOGUE) <= 8
    ids = [p.id for p in CATALOGUE]
    assert len(set(ids)) == len(ids)
    for psp in CATALOGUE:
        assert not any(word in psp.name for word in REAL_SOUNDING), psp.name
        assert psp.channel_id.startswith(psp.id)
        assert len(psp.id) <= 35 and len(psp.name) <= 70


def test_every_fee_is_whole_cents_and_never_negative() -> None:
    for psp in CATALOGUE:
        for rule in psp.rules:
            assert isinstance(rule.fee, int) and rule.fee >= 0


def test_offers_are_sorted_cheapest_first() -> None:
    offers = psps_for(PaymentMethod.CP, 5_000)
    fees = [o.fee for o in offers]
    assert fees == sorted(fees)
    assert len(offers) >= 3
    assert {o.psp.id for o in offers} == {p.id for p in CATALOGUE if PaymentMethod.CP in p.methods}


def test_the_fee_depends_on_the_amount_band() -> None:
    banca_demo = psp_by_id("DEMOPSP001")
    assert banca_demo is not None
    assert banca_demo.fee(PaymentMethod.CP, 10_000) == 100
    assert banca_demo.fee(PaymentMethod.CP, 10_001) == 150
    assert banca_demo.fee(PaymentMethod.PPAL, 10_000) is None


def test_the_cheapest_card_psp_changes_with_the_amount() -> None:
    assert psps_for("CP", 1_000)[0].psp.id == "DEMOPSP003"
    assert psps_for("CP", 50_000)[0].psp.id == "DEMOPSP004"


def test_fee_range_spans_the_psps_offering_the_method() -> None:
    assert fee_range(PaymentMethod.CP, 5_000) == (90, 150)
    assert fee_range(PaymentMethod.SATY, 5_000) == (50, 60)
    offers = psps_for(PaymentMethod.MYBK, 5_000)
    assert fee_range(PaymentMethod.MYBK, 5_000) == (offers[0].fee, offers[-1].fee)


def test_a_method_nobody_offers_has_no_fee_range() -> None:
    assert psps_for(PaymentMethod.KLRN, 0) == []
    assert fee_range(PaymentMethod.KLRN, 0) is None


def test_methods_for_an_amount_lists_only_those_someone_offers_in_checkout_order() -> None:
    methods = methods_for(5_000)
    assert methods[0] is PaymentMethod.CP
    assert set(methods) == {m for p in CATALOGUE for m in p.methods}
    assert methods == [m for m in PaymentMethod if m in methods]


def test_method_codes_are_parsed_case_insensitively_and_unknown_ones_refused() -> None:
    assert parse_method("ppal") is PaymentMethod.PPAL
    assert parse_method(PaymentMethod.BPAY) is PaymentMethod.BPAY
    with pytest.raises(InvalidInput):
        parse_method("BITCOIN")


def test_each_method_has_a_label_for_the_pages() -> None:
    assert PaymentMethod.CP.label == "Carta di debito o credito"
    assert all(m.label for m in PaymentMethod)


@pytest.mark.parametrize(("amount", "applies"), [(0, False), (1, True), (100, True), (101, False)])
def test_a_fee_rule_applies_within_its_amount_band(amount: int, applies: bool) -> None:
    rule = FeeRule(PaymentMethod.CP, 50, 1, 100)
    assert rule.applies(PaymentMethod.CP, amount) is applies
    assert not rule.applies(PaymentMethod.PPAL, 50)


def test_an_unknown_psp_id_is_none() -> None:
    assert psp_by_id("NOPE") is None
