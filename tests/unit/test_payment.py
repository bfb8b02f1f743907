"""Payment attempts as pure values: outcome codes, the fault table of verify/activate, and every
transition of an attempt (and every one that is refused)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.domain import payment as pay
from simulator.domain.cart import ReturnUrls
from simulator.domain.errors import AttemptReason, InvalidInput, PaymentAttemptError, PaymentFault
from simulator.domain.payment import (
    AttemptNotice,
    AttemptState,
    FaultCategory,
    OutcomeCode,
    PaymentAttempt,
    Resolution,
)
from simulator.domain.psps import PaymentMethod, psp_by_id

NOW = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
BANCA_DEMO = psp_by_id("DEMOPSP001")
KO_CODES = [c for c in OutcomeCode if c not in (OutcomeCode.SUCCESS, OutcomeCode.TAKEN_IN_CHARGE)]
KO_CODES.remove(OutcomeCode.REFUNDED)


def notice(n: int = 1, amount: int = 10_000, **overrides: Any) -> AttemptNotice:
    fields: dict[str, Any] = {
        "fiscal_code": "77777777777",
        "nav": f"30200000000000{n:04d}",
        "iuv": f"0200000000000{n:04d}",
        "amount": amount,
        "description": "TARI 2026",
        "company_name": "Comune di Test",
        "payment_token": f"token-{n}",
        **overrides,
    }
    return AttemptNotice(**fields)


def activated(*notices: AttemptNotice, **kwargs: Any) -> PaymentAttempt:
    return pay.activate("attempt-1", notices or (notice(),), NOW, **kwargs)


def chosen(attempt: PaymentAttempt | None = None) -> PaymentAttempt:
    assert BANCA_DEMO is not None
    return pay.choose(attempt or activated(), PaymentMethod.CP, BANCA_DEMO, NOW)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def assert_refused(call: Callable[[], object], state: AttemptState) -> None:
    with pytest.raises(PaymentAttemptError) as caught:
        call()
    assert caught.value.reason is AttemptReason.ALREADY_PROCESSED
    assert state.value in caught.value.detail


# --- outcome codes -----------------------------------------------------------------------------


def test_outcome_codes_carry_the_wire_numbers_of_checkout() -> None:
    assert sorted(c.value for c in OutcomeCode) == [0, 1, 2, 3, 4, 7, 8, 10, 17, 18, 25, 99, 116, 117, 121]
    assert OutcomeCode(17) is OutcomeCode.TAKEN_IN_CHARGE


def test_money_is_charged_only_on_success_pending_and_refund() -> None:
    charged = {c.value for c in OutcomeCode if c.charged}
    assert charged == {0, 17, 18}
    assert [c.value for c in OutcomeCode if c.refunded] == [18]


@pytest.mark.parametrize("code", [99, 5, 42, -1, None])
def test_backend_errors_and_unknown_codes_are_shown_as_generic_error(code: int | None) -> None:
    assert pay.shown_outcome(code) is OutcomeCode.GENERIC_ERROR


@pytest.mark.parametrize("code", [c for c in OutcomeCode if c is not OutcomeCode.BE_KO])
def test_known_codes_are_shown_as_they_are(code: OutcomeCode) -> None:
    assert pay.shown_outcome(code) is code
    assert pay.shown_outcome(code.value) is code


def test_an_unknown_outcome_is_refused_as_input() -> None:
    with pytest.raises(InvalidInput):
        pay.parse_outcome(42)
    with pytest.raises(InvalidInput):
        pay.parse_outcome("ok")
    assert pay.parse_outcome("116") is OutcomeCode.BALANCE_NOT_AVAILABLE


# --- fault codes -> categories (reference §2) ---------------------------------------------------

FAULT_TABLE = [
    ("PAA_PAGAMENTO_SCONOSCIUTO", FaultCategory.PAYMENT_UNKNOWN),
    ("PPT_SINTASSI_EXTRAXSD", FaultCategory.PAYMENT_DATA_ERROR),
    ("PPT_SINTASSI_XSD", FaultCategory.PAYMENT_DATA_ERROR),
    ("PPT_DOMINIO_SCONOSCIUTO", FaultCategory.PAYMENT_DATA_ERROR),
    ("PPT_STAZIONE_INT_PA_SCONOSCIUTA", FaultCategory.PAYMENT_DATA_ERROR),
    ("PPT_PAGAMENTO_IN_CORSO", FaultCategory.PAYMENT_ONGOING),
    ("PAA_PAGAMENTO_IN_CORSO", FaultCategory.PAYMENT_ONGOING),
    ("PAA_PAGAMENTO_SCADUTO", FaultCategory.PAYMENT_EXPIRED),
    ("PAA_PAGAMENTO_ANNULLATO", FaultCategory.PAYMENT_CANCELED),
    ("PAA_PAGAMENTO_DUPLICATO", FaultCategory.PAYMENT_DUPLICATED),
    ("PPT_PAGAMENTO_DUPLICATO", FaultCategory.PAYMENT_DUPLICATED),
    ("PPT_PSP_SCONOSCIUTO", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_PSP_DISABILITATO", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_PSP_ANY_FUTURE_CODE", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_CANALE_SCONOSCIUTO", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_CANALE_IRRAGGIUNGIBILE", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_AUTENTICAZIONE", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_AUTORIZZAZIONE", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_DOMINIO_DISABILITATO", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_SEMANTICA", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_SYSTEM_ERROR", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PAA_SEMANTICA", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE", FaultCategory.DOMAIN_UNKNOWN),
    ("PPT_STAZIONE_INT_PA_TIMEOUT", FaultCategory.DOMAIN_UNKNOWN),
    ("PPT_STAZIONE_INT_PA_ERRORE_RESPONSE", FaultCategory.DOMAIN_UNKNOWN),
    ("PAA_SYSTEM_ERROR", FaultCategory.DOMAIN_UNKNOWN),
    ("PAA_SINTASSI_XSD", FaultCategory.DOMAIN_UNKNOWN),
    ("PAA_SINTASSI_EXTRAXSD", FaultCategory.DOMAIN_UNKNOWN),
    ("PAA_ID_DOMINIO_ERRATO", FaultCategory.DOMAIN_UNKNOWN),
    ("PAA_ID_INTERMEDIARIO_ERRATO", FaultCategory.DOMAIN_UNKNOWN),
    ("PAA_STAZIONE_INT_ERRATA", FaultCategory.DOMAIN_UNKNOWN),
    ("PPT_ERRORE_EMESSO_DA_PAA", FaultCategory.DOMAIN_UNKNOWN),
    ("PPT_QUALCOSA_DI_NUOVO", FaultCategory.GENERIC_ERROR),
    ("PAA_RECEIPT_DUPLICATA", FaultCategory.GENERIC_ERROR),
    ("", FaultCategory.GENERIC_ERROR),
]


@pytest.mark.parametrize(("code", "category"), FAULT_TABLE)
def test_each_node_or_ec_fault_code_falls_in_the_category_of_the_reference_table(
    code: str, category: FaultCategory
) -> None:
    assert pay.classify_fault(code) == (category, code)


@pytest.mark.parametrize(
    ("description", "category", "detail"),
    [
        ("Errore restituito dalla PA: FaultCode PA: PAA_PAGAMENTO_SCADUTO", FaultCategory.PAYMENT_EXPIRED,
         "PAA_PAGAMENTO_SCADUTO"),
        ("faultString: PAA_PAGAMENTO_DUPLICATO description", FaultCategory.PAYMENT_DUPLICATED,
         "PAA_PAGAMENTO_DUPLICATO"),
        ("PAA_SINTASSI_XSD", FaultCategory.DOMAIN_UNKNOWN, "PAA_SINTASSI_XSD"),
        ("the station said PPT_PAGAMENTO_IN_CORSO", FaultCategory.PAYMENT_ONGOING, "PPT_PAGAMENTO_IN_CORSO"),
        ("no code in here", FaultCategory.DOMAIN_UNKNOWN, "PPT_ERRORE_EMESSO_DA_PAA"),
        (None, FaultCategory.DOMAIN_UNKNOWN, "PPT_ERRORE_EMESSO_DA_PAA"),
    ],
)  # fmt: skip
def test_a_fault_wrapped_by_the_node_is_classified_by_the_real_code_in_its_description(
    description: str | None, category: FaultCategory, detail: str
) -> None:
    assert pay.classify_fault("PPT_ERRORE_EMESSO_DA_PAA", description) == (category, detail)


def test_the_description_is_read_only_for_a_wrapped_fault() -> None:
    assert pay.classify_fault("PPT_SYSTEM_ERROR", "PAA_PAGAMENTO_SCADUTO") == (
        FaultCategory.PAYMENT_UNAVAILABLE,
        "PPT_SYSTEM_ERROR",
    )


def test_a_payment_fault_is_a_domain_error_with_category_and_code() -> None:
    error = pay.fault("PPT_ERRORE_EMESSO_DA_PAA", "FaultCode PA: PAA_PAGAMENTO_ANNULLATO")
    assert isinstance(error, PaymentFault)
    assert error.category is FaultCategory.PAYMENT_CANCELED
    assert error.fault_code == "PAA_PAGAMENTO_ANNULLATO"
    assert "PAYMENT_CANCELED" in error.message


# --- activation ---------------------------------------------------------------------------------


def test_activation_gives_every_notice_a_token_living_900_seconds() -> None:
    attempt = activated(notice(1), notice(2, 2_500), cart_id="cart-1", email="a@example.com")

    assert attempt.state is AttemptState.ACTIVATED
    assert attempt.token_expires_at == NOW + timedelta(seconds=900)
    assert attempt.payment_tokens == ("token-1", "token-2")
    assert attempt.amount == 12_500 and attempt.total == 12_500
    assert attempt.outcome is None and not attempt.final and not attempt.pending
    assert attempt.cart_id == "cart-1" and attempt.email == "a@example.com"


def test_the_token_lifetime_is_configurable() -> None:
    attempt = activated(token_lifetime=timedelta(minutes=30))
    assert attempt.token_expires_at == NOW + timedelta(minutes=30)


@pytest.mark.parametrize("count", [0, 6])
def test_an_attempt_has_one_to_five_notices(count: int) -> None:
    with pytest.raises(InvalidInput):
        pay.activate("a", [notice(n) for n in range(count)], NOW)


def test_an_attempt_cannot_pay_the_same_notice_twice() -> None:
    with pytest.raises(InvalidInput):
        pay.activate("a", [notice(1), notice(1, payment_token="other")], NOW)


# --- method and PSP ---------------------------------------------------------------------------


def test_choosing_a_psp_sets_its_fee_for_the_total() -> None:
    attempt = chosen()
    assert (attempt.method, attempt.psp_id, attempt.psp_name) == (
        PaymentMethod.CP,
        "DEMOPSP001",
        "Banca Demo S.p.A.",
    )
    assert attempt.fee == 100
    assert attempt.total == 10_100
    assert attempt.state is AttemptState.ACTIVATED


def test_the_payer_may_change_method_and_psp_before_paying() -> None:
    other = psp_by_id("DEMOPSP002")
    assert other is not None
    attempt = pay.choose(chosen(), PaymentMethod.PPAL, other, at(10))
    assert (attempt.method, attempt.psp_id, attempt.fee) == (PaymentMethod.PPAL, "DEMOPSP002", 130)


def test_a_psp_that_does_not_offer_the_method_is_refused() -> None:
    assert BANCA_DEMO is not None
    with pytest.raises(InvalidInput):
        pay.choose(activated(), PaymentMethod.PPAL, BANCA_DEMO, NOW)


# --- authorization -----------------------------------------------------------------------------


def test_a_successful_authorization_ends_notified_ok_with_outcome_0() -> None:
    paid = pay.authorize(chosen(), 0, at(60))
    assert paid.state is AttemptState.NOTIFIED_OK
    assert paid.outcome is OutcomeCode.SUCCESS
    assert paid.ended_at == at(60)
    assert paid.final


@pytest.mark.parametrize("code", KO_CODES)
def test_a_refused_authorization_ends_unauthorized_with_its_code(code: OutcomeCode) -> None:
    refused = pay.authorize(chosen(), code, at(60))
    assert refused.state is AttemptState.UNAUTHORIZED
    assert refused.outcome is code
    assert refused.final


def test_outcome_17_leaves_the_attempt_closed_and_pending() -> None:
    pending = pay.authorize(chosen(), OutcomeCode.TAKEN_IN_CHARGE, at(60))
    assert pending.state is AttemptState.CLOSED
    assert pending.outcome is OutcomeCode.TAKEN_IN_CHARGE
    assert pending.pending and not pending.final
    assert pending.ended_at is None


def test_refunded_is_not_an_authorization_outcome() -> None:
    with pytest.raises(InvalidInput):
        pay.authorize(chosen(), 18, at(60))


def test_authorizing_without_method_and_psp_is_refused() -> None:
    with pytest.raises(PaymentAttemptError) as caught:
        pay.authorize(activated(), 0, at(60))
    assert caught.value.reason is AttemptReason.METHOD_NOT_CHOSEN


@pytest.mark.parametrize("first", [0, 2, 17])
def test_a_second_authorization_is_refused(first: int) -> None:
    done = pay.authorize(chosen(), first, at(60))
    assert_refused(lambda: pay.authorize(done, 0, at(61)), done.state)


def test_authorizing_after_the_token_ended_is_refused() -> None:
    assert_refused(lambda: pay.authorize(chosen(), 0, at(900)), AttemptState.EXPIRED_NOT_AUTHORIZED)


def test_authorizing_one_second_before_the_token_ends_succeeds() -> None:
    assert pay.authorize(chosen(), 0, at(899)).state is AttemptState.NOTIFIED_OK


# --- cancel, expiry ------------------------------------------------------------------------------


def test_cancelling_ends_canceled_with_outcome_8() -> None:
    cancelled = pay.cancel(chosen(), at(30))
    assert cancelled.state is AttemptState.CANCELED
    assert cancelled.outcome is OutcomeCode.CANCELED_BY_USER
    assert cancelled.ended_at == at(30)


@pytest.mark.parametrize("first", [0, 2, 17])
def test_an_authorized_attempt_cannot_be_cancelled(first: int) -> None:
    done = pay.authorize(chosen(), first, at(60))
    assert_refused(lambda: pay.cancel(done, at(61)), done.state)


def test_a_cancelled_attempt_cannot_be_cancelled_again_or_authorized() -> None:
    cancelled = pay.cancel(chosen(), at(30))
    assert_refused(lambda: pay.cancel(cancelled, at(31)), AttemptState.CANCELED)
    assert_refused(lambda: pay.authorize(cancelled, 0, at(31)), AttemptState.CANCELED)


def test_an_unauthorized_attempt_expires_at_its_token_end_with_outcome_4() -> None:
    attempt = chosen()
    assert pay.settle(attempt, at(899)) is attempt
    expired = pay.settle(attempt, at(5_000))
    assert expired.state is AttemptState.EXPIRED_NOT_AUTHORIZED
    assert expired.outcome is OutcomeCode.TIMEOUT
    assert expired.ended_at == attempt.token_expires_at
    assert pay.settle(expired, at(9_000)) == expired


@pytest.mark.parametrize("first", [0, 2, 17])
def test_an_authorized_attempt_never_expires(first: int) -> None:
    done = pay.authorize(chosen(), first, at(60))
    assert pay.settle(done, at(10_000)) is done


def test_the_payer_abandoning_expires_the_attempt_at_once() -> None:
    expired = pay.expire(chosen(), at(100))
    assert (expired.state, expired.outcome, expired.ended_at) == (
        AttemptState.EXPIRED_NOT_AUTHORIZED,
        OutcomeCode.TIMEOUT,
        at(100),
    )
    assert_refused(lambda: pay.expire(expired, at(101)), AttemptState.EXPIRED_NOT_AUTHORIZED)


def test_choosing_a_method_after_the_token_ended_is_refused() -> None:
    assert BANCA_DEMO is not None
    assert_refused(
        lambda: pay.choose(activated(), PaymentMethod.CP, BANCA_DEMO, at(901)),
        AttemptState.EXPIRED_NOT_AUTHORIZED,
    )


def test_cancelling_after_the_token_ended_is_refused() -> None:
    assert_refused(lambda: pay.cancel(chosen(), at(900)), AttemptState.EXPIRED_NOT_AUTHORIZED)


# --- a pending payment's resolution ----------------------------------------------------------------


def test_a_pending_payment_resolves_ok_to_notified_ok() -> None:
    pending = pay.authorize(chosen(), 17, at(60))
    done = pay.resolve(pending, Resolution.OK, at(2_000))
    assert (done.state, done.outcome, done.ended_at) == (
        AttemptState.NOTIFIED_OK,
        OutcomeCode.SUCCESS,
        at(2_000),
    )


def test_a_pending_payment_resolves_refunded_to_outcome_18() -> None:
    pending = pay.authorize(chosen(), 17, at(60))
    done = pay.resolve(pending, Resolution.REFUNDED, at(90))
    assert (done.state, done.outcome) == (AttemptState.REFUNDED, OutcomeCode.REFUNDED)
    assert done.outcome is not None and done.outcome.charged and done.outcome.refunded


@pytest.mark.parametrize("first", [0, 2])
def test_only_a_pending_payment_can_be_resolved(first: int) -> None:
    done = pay.authorize(chosen(), first, at(60))
    assert_refused(lambda: pay.resolve(done, Resolution.OK, at(61)), done.state)
    assert_refused(lambda: pay.resolve(activated(), Resolution.OK, at(61)), AttemptState.ACTIVATED)


def test_a_resolved_payment_cannot_be_resolved_again() -> None:
    done = pay.resolve(pay.authorize(chosen(), 17, at(60)), Resolution.REFUNDED, at(90))
    assert_refused(lambda: pay.resolve(done, Resolution.OK, at(91)), AttemptState.REFUNDED)


# --- state -> outcome (reference §2) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        (AttemptState.NOTIFIED_OK, OutcomeCode.SUCCESS),
        (AttemptState.CANCELED, OutcomeCode.CANCELED_BY_USER),
        (AttemptState.EXPIRED_NOT_AUTHORIZED, OutcomeCode.TIMEOUT),
        (AttemptState.CLOSED, OutcomeCode.TAKEN_IN_CHARGE),
        (AttemptState.NOTIFIED_KO, OutcomeCode.REFUNDED),
        (AttemptState.REFUNDED, OutcomeCode.REFUNDED),
        (AttemptState.ACTIVATED, None),
        (AttemptState.AUTHORIZATION_REQUESTED, None),
    ],
)
def test_each_state_maps_to_the_outcome_code_of_the_reference(
    state: AttemptState, outcome: OutcomeCode | None
) -> None:
    assert pay.outcome_for(state) is outcome


def test_an_unauthorized_state_shows_the_authorization_code() -> None:
    assert pay.outcome_for(AttemptState.UNAUTHORIZED, OutcomeCode.CVV_ERROR) is OutcomeCode.CVV_ERROR
    assert pay.outcome_for(AttemptState.UNAUTHORIZED) is OutcomeCode.GENERIC_ERROR


def test_every_state_has_an_outcome_or_is_in_progress() -> None:
    for state in AttemptState:
        outcome = pay.outcome_for(state)
        assert outcome is None or isinstance(outcome, OutcomeCode)


# --- where the payer goes back --------------------------------------------------------------------

URLS = ReturnUrls(
    ok="https://ec/ok", cancel="https://ec/cancel", error="https://ec/ko", waiting="https://ec/wait"
)


@pytest.mark.parametrize(
    ("attempt", "url"),
    [
        (pay.authorize(chosen(), 0, at(1)), "https://ec/ok"),
        (pay.authorize(chosen(), 17, at(1)), "https://ec/wait"),
        (pay.authorize(chosen(), 2, at(1)), "https://ec/ko"),
        (pay.authorize(chosen(), 99, at(1)), "https://ec/ko"),
        (pay.cancel(chosen(), at(1)), "https://ec/cancel"),
        (pay.settle(chosen(), at(900)), "https://ec/ko"),
        (chosen(), "https://ec/ko"),
    ],
)
def test_the_return_url_follows_the_outcome(attempt: PaymentAttempt, url: str) -> None:
    assert pay.return_url_for(attempt, URLS) == url


def test_a_pending_payment_without_waiting_url_returns_to_the_error_url() -> None:
    assert (
        pay.return_url_for(pay.authorize(chosen(), 17, at(1)), replace(URLS, waiting=None)) == "https://ec/ko"
    )
