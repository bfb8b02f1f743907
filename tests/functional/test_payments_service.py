"""The payment-attempt service as the checkout pages drive it: verify, activate and lock, pay,
and what an EC then sees through GPD (positions PAID, receipts). Positions are made through the
GPD API; the locking tests also run on PostgreSQL."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from simulator.domain.cart import PaymentNotice, ReturnUrls
from simulator.domain.errors import (
    AttemptReason,
    CheckoutError,
    DebtPositionError,
    InvalidInput,
    PaymentAttemptError,
    PaymentFault,
)
from simulator.domain.payment import AttemptState, FaultCategory, OutcomeCode, PaymentAttempt
from simulator.domain.psps import PaymentMethod
from simulator.services import checkout, payments
from simulator.services.checkout import CartRequest
from simulator.services.clock import FixedClock
from simulator.services.payments import NoticeRequest
from tests.conftest import START, ApiClient, Calls
from tests.functional.gpd_factories import (
    ORG,
    create,
    get,
    iso,
    option,
    paid_url,
    position_body,
    position_url,
)

OTHER_EC = "80078750587"  # no positions anywhere: its notices are synthetic
RECEIPTS = "/gpd/payments-receipts-service/v1/payments"
NS = {"pafn": "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"}


def iuv(n: int) -> str:
    return f"0100000000000{n:04d}"


def nav(n: int) -> str:
    return "3" + iuv(n)


def synthetic_nav(n: int) -> str:
    return f"30200000000{n:07d}"


def service(app: Flask) -> Any:
    return Calls(app.extensions["sandbox"], payments)


def publish(api: ApiClient, n: int, **overrides: Any) -> str:
    """A VALID position of the test EC with one option of 100.00 EUR; returns its NAV."""
    create(api, position_body(f"IUPD-{n}", iuv=iuv(n), **overrides), publish=True)
    return nav(n)


def managed(n: int) -> NoticeRequest:
    return NoticeRequest(ORG, nav(n))


def synthetic(n: int, amount: int | None = 2_500) -> NoticeRequest:
    return NoticeRequest(OTHER_EC, synthetic_nav(n), amount, "Mensa scolastica" if amount else None)


def fault_of(call: Callable[[], object]) -> tuple[FaultCategory, str]:
    with pytest.raises(PaymentFault) as caught:
        call()
    return caught.value.category, caught.value.fault_code


def pay(svc: Any, attempt: PaymentAttempt, outcome: int = 0, tenant: str = "default") -> PaymentAttempt:
    svc.choose_method(tenant, attempt.id, PaymentMethod.CP)
    return svc.authorize(tenant, attempt.id, outcome)


def receipt_xml(api: ApiClient, org: str, iuv_value: str) -> ET.Element:
    response = api.get(f"{RECEIPTS}/{org}/receipts/{iuv_value}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return ET.fromstring(response.get_data())


def receipt_count(api: ApiClient, org: str) -> int:
    response = api.get(f"{RECEIPTS}/{org}/receipts")
    if response.status_code == 400 and response.get_json()["title"] == "Not enough elements":
        return 0  # GPD's answer to an empty list
    assert response.status_code == 200
    return len(response.get_json()["results"])


def text(root: ET.Element, tag: str) -> str | None:
    found = root.find(f".//{tag}")
    return None if found is None else found.text


# --- verify --------------------------------------------------------------------------------------


def test_verify_answers_a_payable_notice_from_its_position(app: Flask, api: ApiClient) -> None:
    publish(api, 1)

    info = service(app).verify("default", ORG, nav(1))

    assert (info.fiscal_code, info.nav, info.iuv) == (ORG, nav(1), iuv(1))
    assert (info.amount, info.description, info.company_name) == (
        10_000,
        "Tassa rifiuti 2026",
        "Comune di Roma",
    )
    assert info.due_date == START + timedelta(days=30)
    assert not info.synthetic


def test_verify_ignores_a_callers_amount_for_a_managed_notice(app: Flask, api: ApiClient) -> None:
    publish(api, 1)
    info = service(app).verify("default", ORG, nav(1), amount=1, description="wrong")
    assert (info.amount, info.description) == (10_000, "Tassa rifiuti 2026")


def test_verify_of_an_unknown_notice_of_a_managed_ec_is_payment_unknown(app: Flask, api: ApiClient) -> None:
    publish(api, 1)
    assert fault_of(lambda: service(app).verify("default", ORG, nav(2))) == (
        FaultCategory.PAYMENT_UNKNOWN,
        "PAA_PAGAMENTO_SCONOSCIUTO",
    )


def test_verify_of_an_unpublished_position_is_payment_unknown(app: Flask, api: ApiClient) -> None:
    create(api, position_body("IUPD-1", iuv=iuv(1)))  # DRAFT
    assert fault_of(lambda: service(app).verify("default", ORG, nav(1)))[0] is FaultCategory.PAYMENT_UNKNOWN


def test_verify_of_an_expired_position_is_payment_expired(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    due_soon = [option(iuv(1), dueDate=iso(START + timedelta(hours=1)))]
    publish(api, 1, switchToExpired=True, paymentOption=due_soon)
    clock.advance(2 * 3600)

    assert fault_of(lambda: service(app).verify("default", ORG, nav(1))) == (
        FaultCategory.PAYMENT_EXPIRED,
        "PAA_PAGAMENTO_SCADUTO",
    )


def test_verify_of_an_invalidated_position_is_payment_canceled(app: Flask, api: ApiClient) -> None:
    publish(api, 1)
    assert api.post(position_url("IUPD-1") + "/invalidate").status_code == 200

    assert fault_of(lambda: service(app).verify("default", ORG, nav(1))) == (
        FaultCategory.PAYMENT_CANCELED,
        "PAA_PAGAMENTO_ANNULLATO",
    )


def test_verify_of_a_notice_paid_elsewhere_is_payment_duplicated(app: Flask, api: ApiClient) -> None:
    publish(api, 1)
    assert api.post(paid_url(nav(1))).status_code == 200

    assert fault_of(lambda: service(app).verify("default", ORG, nav(1))) == (
        FaultCategory.PAYMENT_DUPLICATED,
        "PAA_PAGAMENTO_DUPLICATO",
    )


def test_a_notice_of_an_unmanaged_ec_is_synthetic_and_payable_with_the_callers_data(app: Flask) -> None:
    info = service(app).verify("default", OTHER_EC, synthetic_nav(1), amount=2_500, description="Mensa")

    assert info.synthetic
    assert (info.amount, info.description, info.iuv) == (2_500, "Mensa", synthetic_nav(1)[1:])
    assert info.company_name.startswith("Comune di ")


def test_a_synthetic_notice_without_data_gets_data_generated_from_its_nav(app: Flask) -> None:
    svc = service(app)
    first = svc.verify("default", OTHER_EC, synthetic_nav(1))
    again = svc.verify("default", OTHER_EC, synthetic_nav(1))
    other = svc.verify("default", OTHER_EC, synthetic_nav(2))

    assert first == again
    assert 1_000 <= first.amount <= 100_000 and first.description
    assert (other.amount, other.description) != (first.amount, first.description)


def test_a_malformed_nav_or_fiscal_code_is_refused_as_input(app: Flask) -> None:
    with pytest.raises(InvalidInput):
        service(app).verify("default", OTHER_EC, "12345")
    with pytest.raises(InvalidInput):
        service(app).verify("default", "123", synthetic_nav(1))


# --- locking (SQLite and PostgreSQL) --------------------------------------------------------------


def test_second_attempt_on_a_locked_notice_gets_payment_ongoing(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    publish(any_db_api, 1)
    svc = service(any_db_app)
    svc.start_attempt("default", [managed(1)])

    ongoing = (FaultCategory.PAYMENT_ONGOING, "PPT_PAGAMENTO_IN_CORSO")
    assert fault_of(lambda: svc.start_attempt("default", [managed(1)])) == ongoing
    assert fault_of(lambda: svc.verify("default", ORG, nav(1))) == ongoing


def test_a_synthetic_notice_is_locked_too(any_db_app: Flask) -> None:
    svc = service(any_db_app)
    svc.start_attempt("default", [synthetic(1)])
    assert fault_of(lambda: svc.start_attempt("default", [synthetic(1)]))[0] is FaultCategory.PAYMENT_ONGOING


def test_an_expired_token_frees_the_notice(
    any_db_app: Flask, any_db_api: ApiClient, clock: FixedClock
) -> None:
    publish(any_db_api, 1)
    svc = service(any_db_app)
    first = svc.start_attempt("default", [managed(1)])

    clock.advance(899)
    assert fault_of(lambda: svc.verify("default", ORG, nav(1)))[0] is FaultCategory.PAYMENT_ONGOING
    clock.advance(2)
    second = svc.start_attempt("default", [managed(1)])

    assert second.state is AttemptState.ACTIVATED
    expired = svc.get_attempt("default", first.id)
    assert (expired.state, expired.outcome) == (AttemptState.EXPIRED_NOT_AUTHORIZED, OutcomeCode.TIMEOUT)
    assert fault_of(lambda: svc.verify("default", ORG, nav(1)))[0] is FaultCategory.PAYMENT_ONGOING


def test_reading_an_expired_attempt_does_not_free_the_lock_another_attempt_took(
    any_db_app: Flask, clock: FixedClock
) -> None:
    svc = service(any_db_app)
    first = svc.start_attempt("default", [synthetic(1)])
    clock.advance(901)
    svc.start_attempt("default", [synthetic(1)])

    svc.get_attempt("default", first.id)

    assert (
        fault_of(lambda: svc.verify("default", OTHER_EC, synthetic_nav(1)))[0]
        is FaultCategory.PAYMENT_ONGOING
    )


def test_the_tenant_clock_moved_through_the_sandbox_api_expires_tokens(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    svc = service(any_db_app)
    first = svc.start_attempt("default", [synthetic(1)])
    assert any_db_api.post("/_sandbox/v1/clock/advance", json={"seconds": 900}).status_code == 200

    svc.start_attempt("default", [synthetic(1)])
    assert svc.get_attempt("default", first.id).state is AttemptState.EXPIRED_NOT_AUTHORIZED


def test_activation_is_all_or_none_when_one_notice_is_not_payable(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    publish(any_db_api, 1)
    svc = service(any_db_app)

    category, _ = fault_of(lambda: svc.start_attempt("default", [managed(1), synthetic(1), managed(9)]))

    assert category is FaultCategory.PAYMENT_UNKNOWN
    assert svc.verify("default", ORG, nav(1)).amount == 10_000  # not locked
    assert svc.verify("default", OTHER_EC, synthetic_nav(1)).synthetic
    assert svc.start_attempt("default", [managed(1), synthetic(1)]).state is AttemptState.ACTIVATED


def test_activation_is_all_or_none_when_one_notice_is_already_locked(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    publish(any_db_api, 1)
    svc = service(any_db_app)
    svc.start_attempt("default", [managed(1)])

    category, _ = fault_of(lambda: svc.start_attempt("default", [synthetic(1), managed(1)]))

    assert category is FaultCategory.PAYMENT_ONGOING
    assert svc.start_attempt("default", [synthetic(1)]).state is AttemptState.ACTIVATED


def run_together(count: int, work: Callable[[], object]) -> list[object]:
    """Run ``work`` in ``count`` threads released at once; each result or raised error."""
    barrier = threading.Barrier(count)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: object = work()
        except Exception as exc:
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_attempts_on_one_notice_lock_it_exactly_once(any_db_app: Flask, clock: FixedClock) -> None:
    svc = service(any_db_app)
    results = run_together(6, lambda: svc.start_attempt("default", [synthetic(1)]))

    winners = [r for r in results if isinstance(r, PaymentAttempt)]
    losers = [r for r in results if isinstance(r, PaymentFault)]
    assert len(winners) == 1 and len(losers) == 5, results
    assert all(r.category is FaultCategory.PAYMENT_ONGOING for r in losers)

    clock.advance(901)  # the lock expired: of several takers, again exactly one wins
    results = run_together(6, lambda: svc.start_attempt("default", [synthetic(1)]))
    assert sum(isinstance(r, PaymentAttempt) for r in results) == 1, results


def test_concurrent_authorizations_of_one_attempt_pay_once(any_db_app: Flask, any_db_api: ApiClient) -> None:
    svc = service(any_db_app)
    attempt = svc.start_attempt("default", [synthetic(1)])
    svc.choose_method("default", attempt.id, "CP")

    results = run_together(4, lambda: svc.authorize("default", attempt.id, 0))

    assert sum(isinstance(r, PaymentAttempt) for r in results) == 1, results
    assert all(
        isinstance(r, PaymentAttempt)
        or (isinstance(r, PaymentAttemptError) and r.reason is AttemptReason.ALREADY_PROCESSED)
        for r in results
    ), results
    assert receipt_count(any_db_api, OTHER_EC) == 1


# --- paying ------------------------------------------------------------------------------------------


def test_a_successful_payment_records_one_receipt_per_notice_and_pays_the_positions(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    api = any_db_api
    publish(api, 1)
    publish(api, 2)
    svc = service(any_db_app)
    attempt = svc.start_attempt("default", [managed(1), managed(2), synthetic(3)], email="mario@example.com")

    chosen = svc.choose_method("default", attempt.id, PaymentMethod.CP)
    paid = svc.authorize("default", attempt.id, 0)

    assert (paid.state, paid.outcome) == (AttemptState.NOTIFIED_OK, OutcomeCode.SUCCESS)
    assert paid.fee == chosen.fee > 0
    for n, token in zip((1, 2), paid.payment_tokens, strict=False):
        position = get(api, f"IUPD-{n}")
        assert position["status"] == "PAID"
        assert position["paymentOption"][0]["status"] == "PO_PAID"
        xml = receipt_xml(api, ORG, iuv(n))
        assert text(xml, "receiptId") == token
        assert text(xml, "idPSP") == paid.psp_id
        assert text(xml, "paymentMethod") == "CP"
    synthetic_receipt = receipt_xml(api, OTHER_EC, synthetic_nav(3)[1:])
    assert text(synthetic_receipt, "receiptId") == paid.payment_tokens[2]
    assert text(synthetic_receipt, "paymentAmount") == "25.00"
    assert receipt_count(api, ORG) == 2 and receipt_count(api, OTHER_EC) == 1


def test_the_fee_is_on_the_first_receipt_only(app: Flask, api: ApiClient) -> None:
    svc = service(app)
    paid = pay(svc, svc.start_attempt("default", [synthetic(1), synthetic(2)]))

    fees = [text(receipt_xml(api, OTHER_EC, synthetic_nav(n)[1:]), "fee") for n in (1, 2)]
    assert fees == [f"{paid.fee // 100}.{paid.fee % 100:02d}", "0.00"]


def test_a_paid_notice_verifies_as_duplicated_managed_or_synthetic(app: Flask, api: ApiClient) -> None:
    publish(api, 1)
    svc = service(app)
    pay(svc, svc.start_attempt("default", [managed(1), synthetic(2)]))

    duplicated = (FaultCategory.PAYMENT_DUPLICATED, "PAA_PAGAMENTO_DUPLICATO")
    assert fault_of(lambda: svc.verify("default", ORG, nav(1))) == duplicated
    assert fault_of(lambda: svc.verify("default", OTHER_EC, synthetic_nav(2))) == duplicated
    assert fault_of(lambda: svc.start_attempt("default", [synthetic(2)])) == duplicated


def test_a_second_authorize_is_refused_and_never_records_a_second_receipt(app: Flask, api: ApiClient) -> None:
    publish(api, 1)
    svc = service(app)
    attempt = svc.start_attempt("default", [managed(1)])
    paid = pay(svc, attempt)

    for outcome in (0, 2, 17):
        with pytest.raises(PaymentAttemptError) as caught:
            svc.authorize("default", attempt.id, outcome)
        assert caught.value.reason is AttemptReason.ALREADY_PROCESSED

    assert svc.get_attempt("default", attempt.id) == paid
    assert receipt_count(api, ORG) == 1


def test_a_refused_authorization_records_nothing_and_frees_the_notices(app: Flask, api: ApiClient) -> None:
    publish(api, 1)
    svc = service(app)
    refused = pay(svc, svc.start_attempt("default", [managed(1)]), OutcomeCode.BALANCE_NOT_AVAILABLE.value)

    assert (refused.state, refused.outcome) == (AttemptState.UNAUTHORIZED, OutcomeCode.BALANCE_NOT_AVAILABLE)
    assert get(api, "IUPD-1")["status"] == "VALID"
    assert receipt_count(api, ORG) == 0
    assert svc.start_attempt("default", [managed(1)]).state is AttemptState.ACTIVATED


def test_cancelling_frees_the_notices(app: Flask) -> None:
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(1)])

    cancelled = svc.cancel("default", attempt.id)

    assert (cancelled.state, cancelled.outcome) == (AttemptState.CANCELED, OutcomeCode.CANCELED_BY_USER)
    assert svc.verify("default", OTHER_EC, synthetic_nav(1)).synthetic
    with pytest.raises(PaymentAttemptError):
        svc.authorize("default", attempt.id, 0)


def test_an_abandoned_session_expires_at_once_and_frees_the_notices(app: Flask) -> None:
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(1)])

    expired = svc.expire("default", attempt.id)

    assert (expired.state, expired.outcome) == (AttemptState.EXPIRED_NOT_AUTHORIZED, OutcomeCode.TIMEOUT)
    assert svc.verify("default", OTHER_EC, synthetic_nav(1)).synthetic


def test_an_attempt_past_its_token_cannot_be_paid(app: Flask, clock: FixedClock) -> None:
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(1)])
    svc.choose_method("default", attempt.id, "CP")
    clock.advance(900)

    with pytest.raises(PaymentAttemptError) as caught:
        svc.authorize("default", attempt.id, 0)

    assert "EXPIRED_NOT_AUTHORIZED" in caught.value.detail
    assert svc.get_attempt("default", attempt.id).state is AttemptState.EXPIRED_NOT_AUTHORIZED


# --- a pending payment (17) ----------------------------------------------------------------------------


def test_a_pending_payment_keeps_its_notices_locked_past_the_token_until_resolved(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    publish(api, 1)
    svc = service(app)
    attempt = svc.start_attempt("default", [managed(1)])
    assert pay(svc, attempt, 17).state is AttemptState.CLOSED
    clock.advance(3_600)

    assert svc.get_attempt("default", attempt.id).pending
    assert fault_of(lambda: svc.verify("default", ORG, nav(1)))[0] is FaultCategory.PAYMENT_ONGOING

    done = svc.resolve_pending("default", attempt.id, "ok")

    assert (done.state, done.outcome) == (AttemptState.NOTIFIED_OK, OutcomeCode.SUCCESS)
    assert get(api, "IUPD-1")["status"] == "PAID"
    assert text(receipt_xml(api, ORG, iuv(1)), "receiptId") == attempt.payment_tokens[0]
    assert fault_of(lambda: svc.verify("default", ORG, nav(1)))[0] is FaultCategory.PAYMENT_DUPLICATED


def test_a_refunded_pending_payment_records_nothing_and_frees_the_notices(app: Flask, api: ApiClient) -> None:
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(1)])
    pay(svc, attempt, 17)

    done = svc.resolve_pending("default", attempt.id, "refunded")

    assert (done.state, done.outcome) == (AttemptState.REFUNDED, OutcomeCode.REFUNDED)
    assert receipt_count(api, OTHER_EC) == 0
    assert svc.verify("default", OTHER_EC, synthetic_nav(1)).synthetic
    with pytest.raises(InvalidInput):
        svc.resolve_pending("default", attempt.id, "maybe")


# --- method and PSP ----------------------------------------------------------------------------------


def test_choosing_a_method_picks_the_cheapest_psp_and_the_payer_may_change_it(app: Flask) -> None:
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(1, amount=5_000)])

    cheapest = svc.choose_method("default", attempt.id, "CP")
    changed = svc.choose_psp("default", attempt.id, "DEMOPSP004")

    assert (cheapest.psp_id, cheapest.fee) == ("DEMOPSP003", 90)
    assert (changed.method, changed.psp_name, changed.fee) == (
        PaymentMethod.CP,
        "Banca Esempio di Credito Cooperativo",
        150,
    )
    assert svc.get_attempt("default", attempt.id).total == 5_150


def test_a_psp_needs_a_method_first_and_must_exist(app: Flask) -> None:
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(1)])

    with pytest.raises(PaymentAttemptError) as caught:
        svc.choose_psp("default", attempt.id, "DEMOPSP001")
    assert caught.value.reason is AttemptReason.METHOD_NOT_CHOSEN
    with pytest.raises(InvalidInput):
        svc.choose_method("default", attempt.id, "CP", "NOPE")
    with pytest.raises(InvalidInput):
        svc.choose_method("default", attempt.id, "BITCOIN")
    with pytest.raises(PaymentAttemptError) as caught:
        svc.authorize("default", attempt.id, 0)
    assert caught.value.reason is AttemptReason.METHOD_NOT_CHOSEN


# --- carts, tenants, reset ----------------------------------------------------------------------------


def test_an_attempt_started_from_a_cart_carries_its_email_and_id_cart(app: Flask, api: ApiClient) -> None:
    sandbox = app.extensions["sandbox"]
    cart = Calls(sandbox, checkout).create_cart(
        "default",
        CartRequest(
            notices=(PaymentNotice(synthetic_nav(1), OTHER_EC, 4_200, "Comune di Prova", "Mensa"),),
            return_urls=ReturnUrls(
                "https://ec.example/ok", "https://ec.example/cancel", "https://ec.example/ko"
            ),
            api_version=1,
            email="Mario@Example.com",
            id_cart="EC-CART-7",
        ),
    )
    svc = service(app)

    attempt = svc.start_attempt("default", cart)
    pay(svc, attempt)

    assert (attempt.cart_id, attempt.id_cart, attempt.email) == (cart.id, "EC-CART-7", "Mario@Example.com")
    assert (attempt.amount, attempt.notices[0].company_name) == (4_200, "Comune di Prova")
    assert text(receipt_xml(api, OTHER_EC, synthetic_nav(1)[1:]), "paymentNote") == "EC-CART-7"


def test_an_expired_cart_cannot_start_an_attempt(app: Flask, clock: FixedClock) -> None:
    cart = Calls(app.extensions["sandbox"], checkout).create_cart(
        "default",
        CartRequest(
            notices=(PaymentNotice(synthetic_nav(1), OTHER_EC, 100, "Comune", "Mensa"),),
            return_urls=ReturnUrls("https://e/ok", "https://e/c", "https://e/ko"),
            api_version=1,
        ),
    )
    clock.advance(600)
    with pytest.raises(CheckoutError):
        service(app).start_attempt("default", cart)


def test_tenants_never_see_each_others_attempts_or_locks(any_db_app: Flask) -> None:
    svc = service(any_db_app)
    mine = svc.start_attempt("ci-run-1", [synthetic(1)])

    theirs = svc.start_attempt("ci-run-2", [synthetic(1)])

    assert theirs.id != mine.id
    with pytest.raises(PaymentAttemptError) as caught:
        svc.get_attempt("ci-run-2", mine.id)
    assert caught.value.reason is AttemptReason.NOT_FOUND
    pay(svc, theirs, tenant="ci-run-2")
    assert (
        fault_of(lambda: svc.verify("ci-run-1", OTHER_EC, synthetic_nav(1)))[0]
        is FaultCategory.PAYMENT_ONGOING
    )


def test_resetting_a_tenant_forgets_its_attempts_and_locks(app: Flask, api: ApiClient) -> None:
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(1)])

    assert api.post("/_sandbox/v1/reset").status_code == 204

    assert svc.verify("default", OTHER_EC, synthetic_nav(1)).synthetic
    with pytest.raises(PaymentAttemptError):
        svc.get_attempt("default", attempt.id)


def test_a_position_that_stopped_being_payable_makes_the_payment_fail_whole(
    app: Flask, api: ApiClient
) -> None:
    publish(api, 1)
    svc = service(app)
    attempt = svc.start_attempt("default", [synthetic(2), managed(1)])
    svc.choose_method("default", attempt.id, "CP")
    assert api.post(position_url("IUPD-1") + "/invalidate").status_code == 200

    with pytest.raises(DebtPositionError):
        svc.authorize("default", attempt.id, 0)

    assert svc.get_attempt("default", attempt.id).state is AttemptState.ACTIVATED
    assert receipt_count(api, OTHER_EC) == 0
