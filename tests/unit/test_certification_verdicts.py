"""The pure verdicts of a certification run's checks: each passes, fails or waits on the facts
alone, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from simulator.domain.certification import (
    Case,
    CaseFacts,
    CaseState,
    Check,
    DeliveryFacts,
    Profile,
    Verdict,
    judge,
    progress,
    tenant_time,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)
ALL_URLS = frozenset({"returnOkUrl", "returnCancelUrl", "returnErrorUrl", "returnWaitingUrl"})


def facts(**over: object) -> CaseFacts:
    base: dict[str, object] = {
        "cart_id": "c1",
        "return_urls": ALL_URLS,
        "api_version": 2,
        "debt_created": True,
        "notify_endpoint": True,
        "outcome_at": T0,
        "settled_at": T0,
    }
    base.update(over)
    return CaseFacts(**base)  # type: ignore[arg-type]


def verdict(check: Check, f: CaseFacts, now: datetime = T0) -> Verdict:
    return judge(check, f, WINDOW, now).verdict


def delivered(*statuses: int | None, webhook: str = "msg_1", pending: bool = False) -> DeliveryFacts:
    return DeliveryFacts(webhook, "attempt.closed", statuses, pending)


def test_a_cart_needs_every_return_url_and_a_v2_cart_the_waiting_one_too() -> None:
    assert verdict(Check.CART_WELL_FORMED, facts()) is Verdict.PASSED
    v1 = facts(api_version=1, return_urls=ALL_URLS - {"returnWaitingUrl"})
    assert verdict(Check.CART_WELL_FORMED, v1) is Verdict.PASSED
    result = judge(Check.CART_WELL_FORMED, facts(return_urls=ALL_URLS - {"returnWaitingUrl"}), WINDOW, T0)
    assert (result.verdict, result.message) == (Verdict.FAILED, "the cart has no returnWaitingUrl")
    assert verdict(Check.CART_WELL_FORMED, facts(other_creditors=("77777777777",))) is Verdict.FAILED
    assert verdict(Check.CART_WELL_FORMED, facts(refused_carts=("HTTP 400",))) is Verdict.FAILED


def test_the_debt_position_must_exist_before_the_cart() -> None:
    assert verdict(Check.DEBT_BEFORE_CHECKOUT, facts()) is Verdict.PASSED
    assert verdict(Check.DEBT_BEFORE_CHECKOUT, facts(debt_created=False)) is Verdict.FAILED


@pytest.mark.parametrize(
    ("deliveries", "expected"),
    [
        ((delivered(204), delivered(200, webhook="msg_2")), Verdict.PASSED),
        ((delivered(500, 204),), Verdict.FAILED),  # acknowledged only on a retry
        ((delivered(None),), Verdict.FAILED),  # no answer within the delivery timeout
        ((delivered(204), delivered(pending=True, webhook="msg_2")), Verdict.WAITING),
        ((), Verdict.WAITING),
    ],
)
def test_every_notification_is_acknowledged_with_a_2xx_at_its_first_delivery(
    deliveries: tuple[DeliveryFacts, ...], expected: Verdict
) -> None:
    assert verdict(Check.NOTIFICATION_ACKNOWLEDGED, facts(deliveries=deliveries)) is expected


def test_without_a_notification_endpoint_the_acknowledgement_check_fails_at_once() -> None:
    assert (
        verdict(Check.NOTIFICATION_ACKNOWLEDGED, facts(notify_endpoint=False, outcome_at=None))
        is Verdict.FAILED
    )


def test_a_repeated_notification_must_be_answered_2xx_every_time() -> None:
    twice = (delivered(204), delivered(204))
    assert verdict(Check.DUPLICATE_IDEMPOTENT, facts(deliveries=twice)) is Verdict.PASSED
    assert (
        verdict(Check.DUPLICATE_IDEMPOTENT, facts(deliveries=(delivered(204), delivered(409))))
        is Verdict.FAILED
    )
    assert verdict(Check.DUPLICATE_IDEMPOTENT, facts(deliveries=(delivered(204),))) is Verdict.WAITING


def test_the_status_query_must_come_after_the_outcome_within_the_window() -> None:
    asked = facts(status_queries=(T0 + timedelta(seconds=2),))
    assert verdict(Check.STATUS_QUERY_BEFORE_RETURN, asked) is Verdict.PASSED
    early = facts(status_queries=(T0 - timedelta(seconds=1),))  # before the outcome: it proves nothing
    assert verdict(Check.STATUS_QUERY_BEFORE_RETURN, early) is Verdict.WAITING
    assert (
        verdict(Check.STATUS_QUERY_BEFORE_RETURN, early, T0 + WINDOW + timedelta(seconds=1)) is Verdict.FAILED
    )
    assert verdict(Check.STATUS_QUERY_BEFORE_RETURN, facts(outcome_at=None)) is Verdict.WAITING


def test_a_payment_is_discovered_by_the_receipts_api_or_the_status_query_in_time() -> None:
    late = T0 + WINDOW + timedelta(seconds=1)
    by_receipts = facts(receipt_queries=(T0 + timedelta(minutes=4),))
    assert verdict(Check.PAYMENT_DISCOVERED, by_receipts, late) is Verdict.PASSED
    too_late = facts(receipt_queries=(late,))
    assert verdict(Check.PAYMENT_DISCOVERED, too_late, late) is Verdict.FAILED


def test_a_run_is_complete_when_every_case_is_decided_or_it_was_closed() -> None:
    cases = (
        Case("ok", "ok", "happy-path", (Check.DEBT_BEFORE_CHECKOUT,)),
        Case("ko", "ko", "card-declined", (Check.DEBT_BEFORE_CHECKOUT,)),
    )
    profile = Profile("p", "p", "p", cases, WINDOW)

    open_run = progress(profile, {"ok": facts()}, T0)
    closed = progress(profile, {"ok": facts()}, T0, abandoned=True)
    done = progress(profile, {"ok": facts(), "ko": facts(debt_created=False)}, T0)

    assert [c.state for c in open_run.cases] == [CaseState.PASSED, CaseState.PENDING]
    assert not open_run.complete
    assert [c.state for c in closed.cases] == [CaseState.PASSED, CaseState.NEVER_RAN]
    assert closed.complete and not closed.passed
    assert done.complete and not done.passed and done.counts["failed"] == 1


def test_a_base_clock_time_is_read_with_the_offset_the_tenant_had_then() -> None:
    moves = [(T0 + timedelta(minutes=1), 3600.0), (T0 + timedelta(minutes=2), 7200.0)]
    assert tenant_time(T0, moves) == T0
    assert tenant_time(T0 + timedelta(minutes=1), moves) == T0 + timedelta(minutes=1)  # at the move: before
    assert tenant_time(T0 + timedelta(minutes=1, seconds=1), moves) == T0 + timedelta(
        minutes=1, hours=1, seconds=1
    )
    assert tenant_time(T0 + timedelta(minutes=3), moves) == T0 + timedelta(minutes=3, hours=2)


def rt(*answers: tuple[int | None, str | None], scripted: int = 0, pending: bool = False) -> DeliveryFacts:
    """A paaInviaRT to the station: its real attempts' (HTTP status, refusal) and the scenario's
    refusals before them."""
    return DeliveryFacts(
        "msg_rt",
        "paaInviaRT",
        tuple(status for status, _ in answers),
        pending,
        refusals=tuple(refusal for _, refusal in answers),
        scripted_refusals=scripted,
    )


def test_an_rpt_refused_before_the_cart_fails_the_rpt_check() -> None:
    assert verdict(Check.RPT_WELL_FORMED, facts()) is Verdict.PASSED
    refused = judge(Check.RPT_WELL_FORMED, facts(refused_rpts=("PPT_SINTASSI_XSD (bad)",)), WINDOW, T0)
    assert refused.verdict is Verdict.FAILED
    assert "PPT_SINTASSI_XSD" in refused.message


@pytest.mark.parametrize(
    ("deliveries", "expected"),
    [
        ((rt((200, None)),), Verdict.PASSED),
        ((rt((200, None)), rt((200, None))), Verdict.PASSED),  # the second answered PAA_RT_DUPLICATA
        ((rt((200, None), scripted=2),), Verdict.PASSED),  # the scenario's refusals are not the station's
        ((rt((200, "KO PAA_SYSTEM_ERROR"), (200, None)),), Verdict.FAILED),  # taken only on a retry
        ((rt((500, "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE: HTTP 500")),), Verdict.FAILED),
        ((rt((200, "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE: not SOAP")),), Verdict.FAILED),  # HTML
        ((rt((None, None)),), Verdict.FAILED),  # no answer within the node's timeout
        ((rt(pending=True),), Verdict.WAITING),
        ((delivered(204),), Verdict.WAITING),  # a JSON notification is not an RT
    ],
)
def test_every_rt_is_acknowledged_by_the_station_on_its_first_real_delivery(
    deliveries: tuple[DeliveryFacts, ...], expected: Verdict
) -> None:
    assert verdict(Check.RT_ACKNOWLEDGED, facts(deliveries=deliveries)) is expected


@pytest.mark.parametrize(
    ("deliveries", "expected"),
    [
        ((rt((200, None), scripted=2),), Verdict.PASSED),
        ((rt((200, "KO PAA_SYSTEM_ERROR"), (200, None)),), Verdict.PASSED),
        ((rt((200, "KO PAA_SYSTEM_ERROR"), pending=True),), Verdict.WAITING),  # the retry is due later
        ((rt(scripted=2, pending=True),), Verdict.WAITING),
        ((rt((500, "HTTP 500"), (500, "HTTP 500")),), Verdict.FAILED),  # the node gave up
        ((rt((200, None)),), Verdict.WAITING),  # nothing was refused: nothing to retry yet
    ],
)
def test_a_refused_rt_is_finally_acknowledged_when_retried(
    deliveries: tuple[DeliveryFacts, ...], expected: Verdict
) -> None:
    assert verdict(Check.RT_RETRIED_ACKNOWLEDGED, facts(deliveries=deliveries)) is expected
