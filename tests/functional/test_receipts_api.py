"""The GPD receipts service as an EC sees it: the paged list of its receipts and each one as XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

import jsonschema
import pytest
from flask import Flask

from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.domain.receipt import Receipt
from simulator.domain.receipt_xml import PA_FOR_NODE
from simulator.services import receipts
from tests.conftest import KEY, SPECS, START, ApiClient
from tests.unit import receipt_factories as f

BASE = "/gpd/payments-receipts-service/v1/payments"
ORG = f.ORG
OTHER_ORG = "80078750587"
MARIO = "RSSMRA80A01H501U"
LAURA = "BNCLRD75B41F205X"
SPEC_FILE = SPECS / "openapi" / "gpd_payments.json"
ITEM_FIELDS = {"organizationFiscalCode", "iuv", "debtor", "paymentDateTime", "status"}


def list_url(org: str = ORG) -> str:
    return f"{BASE}/{org}/receipts"


def iuv(n: int) -> str:
    return f"020000000000{n:05d}"


def make_receipt(n: int, *, debtor: str = MARIO, hours: int = 0, org: str = ORG) -> Receipt:
    """Receipt number ``n``: its own IUV, paid ``hours`` after the test clock's start."""
    position = f.payable_position(iuv(n), org=org, debtor_value=f.debtor(debtor))
    return f.receipt(position, f.facts(receipt_id=f"token-{n:04d}", paid_at=START + timedelta(hours=hours)))


def record(app: Flask, *items: Receipt, tenant: str = "default") -> None:
    with app.extensions["sandbox"].unit(tenant) as unit:
        for item in items:
            receipts.record_receipt(unit, item)


def iuvs(body: dict[str, Any]) -> list[str]:
    return [item["iuv"] for item in body["results"]]


def spec_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SPEC_FILE.read_text())["components"]["schemas"][name]
    return schema


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["title"]
    if SPEC_FILE.is_file():
        jsonschema.validate(body, spec_schema("ProblemJson"))
    return body


# --- the list ------------------------------------------------------------------------------


def test_an_ec_without_payments_gets_not_enough_elements(any_db_api: ApiClient) -> None:
    response = any_db_api.get(list_url())

    assert assert_problem(response, 400) == {
        "title": "Not enough elements",
        "status": 400,
        "detail": "The page number is too big for the filtered elements",
    }
    assert response.headers["X-Request-Id"]


def test_recorded_receipts_are_listed_newest_payment_first(any_db_app: Flask, any_db_api: ApiClient) -> None:
    record(
        any_db_app, make_receipt(1, hours=0), make_receipt(2, hours=2), make_receipt(3, debtor=LAURA, hours=1)
    )

    body = any_db_api.get(list_url()).get_json()

    assert body["length"] == 3 and body["totalPages"] == 1
    assert iuvs(body) == [iuv(2), iuv(3), iuv(1)]
    assert body["results"][1] == {
        "organizationFiscalCode": ORG,
        "iuv": iuv(3),
        "debtor": LAURA,
        "paymentDateTime": "2026-03-02T11:00:00",  # 10:00 UTC, in Rome, as the node writes it
        "status": "PAID",
    }


def test_list_responses_match_the_payments_result_schema(any_db_app: Flask, any_db_api: ApiClient) -> None:
    schema = spec_schema("PaymentsResult")
    record(any_db_app, make_receipt(1), make_receipt(2, hours=1))

    for query in ("", "?pageSize=1", "?pageSize=1&pageNum=1"):
        body = any_db_api.get(list_url() + query).get_json()
        jsonschema.validate(body, schema)
        assert all(set(item) == ITEM_FIELDS for item in body["results"])


def test_pages_split_the_list_by_page_size(any_db_app: Flask, any_db_api: ApiClient) -> None:
    record(any_db_app, *(make_receipt(n, hours=n) for n in range(1, 6)))

    pages = [any_db_api.get(f"{list_url()}?pageSize=2&pageNum={n}").get_json() for n in range(3)]
    past_the_end = any_db_api.get(f"{list_url()}?pageSize=2&pageNum=3")

    assert [p["currentPageNumber"] for p in pages] == [0, 1, 2]
    assert [p["totalPages"] for p in pages] == [3, 3, 3]
    assert [p["length"] for p in pages] == [2, 2, 1]
    assert [iuvs(p) for p in pages] == [[iuv(5), iuv(4)], [iuv(3), iuv(2)], [iuv(1)]]
    assert assert_problem(past_the_end, 400)["title"] == "Not enough elements"


