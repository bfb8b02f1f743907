"""The proposal's status query and offline payment: a notice paid "at a bank counter" gets its
receipt and marks the position paid; a notice that cannot be paid gives production's faults."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from simulator.services import payments
from simulator.services.payments import NoticeRequest
from tests.conftest import ApiClient
from tests.functional.gpd_factories import ORG, OTHER_ORG, create, get, position_body, position_url

RECEIPTS = "/gpd/payments-receipts-service/v1/payments"


def iuv(n: int) -> str:
    return f"0100000000000{n:04d}"


def publish(api: ApiClient, n: int, **overrides: Any) -> str:
    create(api, position_body(f"IUPD-{n}", iuv=iuv(n), **overrides), publish=True)
    return "3" + iuv(n)


def pay(api: ApiClient, nav: str, org: str = ORG, **body: Any) -> Any:
    return api.post(f"/_sandbox/v1/notices/{org}/{nav}/pay", json=body or None)


def status(api: ApiClient, nav: str, org: str = ORG) -> dict[str, Any]:
    answer = api.get(f"/_sandbox/v1/notices/{org}/{nav}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def assert_fault(answer: Any, http: int, category: str, detail: str) -> None:
    assert answer.status_code == http, answer.get_json()
    body = answer.get_json()
    assert body["faultCodeCategory"] == category and body["faultCodeDetail"] == detail
    assert body["status"] == http and body["title"]


def test_a_payable_notice_is_not_paid_and_has_no_receipt(api: ApiClient) -> None:
    nav = publish(api, 1)

    assert status(api, nav) == {
        "fiscalCode": ORG,
        "noticeNumber": nav,
        "iuv": iuv(1),
        "status": "PAYABLE",
        "paid": False,
        "receipt": None,
    }


def test_paying_offline_creates_the_receipt_and_marks_the_position_paid(api: ApiClient) -> None:
    nav = publish(api, 1)

    answer = pay(api, nav, channel="ATM", psp="DEMOPSP003", fee=120)

    assert answer.status_code == 201
    body = answer.get_json()
    assert body["status"] == "PAID" and body["paid"] is True
    receipt = body["receipt"]
    assert receipt["channel"] == "offline" and receipt["pspId"] == "DEMOPSP003"
    assert receipt["amount"] == 10000 and receipt["fee"] == 120
    assert receipt["paymentDate"] == "2026-03-02T09:00:00.000Z"
    assert status(api, nav) == body
    assert get(api, "IUPD-1")["status"] == "PAID"
    listed = api.get(f"{RECEIPTS}/{ORG}/receipts").get_json()
    assert [r["iuv"] for r in listed["results"]] == [iuv(1)]


def test_the_body_of_an_offline_payment_is_optional(api: ApiClient) -> None:
    nav = publish(api, 1)

    answer = api.post(f"/_sandbox/v1/notices/{ORG}/{nav}/pay")

    assert answer.status_code == 201
    assert answer.get_json()["receipt"]["fee"] == 0


def test_paying_an_already_paid_notice_is_payment_duplicated(api: ApiClient) -> None:
    nav = publish(api, 1)
    pay(api, nav)

    assert_fault(pay(api, nav), 409, "PAYMENT_DUPLICATED", "PAA_PAGAMENTO_DUPLICATO")  # as verify says it


def test_paying_an_unknown_notice_is_payment_unknown(api: ApiClient) -> None:
    publish(api, 1)

    assert_fault(pay(api, "3" + iuv(99)), 404, "PAYMENT_UNKNOWN", "PAA_PAGAMENTO_SCONOSCIUTO")
    assert status(api, "3" + iuv(99))["status"] == "UNKNOWN"


def test_a_notice_of_an_ec_without_positions_cannot_be_paid_offline(api: ApiClient) -> None:
    nav = "302000000000000017"

    assert_fault(pay(api, nav, OTHER_ORG), 404, "PAYMENT_UNKNOWN", "PAA_PAGAMENTO_SCONOSCIUTO")
    assert status(api, nav, OTHER_ORG)["status"] == "PAYABLE"  # synthetic: payable in a cart


def test_paying_an_expired_notice_is_payment_expired(api: ApiClient) -> None:
    nav = publish(api, 1, switchToExpired=True)
    api.post("/_sandbox/v1/clock/advance", json={"seconds": 31 * 86400})

    assert_fault(pay(api, nav), 409, "PAYMENT_EXPIRED", "PAA_PAGAMENTO_SCADUTO")
    assert status(api, nav)["status"] == "EXPIRED"


def test_paying_an_invalidated_notice_is_payment_canceled(api: ApiClient) -> None:
    nav = publish(api, 1)
    assert api.post(position_url("IUPD-1") + "/invalidate").status_code == 200

    assert_fault(pay(api, nav), 409, "PAYMENT_CANCELED", "PAA_PAGAMENTO_ANNULLATO")
    assert status(api, nav)["status"] == "CANCELED"


def test_paying_a_notice_held_by_a_live_attempt_is_payment_ongoing(app: Flask, api: ApiClient) -> None:
    nav = publish(api, 1)
    with app.extensions["sandbox"].unit("default") as unit:
        payments.start_attempt(unit, [NoticeRequest(ORG, nav)])

    assert_fault(pay(api, nav), 409, "PAYMENT_ONGOING", "PPT_PAGAMENTO_IN_CORSO")
    assert status(api, nav)["status"] == "ONGOING"
    assert get(api, "IUPD-1")["status"] == "VALID"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fee": -1}, "fee"),
        ({"fee": "lots"}, "fee"),
        ({"psp": "NOPSP"}, "psp"),
        ({"channel": 7.5}, "channel"),
    ],
)
def test_a_bad_offline_payment_body_is_a_400_and_pays_nothing(
    api: ApiClient, body: dict[str, Any], field: str
) -> None:
    nav = publish(api, 1)

    answer = pay(api, nav, **body)

    if field == "channel":  # numbers are accepted where strings are, as upstream does
        assert answer.status_code == 201
        return
    assert answer.status_code == 400 and answer.get_json()["detail"].startswith(field)
    assert status(api, nav)["status"] == "PAYABLE"


def test_a_malformed_notice_number_is_a_400(api: ApiClient) -> None:
    assert api.get(f"/_sandbox/v1/notices/{ORG}/12345").status_code == 400
    assert api.post(f"/_sandbox/v1/notices/{ORG}/12345/pay").status_code == 400
    assert (
        api.post(
            f"/_sandbox/v1/notices/{ORG}/{'3' + iuv(1)}/pay", data="x", content_type="text/plain"
        ).status_code
        == 400
    )
