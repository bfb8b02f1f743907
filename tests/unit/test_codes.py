"""NAV, IUV, RptId, QR payload and EC fiscal codes (reference §3)."""

from __future__ import annotations

import pytest

from simulator.domain.codes import (
    QR_PREFIX,
    Nav,
    QrPayload,
    RptId,
    build_nav,
    check_digits,
    fiscal_code_ok,
    nav_from_iuv,
    new_nav,
    parse_fiscal_code,
    parse_nav,
    parse_qr,
    parse_rpt_id,
)
from simulator.domain.errors import DomainError, InvalidCode, InvalidInput

# --- check digits ---------------------------------------------------------------------------


def test_check_digits_are_the_leading_sixteen_digits_mod_93() -> None:
    assert 3007157000000000 % 93 == 32
    assert check_digits("3007157000000000") == "32"


def test_check_digits_are_always_two_digits() -> None:
    assert check_digits("93") == "00"
    assert check_digits("5") == "05"
    assert check_digits("92") == "92"


@pytest.mark.parametrize(
    "value",
    ["300715700000000032", "001340000013900808", "302123456789012356"],
    ids=["reference-aux3", "aux0", "constructed-aux3"],
)
def test_known_good_navs_pass_the_check_digit(value: str) -> None:
    nav = parse_nav(value)
    assert nav.check_ok is True
    assert nav.expected_check == value[16:]


@pytest.mark.parametrize("value", ["302012387654312384", "302000100000009424"])
def test_official_test_nav_fails_check_digit_but_parses(value: str) -> None:
    nav = parse_nav(value)  # never an exception: pagoPA itself does not check
    assert nav.value == value
    assert nav.check_ok is False
    assert nav.expected_check != value[16:]


def test_aux_1_nav_has_no_check_digit_to_verify() -> None:
    nav = parse_nav("100000000000000123")
    assert nav.expected_check is None
    assert nav.check_ok is None


# --- layout per aux digit -------------------------------------------------------------------


def test_aux_0_nav_carries_application_code_and_a_15_digit_iuv() -> None:
    nav = parse_nav("001340000013900808")
    assert nav.aux_digit == 0
    assert nav.application_code == "01"
    assert nav.segregation_code is None
    assert nav.iuv == "340000013900808"
    assert len(nav.iuv) == 15


@pytest.mark.parametrize(
    ("value", "aux"),
    [("100000000000000123", 1), ("200000000000012332", 2), ("300715700000000032", 3)],
)
def test_aux_1_2_3_navs_carry_a_17_digit_iuv_after_the_aux_digit(value: str, aux: int) -> None:
    nav = parse_nav(value)
    assert nav.aux_digit == aux
    assert nav.iuv == value[1:]
    assert len(nav.iuv) == 17


def test_aux_3_nav_carries_the_segregation_code() -> None:
    nav = parse_nav("300715700000000032")
    assert nav.segregation_code == "00"
    assert nav.application_code is None
    assert parse_nav("302123456789012356").segregation_code == "02"


def test_nav_prints_in_groups_of_four_digits() -> None:
    nav = parse_nav("300715700000000032")
    assert nav.grouped() == "3007 1570 0000 0000 32"
    assert str(nav) == "300715700000000032"


def test_printed_nav_with_spaces_parses_back_to_the_same_notice() -> None:
    nav = parse_nav("300715700000000032")
    assert parse_nav(nav.grouped()) == nav
    assert parse_nav("  3007 1570\t0000 0000 32\n") == nav


# --- parse_nav errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "30071570000000003",  # 17 digits
        "3007157000000000321",  # 19 digits
        "30071570000000003X",
        "3007-1570-0000-0000-32",
        "3" + "\u0660" * 17,  # Arabic-Indic digits are not pagoPA digits
        "\uff13\uff10\uff10\uff17\uff11\uff15\uff17" + "0" * 11,  # full-width digits
    ],
)
def test_malformed_notice_number_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_nav(text)
    assert caught.value.field == "noticeNumber"
    assert "18 digits" in caught.value.reason