def test_page_size_defaults_to_20_and_accepts_up_to_100(app: Flask, api: ApiClient) -> None:
    record(app, *(make_receipt(n, hours=-n) for n in range(1, 26)))

    default = api.get(list_url()).get_json()
    largest = api.get(f"{list_url()}?pageSize=100").get_json()

    assert (default["length"], default["totalPages"]) == (20, 2)
    assert (largest["length"], largest["totalPages"]) == (25, 1)


def test_debtor_filter_keeps_only_that_debtors_receipts(any_db_app: Flask, any_db_api: ApiClient) -> None:
    record(any_db_app, make_receipt(1), make_receipt(2, debtor=LAURA, hours=1), make_receipt(3, hours=2))

    body = any_db_api.get(f"{list_url()}?debtor={LAURA}").get_json()

    assert iuvs(body) == [iuv(2)]
    assert body["totalPages"] == 1


def test_from_and_to_bound_the_payment_day(any_db_app: Flask, any_db_api: ApiClient, clock: Any) -> None:
    record(any_db_app, *(make_receipt(n, hours=24 * n) for n in range(4)))  # paid on 2, 3, 4, 5 March
    clock.advance(5 * 86_400)  # today is 7 March

    between = any_db_api.get(f"{list_url()}?from=2026-03-03&to=2026-03-04").get_json()
    since = any_db_api.get(f"{list_url()}?from=2026-03-04").get_json()
    until = any_db_api.get(f"{list_url()}?to=2026-03-02").get_json()
    as_day = any_db_api.get(f"{list_url()}?from=2026-03-04T09:00:00Z&to=2026-03-04T09:00:00Z").get_json()

    assert iuvs(between) == [iuv(2), iuv(1)]
    assert iuvs(since) == [iuv(3), iuv(2)]
    assert iuvs(until) == [iuv(0)]
    assert iuvs(as_day) == [iuv(2)]  # a date-time is read as its (Italian) day


def test_debtor_or_iuv_matches_the_start_of_either(any_db_app: Flask, any_db_api: ApiClient) -> None:
    record(
        any_db_app,
        make_receipt(1),
        make_receipt(120, debtor=LAURA, hours=1),
        make_receipt(130, debtor="VRDGPP70C01F205Z", hours=2),
    )

    by_debtor = any_db_api.get(f"{list_url()}?debtorOrIuv=BNCL").get_json()
    by_iuv = any_db_api.get(f"{list_url()}?debtorOrIuv={iuv(120)[:-2]}").get_json()
    by_full_iuv = any_db_api.get(f"{list_url()}?debtorOrIuv={iuv(130)}").get_json()
    no_match = any_db_api.get(f"{list_url()}?debtorOrIuv=ZZZ")

    assert iuvs(by_debtor) == [iuv(120)]
    assert iuvs(by_iuv) == [iuv(130), iuv(120)]
    assert iuvs(by_full_iuv) == [iuv(130)]
    assert assert_problem(no_match, 400)["title"] == "Not enough elements"


def test_an_ec_sees_only_its_own_receipts(any_db_app: Flask, any_db_api: ApiClient) -> None:
    record(any_db_app, make_receipt(1), make_receipt(2, org=OTHER_ORG))

    assert iuvs(any_db_api.get(list_url()).get_json()) == [iuv(1)]
    assert iuvs(any_db_api.get(list_url(OTHER_ORG)).get_json()) == [iuv(2)]


# --- one receipt ---------------------------------------------------------------------------


def test_a_receipt_is_returned_as_its_pa_send_rt_v2_request(any_db_app: Flask, any_db_api: ApiClient) -> None:
    record(any_db_app, make_receipt(1), make_receipt(2, hours=1))

    response = any_db_api.get(f"{list_url()}/{iuv(2)}")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{{{PA_FOR_NODE}}}paSendRTV2Request"
    assert root.findtext("idPA") == ORG
    assert root.findtext("receipt/creditorReferenceId") == iuv(2)
    assert root.findtext("receipt/noticeNumber") == "3" + iuv(2)
    assert root.findtext("receipt/receiptId") == "token-0002"
    assert root.findtext("receipt/paymentAmount") == "100.00"
    assert root.findtext("receipt/paymentDateTime") == "2026-03-02T11:00:00"


