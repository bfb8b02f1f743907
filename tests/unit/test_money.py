"""Money is integer cents inside; Italian euros on pages, decimal euros in SOAP."""

from __future__ import annotations

import pytest

from simulator.domain.errors import InvalidInput
from simulator.domain.money import euro_decimal, format_euro_it, parse_euro


@pytest.mark.parametrize(
    ("cents", "shown"),
    [
        (123_456, "1.234,56 €"),
        (5, "0,05 €"),
        (0, "0,00 €"),
        (100, "1,00 €"),
        (99_999, "999,99 €"),
        (100_000, "1.000,00 €"),
        (100_000_000, "1.000.000,00 €"),
    ],
)
def test_amounts_are_shown_italian_style(cents: int, shown: str) -> None:
    assert format_euro_it(cents) == shown


def test_italian_amount_separates_the_euro_sign_with_a_normal_space() -> None:
    shown = format_euro_it(123_456)
    assert shown[-2:] == " €"
    assert "\u00a0" not in shown
    assert "\u202f" not in shown


@pytest.mark.parametrize(("cents", "shown"), [(-123_456, "-1.234,56 €"), (-5, "-0,05 €")])
def test_negative_amounts_are_shown_with_a_leading_minus(cents: int, shown: str) -> None:
    assert format_euro_it(cents) == shown


@pytest.mark.parametrize(
    ("cents", "decimal"),
    [(0, "0.00"), (5, "0.05"), (1_000, "10.00"), (123_456, "1234.56"), (100_000_000, "1000000.00")],
)
def test_soap_amounts_are_decimal_euros_with_two_digits(cents: int, decimal: str) -> None:
    assert euro_decimal(cents) == decimal


def test_soap_amount_is_never_negative() -> None:
    with pytest.raises(InvalidInput) as caught:
        euro_decimal(-1)
    assert caught.value.field == "amount"
    assert "negative" in caught.value.reason


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.34", 1_234),
        ("12,34", 1_234),
        ("12,3", 1_230),
        ("12.3", 1_230),
        ("12", 1_200),
        ("0.05", 5),
        ("0", 0),
        (" 7.50 ", 750),
        ("9999999999999.99", 999_999_999_999_999),
    ],
)
def test_euros_parse_into_cents(text: str, cents: int) -> None:
    assert parse_euro(text) == cents


def test_parsed_euros_print_back_to_the_same_soap_amount() -> None:
    assert euro_decimal(parse_euro("1234.56")) == "1234.56"


@pytest.mark.parametrize(
    "text",
    ["", "abc", "12.345", "1.234,56", "-1", "12.", ".50", "12 34", "€12", "12€", "10000000000000"],
)
def test_malformed_euro_amount_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_euro(text)
    assert caught.value.field == "amount"
    assert "12.34" in caught.value.reason


def test_malformed_euro_amount_names_the_field_the_caller_chose() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_euro("x", field="paymentAmount")
    assert caught.value.field == "paymentAmount"
    assert str(caught.value).startswith("paymentAmount: ")