@pytest.mark.parametrize("aux", ["4", "5", "9"])
def test_notice_number_with_an_unknown_aux_digit_is_refused(aux: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_nav(aux + "00715700000000032")
    assert caught.value.field == "noticeNumber"
    assert "aux digit" in caught.value.message


def test_invalid_code_is_an_invalid_input_and_a_domain_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_nav("123")
    assert isinstance(caught.value, InvalidCode)
    assert isinstance(caught.value, DomainError)
    assert str(caught.value) == "noticeNumber: a notice number is 18 digits"


# --- building NAVs --------------------------------------------------------------------------


def test_build_aux_0_nav_reproduces_a_known_notice() -> None:
    nav = build_nav(0, "3400000139008", "01")
    assert nav.value == "001340000013900808"
    assert nav.check_ok is True


def test_build_aux_1_nav_pads_the_base_and_adds_no_check() -> None:
    nav = build_nav(1, "123")
    assert nav.value == "100000000000000123"
    assert nav.check_ok is None


def test_build_aux_2_nav_appends_the_check_digits() -> None:
    nav = build_nav(2, "123")
    assert nav.value == "2" + "0" * 12 + "123" + check_digits("2" + "0" * 12 + "123")
    assert nav.check_ok is True


def test_build_aux_3_nav_reproduces_the_reference_notices() -> None:
    assert build_nav(3, "7157000000000", "00").value == "300715700000000032"
    assert build_nav(3, "1234567890123", "2").value == "302123456789012356"


def test_build_nav_refuses_an_unknown_aux_digit() -> None:
    with pytest.raises(InvalidCode) as caught:
        build_nav(4, "123")
    assert caught.value.field == "auxDigit"


def test_build_nav_refuses_a_base_too_long_for_the_layout() -> None:
    with pytest.raises(InvalidCode) as caught:
        build_nav(3, "12345678901234", "01")
    assert caught.value.field == "noticeNumber"


def test_gpd_default_nav_is_3_followed_by_the_iuv() -> None:
    assert nav_from_iuv("02123456789012356") == "302123456789012356"
    assert parse_nav(nav_from_iuv("02123456789012356")).iuv == "02123456789012356"


def test_new_nav_is_a_checked_aux_3_notice_of_the_segregation_code() -> None:
    nav = new_nav(2, 1234567890123)
    assert nav.value == "302123456789012356"
    assert nav.segregation_code == "02"
    assert nav.check_ok is True


def test_new_nav_accepts_the_extreme_codes_and_sequences() -> None:
    assert new_nav(0, 0).value.startswith("300" + "0" * 13)
    assert new_nav(99, 10**13 - 1).value.startswith("399" + "9" * 13)


@pytest.mark.parametrize("segregation_code", [-1, 100])
def test_new_nav_refuses_a_segregation_code_beyond_two_digits(segregation_code: int) -> None:
    with pytest.raises(InvalidCode) as caught:
        new_nav(segregation_code, 1)
    assert caught.value.field == "segregationCode"


@pytest.mark.parametrize("sequence", [-1, 10**13])
def test_new_nav_refuses_a_sequence_beyond_13_digits(sequence: int) -> None:
    with pytest.raises(InvalidCode) as caught:
        new_nav(1, sequence)
    assert caught.value.field == "sequence"


# --- EC fiscal codes ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["86334519757", "80078750587", "00488410010", "15376371009"])
def test_real_ec_fiscal_codes_pass_the_partita_iva_check(code: str) -> None:
    assert fiscal_code_ok(code) is True


def test_test_ec_fiscal_code_fails_the_check_but_is_accepted() -> None:
    assert fiscal_code_ok("77777777777") is False
    assert parse_fiscal_code("77777777777") == "77777777777"


@pytest.mark.parametrize(
    "code",
    [
        "86334519758",  # wrong check digit
        "8633451975",  # 10 digits
        "863345197570",  # 12 digits
        "8633451975X",
        "86334519757\n",
        "\u0668\u0666\u0663\u0663\u0664\u0665\u0661\u0669\u0667\u0665\u0667",  # Arabic-Indic digits
        "",
    ],
)
def test_fiscal_code_check_says_no_to_anything_else(code: str) -> None:
    assert fiscal_code_ok(code) is False


def test_fiscal_code_check_doubles_even_position_digits_above_4_minus_9() -> None:
    # 0 5 0 0 0 0 0 0 0 0: the even-position 5 doubles to 10, counted as 1, so the check is 9.
    assert fiscal_code_ok("05000000009") is True
    assert fiscal_code_ok("05000000000") is False


def test_parse_fiscal_code_strips_surrounding_blanks() -> None:
    assert parse_fiscal_code(" 86334519757 ") == "86334519757"


@pytest.mark.parametrize("text", ["8633451975", "863345197570", "8633451975X", "", "86 334519757"])
def test_malformed_fiscal_code_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_fiscal_code(text)
    assert caught.value.field == "fiscalCode"
    assert "11 digits" in caught.value.reason


def test_malformed_fiscal_code_names_the_field_the_caller_chose() -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_fiscal_code("123", field="organizationFiscalCode")
    assert caught.value.field == "organizationFiscalCode"


# --- RptId ----------------------------------------------------------------------------------


def test_rpt_id_is_the_fiscal_code_followed_by_the_nav() -> None:
    rpt_id = parse_rpt_id("77777777777302000100000009424")
    assert rpt_id == RptId("77777777777", Nav("302000100000009424"))
    assert str(rpt_id) == "77777777777302000100000009424"
    assert len(str(rpt_id)) == 29


def test_rpt_id_round_trips_through_its_string_form() -> None:
    rpt_id = RptId("86334519757", parse_nav("300715700000000032"))
    assert parse_rpt_id(f" {rpt_id} ") == rpt_id


@pytest.mark.parametrize(
    "text",
    ["7777777777730200010000000942", "777777777773020001000000094240", "7777777777730200010000000942X", ""],
)
def test_rpt_id_of_other_than_29_digits_is_refused(text: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_rpt_id(text)
    assert caught.value.field == "rptId"


def test_rpt_id_with_a_bad_aux_digit_is_refused_as_a_notice_number() -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_rpt_id("77777777777902000100000009424")
    assert caught.value.field == "noticeNumber"


# --- QR payload -----------------------------------------------------------------------------


def test_qr_payload_prints_in_the_pagopa_002_format() -> None:
    payload = QrPayload(parse_nav("302000100000009424"), "77777777777", 12_050)
    assert str(payload) == "PAGOPA|002|302000100000009424|77777777777|12050"
    assert str(payload).startswith(QR_PREFIX)


def test_qr_payload_parses_back_to_its_parts() -> None:
    payload = parse_qr("PAGOPA|002|302000100000009424|77777777777|12050\n")
    assert payload.nav.value == "302000100000009424"
    assert payload.fiscal_code == "77777777777"
    assert payload.amount_cents == 12_050
    assert parse_qr(str(payload)) == payload


@pytest.mark.parametrize(
    "text",
    [
        "PAGOPA|001|302000100000009424|77777777777|12050",
        "PAGOPX|002|302000100000009424|77777777777|12050",
        "PAGOPA|002|302000100000009424|77777777777",
        "PAGOPA|002|302000100000009424|77777777777|12050|extra",
        "302000100000009424",
    ],
)
def test_qr_payload_with_a_wrong_frame_is_refused(text: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_qr(text)
    assert caught.value.field == "qrCode"
    assert "PAGOPA|002|" in caught.value.reason


@pytest.mark.parametrize("amount", ["0", "-5", "12.50", "", "123456789012", "\u0661\u0660\u0660"])
def test_qr_payload_amount_must_be_positive_cents(amount: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_qr(f"PAGOPA|002|302000100000009424|77777777777|{amount}")
    assert caught.value.field == "qrCode"
    assert "euro cents" in caught.value.reason


def test_qr_payload_with_a_bad_notice_number_names_the_notice_number() -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_qr("PAGOPA|002|30200010000000942|77777777777|100")
    assert caught.value.field == "noticeNumber"


def test_qr_payload_with_a_bad_fiscal_code_names_the_fiscal_code() -> None:
    with pytest.raises(InvalidCode) as caught:
        parse_qr("PAGOPA|002|302000100000009424|7777777777|100")
    assert caught.value.field == "fiscalCode"