def test_user_text_in_a_receipt_arrives_escaped(app: Flask, api: ApiClient) -> None:
    nasty = '<script>alert("x")</script> & co'
    position = f.payable_position(iuv(1), company_name=nasty, option_overrides={"description": nasty})
    record(app, f.receipt(position))

    response = api.get(f"{list_url()}/{iuv(1)}")

    assert b"<script>" not in response.data
    assert ET.fromstring(response.data).findtext("receipt/description") == nasty


def test_an_unknown_iuv_is_404_problem_json(any_db_api: ApiClient) -> None:
    body = assert_problem(any_db_api.get(f"{list_url()}/{iuv(99)}"), 404)

    assert body["title"] == "Not found the receipt"
    assert iuv(99) in body["detail"] and ORG in body["detail"]


def test_a_receipt_of_another_ec_is_not_found(app: Flask, api: ApiClient) -> None:
    record(app, make_receipt(1, org=OTHER_ORG))

    assert_problem(api.get(f"{list_url()}/{iuv(1)}"), 404)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("org", ["1234", "7777777777A", "777777777777"])
def test_a_malformed_ec_fiscal_code_is_400(api: ApiClient, org: str) -> None:
    assert_problem(api.get(list_url(org)), 400)
    assert_problem(api.get(f"{list_url(org)}/{iuv(1)}"), 400)


@pytest.mark.parametrize("query", ["pageSize=101", "pageSize=0", "pageSize=ten", "pageNum=-1", "pageNum=x"])
def test_out_of_range_paging_is_400(api: ApiClient, query: str) -> None:
    body = assert_problem(api.get(f"{list_url()}?{query}"), 400)

    assert query.split("=")[0] in body["detail"]


def test_a_malformed_date_filter_is_400(api: ApiClient) -> None:
    assert "from" in assert_problem(api.get(f"{list_url()}?from=yesterday"), 400)["detail"]


