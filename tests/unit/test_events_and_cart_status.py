"""The pure values behind the status query: events and their order, scenario choices and their
precedence, where a cart stands, and a pending payment whose scripted result arrives with time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.domain import payment as pay
from simulator.domain.cart import Cart, PaymentNotice, ReturnUrls, new_cart
from simulator.domain.cart_status import CartState, cart_outcome, cart_return_url, cart_state
from simulator.domain.errors import InvalidInput
from simulator.domain.events import Event, EventType, json_value, timeline
from simulator.domain.payment import AttemptNotice, AttemptState, OutcomeCode, PaymentAttempt, Resolution
from simulator.domain.psps import PaymentMethod, psp_by_id
from simulator.domain.selection import ChoiceSource, ScenarioChoice, explicit_choice

NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
URLS = ReturnUrls("https://ec/ok", "https://ec/cancel", "https://ec/error", "https://ec/wait")


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


# --- events -----------------------------------------------------------------------------------------


def test_event_types_are_wire_strings() -> None:
    assert EventType.ATTEMPT_ACTIVATED.value == "attempt.activated"
    assert EventType("receipt.duplicated") is EventType.RECEIPT_DUPLICATED
    assert all("." in t.value and t.value == t.value.lower() for t in EventType)


def test_event_data_is_made_json_and_absent_values_are_left_out() -> None:
    event = Event.of(
        EventType.ATTEMPT_PENDING,
        NOW,
        cart_id="c",
        resolvesAt=later(30.5),
        resolution=Resolution.OK,
        delay=timedelta(minutes=2),
        notices=({"nav": "3"},),
        missing=None,
    )

    assert event.data == {
        "resolvesAt": "2026-03-02T09:00:30.500Z",
        "resolution": "ok",
        "delay": 120.0,
        "notices": [{"nav": "3"}],
    }
    with pytest.raises(TypeError):
        json_value(object())


def test_the_timeline_orders_by_time_then_by_recording() -> None:
    first = Event(EventType.CART_CREATED, NOW, id=1)
    resolved_late = Event(EventType.ATTEMPT_RESOLVED, later(30), id=5)  # applied when read, dated when due
    returned = Event(EventType.USER_RETURNED, later(40), id=4)
    same_time = Event(EventType.SCENARIO_SELECTED, NOW, id=2)

    assert timeline([returned, resolved_late, same_time, first]) == [
        first,
        same_time,
        resolved_late,
        returned,
    ]


# --- scenario choices ----------------------------------------------------------------------------------


def test_explicit_sources_outrank_each_other_in_the_documented_order() -> None:
    api, header, body, trainer = (
        explicit_choice("x", s)
        for s in (ChoiceSource.API, ChoiceSource.HEADER, ChoiceSource.BODY, ChoiceSource.TRAINER)
    )
    rule = ScenarioChoice("happy-path", ChoiceSource.UAT, "UAT: EC 77777777777")

    assert rule.yields_to(trainer) and trainer.yields_to(body) and body.yields_to(header)
    assert header.yields_to(api) and api.yields_to(api)
    assert not header.yields_to(trainer) and not api.yields_to(header)
    assert header.reason == "header X-Sandbox-Scenario"
    assert not rule.explicit and trainer.explicit
    with pytest.raises(ValueError):
        explicit_choice("x", ChoiceSource.MATCH)


# --- where a cart stands -------------------------------------------------------------------------------


def cart(**over: Any) -> Cart:
    made = new_cart(
        "cart-1",
        (PaymentNotice("302000100000009424", "15376371009", 12_050, "Comune", "TARI"),),
        URLS,
        NOW,
        api_version=2,
    )
    return replace(made, **over)


def attempt(state: AttemptState, outcome: OutcomeCode | None = None) -> PaymentAttempt:
    notice = AttemptNotice("15376371009", "302000100000009424", "02000100000009424", 12_050, "T", "C", "tok")
    return replace(
        pay.activate("a-1", [notice], NOW, cart_id="cart-1"),
        state=state,
        outcome=outcome if outcome is not None else pay.outcome_for(state),
    )


@pytest.mark.parametrize(
    ("state", "outcome", "expected", "url"),
    [
        (AttemptState.ACTIVATED, None, CartState.IN_PROGRESS, None),
        (AttemptState.CLOSED, None, CartState.PENDING, "https://ec/wait"),
        (AttemptState.NOTIFIED_OK, None, CartState.PAID, "https://ec/ok"),
        (AttemptState.UNAUTHORIZED, OutcomeCode.AUTH_ERROR, CartState.FAILED, "https://ec/error"),
        (AttemptState.REFUNDED, None, CartState.FAILED, "https://ec/error"),
        (AttemptState.CANCELED, None, CartState.CANCELLED, "https://ec/cancel"),
        (AttemptState.EXPIRED_NOT_AUTHORIZED, None, CartState.EXPIRED, "https://ec/error"),
    ],
)
def test_a_carts_state_follows_its_latest_attempt(
    state: AttemptState, outcome: OutcomeCode | None, expected: CartState, url: str | None
) -> None:
    latest = attempt(state, outcome)

    assert cart_state(cart(), latest, later(1)) is expected
    assert cart_return_url(cart(), latest, later(1)) == url
    assert cart_outcome(cart(), latest) == latest.outcome


def test_a_cart_without_an_attempt_is_open_until_it_expires() -> None:
    assert cart_state(cart(), None, later(599)) is CartState.OPEN
    assert cart_state(cart(), None, later(600)) is CartState.EXPIRED
    assert cart_return_url(cart(), None, later(600)) == "https://ec/error"


def test_an_attempt_whose_token_lives_keeps_its_cart_in_progress_past_the_carts_end() -> None:
    assert cart_state(cart(), attempt(AttemptState.ACTIVATED), later(600)) is CartState.IN_PROGRESS
    assert cart_return_url(cart(), attempt(AttemptState.ACTIVATED), later(600)) is None


def test_a_fault_fails_the_cart_without_an_outcome_code() -> None:
    failed = cart(fault="PAA_PAGAMENTO_SCADUTO")

    assert cart_state(failed, None, NOW) is CartState.FAILED
    assert cart_outcome(failed, None) is None
    assert cart_return_url(failed, None, NOW) == "https://ec/error"


def test_where_a_headless_browser_went_is_what_the_status_says() -> None:
    paid = attempt(AttemptState.NOTIFIED_OK)

    assert cart_return_url(cart(landed_on="https://ec/wait"), paid, NOW) == "https://ec/wait"
    assert cart_return_url(cart(never_returned=True), paid, NOW) is None


def test_only_open_and_in_progress_and_pending_carts_are_not_final() -> None:
    assert {s for s in CartState if not s.final} == {CartState.OPEN, CartState.IN_PROGRESS, CartState.PENDING}


# --- a pending payment with a scripted result ------------------------------------------------------------


def authorized_pending(resolution: Resolution = Resolution.OK) -> PaymentAttempt:
    psp = psp_by_id("DEMOPSP001")
    assert psp is not None
    chosen = pay.choose(attempt(AttemptState.ACTIVATED), PaymentMethod.CP, psp, NOW)
    return pay.authorize(chosen, 17, NOW, resolves_at=later(30), resolution=resolution)


def test_a_scripted_pending_payment_gets_its_result_at_its_time_dated_then() -> None:
    pending = authorized_pending()

    assert pay.settle(pending, later(29)) is pending
    resolved = pay.settle(pending, later(3600))

    assert (resolved.state, resolved.outcome, resolved.ended_at) == (
        AttemptState.NOTIFIED_OK,
        OutcomeCode.SUCCESS,
        later(30),
    )
    refunded = pay.settle(authorized_pending(Resolution.REFUNDED), later(30))
    assert (refunded.state, refunded.outcome) == (AttemptState.REFUNDED, OutcomeCode.REFUNDED)


def test_only_a_pending_authorization_resolves_later() -> None:
    psp = psp_by_id("DEMOPSP001")
    assert psp is not None
    chosen = pay.choose(attempt(AttemptState.ACTIVATED), PaymentMethod.CP, psp, NOW)

    with pytest.raises(InvalidInput):
        pay.authorize(chosen, 0, NOW, resolves_at=later(30))


def test_closing_can_fail_after_authorization_and_refund() -> None:
    psp = psp_by_id("DEMOPSP001")
    assert psp is not None
    chosen = pay.choose(attempt(AttemptState.ACTIVATED), PaymentMethod.CP, psp, NOW)

    refunded = pay.close_refunded(chosen, later(1))

    assert (refunded.state, refunded.outcome, refunded.ended_at) == (
        AttemptState.REFUNDED,
        OutcomeCode.REFUNDED,
        later(1),
    )


def test_journal_excerpts_redact_secrets_and_card_data_before_cutting() -> None:
    from simulator.domain.journal import excerpt

    secret = '{"id":"wh_1","secret":"whsec_' + "x" * 3000 + '"}'
    assert excerpt(secret) == '{"id":"wh_1","secret":"[redacted]"}'
    form = "csrf_token=t&number=4242424242424242&expirationDate=12%2F30&cvv=123&name=Mario+Rossi"
    assert (
        excerpt(form)
        == "csrf_token=t&number=[redacted]&expirationDate=[redacted]&cvv=[redacted]&name=Mario+Rossi"
    )
    assert excerpt('{"noticeNumber":"302000000000000017"}') == '{"noticeNumber":"302000000000000017"}'
