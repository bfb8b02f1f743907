"""The sandbox's test cards and the card page's rules: Luhn, brand, expiry by the month, CVV."""

from __future__ import annotations

from datetime import date

import pytest

from simulator.domain import test_cards as cards


def test_every_documented_card_is_luhn_valid_and_listed_once() -> None:
    numbers = [c.number for c in cards.SANDBOX_CARDS]

    assert all(cards.luhn_ok(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_the_uat_cards_succeed_without_a_challenge() -> None:
    for number in ("5255000260000014", "4242424242424242"):
        assert cards.behaviour_of(number) == cards.CardBehaviour(0, challenge=False)


def test_each_failure_outcome_has_its_own_card() -> None:
    outcomes = {c.outcome for c in cards.SANDBOX_CARDS if c.outcome != 0}

    assert {2, 3, 4, 7, 10, 25, 116, 117, 121} <= outcomes


def test_one_card_forces_the_3ds_challenge() -> None:
    challenged = [c for c in cards.SANDBOX_CARDS if c.challenge]

    assert len(challenged) == 1
    assert cards.behaviour_of(challenged[0].number).challenge


def test_an_unlisted_valid_card_succeeds() -> None:
    assert cards.behaviour_of("5555555555554444") == cards.CardBehaviour(0, challenge=False)


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("4242424242424242", True),
        ("4242424242424241", False),
        ("42424242", False),
        ("4242x24242424242", False),
    ],
)
def test_luhn(number: str, ok: bool) -> None:
    assert cards.luhn_ok(number) is ok


def test_spaces_and_dashes_between_groups_are_dropped() -> None:
    assert cards.normalize_number(" 5255 0002-6000 0014 ") == "5255000260000014"


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "VISA"),
        ("5255000260000014", "MASTERCARD"),
        ("2221000000000009", "MASTERCARD"),
        ("378282246310005", "AMEX"),
        ("6759649826438453", "MAESTRO"),
        ("9999999999999995", "OTHER"),
    ],
)
def test_the_brand_comes_from_the_prefix(number: str, brand: str) -> None:
    assert cards.card_brand(number) == brand


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("12/30", (12, 2030)), ("0130", (1, 2030)), ("03 / 2026", (3, 2026)), ("13/30", None), ("1/30", None)],
)
def test_expiry_is_read_as_month_and_year(text: str, parsed: tuple[int, int] | None) -> None:
    assert cards.parse_expiry(text) == parsed


def test_a_card_is_valid_through_the_last_day_of_its_month() -> None:
    today = date(2026, 3, 31)

    assert not cards.expired(3, 2026, today)
    assert cards.expired(2, 2026, today)
    assert not cards.expired(1, 2027, today)


@pytest.mark.parametrize(("cvv", "ok"), [("123", True), ("1234", True), ("12", False), ("12a", False)])
def test_a_cvv_is_3_or_4_digits(cvv: str, ok: bool) -> None:
    assert cards.cvv_ok(cvv) is ok