def test_without_subscription_key_the_gateway_answers_401(app: Flask) -> None:
    client = ApiClient(app.test_client(), key=False)

    for path in (list_url(), f"{list_url()}/{iuv(1)}"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.get_json()["statusCode"] == 401


def test_with_a_subscription_key_the_gateway_lets_the_call_through(app: Flask) -> None:
    response = app.test_client().get(list_url(), headers=KEY)

    assert response.get_json()["title"] == "Not enough elements"  # past the gateway: the service's answer


# --- tenants -------------------------------------------------------------------------------


def test_tenants_never_see_each_others_receipts(any_db_app: Flask) -> None:
    acme = ApiClient(any_db_app.test_client(), tenant="acme")
    default = ApiClient(any_db_app.test_client())
    record(any_db_app, make_receipt(1), tenant="acme")
    record(any_db_app, make_receipt(2))

    assert iuvs(acme.get(list_url()).get_json()) == [iuv(1)]
    assert iuvs(default.get(list_url()).get_json()) == [iuv(2)]
    assert acme.get(f"{list_url()}/{iuv(1)}").status_code == 200
    assert_problem(default.get(f"{list_url()}/{iuv(1)}"), 404)
    assert_problem(acme.get(f"{list_url()}/{iuv(2)}"), 404)


def test_the_same_iuv_may_have_a_receipt_in_each_tenant(app: Flask) -> None:
    record(app, make_receipt(1), tenant="acme")
    record(app, make_receipt(1))

    assert ApiClient(app.test_client(), tenant="acme").get(f"{list_url()}/{iuv(1)}").status_code == 200
    assert ApiClient(app.test_client()).get(f"{list_url()}/{iuv(1)}").status_code == 200


# --- recording through the service --------------------------------------------------------


def test_a_second_receipt_for_an_iuv_is_refused_and_the_first_kept(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    record(any_db_app, make_receipt(1))
    again = make_receipt(1, debtor=LAURA, hours=5)

    with pytest.raises(DebtPositionError) as caught:
        record(any_db_app, again)

    assert caught.value.reason is GpdReason.RECEIPT_DUPLICATED
    assert "PAA_RECEIPT_DUPLICATA" in caught.value.detail
    assert any_db_api.get(list_url()).get_json()["results"][0]["debtor"] == MARIO


def test_a_refused_duplicate_leaves_the_transaction_usable(app: Flask, api: ApiClient) -> None:
    with app.extensions["sandbox"].unit("default") as unit:
        receipts.record_receipt(unit, make_receipt(1))
        with pytest.raises(DebtPositionError):
            receipts.record_receipt(unit, make_receipt(1))
        receipts.record_receipt(unit, make_receipt(2, hours=1))

    assert iuvs(api.get(list_url()).get_json()) == [iuv(2), iuv(1)]


def position_body(iupd: str, option_iuv: str) -> dict[str, Any]:
    due = (START + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "iupd": iupd,
        "type": "F",
        "fiscalCode": MARIO,
        "fullName": "Mario Rossi",
        "switchToExpired": False,
        "companyName": "Comune di Test",
        "paymentOption": [
            {
                "iuv": option_iuv,
                "amount": 12_345,
                "description": "TARI 2026",
                "isPartialPayment": False,
                "dueDate": due,
                "transfer": [
                    {
                        "idTransfer": "1",
                        "amount": 12_345,
                        "remittanceInformation": "TARI 2026",
                        "category": "9/0101108TS/",
                        "iban": f.IBAN,
                    }
                ],
            }
        ],
    }


def test_paying_a_notice_marks_it_paid_and_publishes_its_receipt(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    gpd = f"/gpd/debt-positions-service/v1/organizations/{ORG}/debtpositions"
    created = any_db_api.post(f"{gpd}?toPublish=true", json=position_body("IUPD-PAY-1", iuv(7)))
    assert created.status_code == 201
    paid_at: datetime = START + timedelta(minutes=5)

    with any_db_app.extensions["sandbox"].unit("default") as unit:
        receipt = receipts.pay_notice(
            unit, ORG, "3" + iuv(7), f.facts(paid_at=paid_at, payment_note="cart-9")
        )

    assert receipt.payment_amount == 12_345 and receipt.iuv == iuv(7)
    position = any_db_api.get(f"{gpd}/IUPD-PAY-1").get_json()
    assert position["status"] == "PAID"
    assert position["paymentOption"][0]["idReceipt"] == receipt.receipt_id
    assert iuvs(any_db_api.get(list_url()).get_json()) == [iuv(7)]
    xml = ET.fromstring(any_db_api.get(f"{list_url()}/{iuv(7)}").data)
    assert xml.findtext("receipt/paymentAmount") == "123.45"
    assert xml.findtext("receipt/paymentNote") == "cart-9"


def test_paying_a_notice_twice_is_refused_and_leaves_one_receipt(
    any_db_app: Flask, any_db_api: ApiClient
) -> None:
    gpd = f"/gpd/debt-positions-service/v1/organizations/{ORG}/debtpositions"
    any_db_api.post(f"{gpd}?toPublish=true", json=position_body("IUPD-PAY-2", iuv(8)))
    sandbox = any_db_app.extensions["sandbox"]
    with sandbox.unit("default") as unit:
        receipts.pay_notice(unit, ORG, "3" + iuv(8), f.facts(paid_at=START))

    with pytest.raises(DebtPositionError) as caught, sandbox.unit("default") as unit:
        receipts.pay_notice(unit, ORG, "3" + iuv(8), f.facts(paid_at=START, receipt_id="other"))

    assert caught.value.reason is GpdReason.OPTION_ALREADY_PAID
    assert any_db_api.get(list_url()).get_json()["length"] == 1


def test_paying_an_unknown_notice_records_nothing(any_db_app: Flask, any_db_api: ApiClient) -> None:
    with (
        pytest.raises(DebtPositionError) as caught,
        any_db_app.extensions["sandbox"].unit("default") as unit,
    ):
        receipts.pay_notice(unit, ORG, "3" + iuv(9), f.facts())

    assert caught.value.reason is GpdReason.OPTION_NOT_FOUND
    assert any_db_api.get(list_url()).get_json()["title"] == "Not enough elements"


# --- the window over payment days ---------------------------------------------------------------


def test_by_default_the_list_holds_the_last_three_months(any_db_app: Flask, any_db_api: ApiClient) -> None:
    record(any_db_app, make_receipt(1, hours=-24 * 91), make_receipt(2, hours=-24 * 89))  # 2 Dec, 4 Dec

    body = any_db_api.get(list_url()).get_json()
    older = any_db_api.get(f"{list_url()}?from=2025-12-01&to=2026-02-28").get_json()

    assert iuvs(body) == [iuv(2)]
    assert iuvs(older) == [iuv(2), iuv(1)]


@pytest.mark.parametrize("query", ["from=2026-03-02&to=2026-03-01", "from=2025-11-01&to=2026-02-02"])
def test_a_window_backwards_or_over_three_months_is_an_invalid_date_range(api: ApiClient, query: str) -> None:
    assert assert_problem(api.get(f"{list_url()}?{query}"), 400) == {
        "title": "Invalid date range",
        "status": 400,
        "detail": "The requested date range is invalid or exceeds the maximum configured number of months",
    }
