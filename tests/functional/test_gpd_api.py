"""The GPD debt-position API as a creditor uses it: create, read, list, update, delete, publish,
invalidate, mark paid, uniqueness and the statuses that move with the (tenant's) clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator.services.clock import FixedClock
from tests.conftest import START, ApiClient
from tests.functional.gpd_factories import (
    ORG,
    OTHER_ORG,
    create,
    get,
    iso,
    iuv_for,
    listed,
    option,
    paid_url,
    position_body,
    position_url,
    positions_url,
    transfer,
)

DAY = 24 * 3600
NOW = iso(START)
UNIQUENESS = "The debt position violated constraints of uniqueness"
NOT_FOUND = "Not found the debt position"


def nav_of(iupd: str) -> str:
    return "3" + iuv_for(iupd)


# --- create ------------------------------------------------------------------------------


def test_create_with_to_publish_answers_201_with_a_valid_position(api: ApiClient) -> None:
    response = api.post(positions_url() + "?toPublish=true", json=position_body("IUPD-1"))

    assert response.status_code == 201
    body = response.get_json()
    assert body["iupd"] == "IUPD-1"
    assert body["status"] == "VALID"
    assert body["validityDate"] == NOW  # publishing without a validity date makes it valid from now
    assert body["type"] == "F"
    assert body["fiscalCode"] == "RSSMRA80A01H501U"
    assert body["fullName"] == "Mario Rossi"
    assert body["companyName"] == "Comune di Roma"
    assert body["switchToExpired"] is False
    assert body["payStandIn"] is True
    [opt] = body["paymentOption"]
    assert opt["iuv"] == iuv_for("IUPD-1")
    assert opt["amount"] == 10000
    assert opt["dueDate"] == iso(START + timedelta(days=30))
    assert opt["transfer"][0]["iban"] == "IT60X0542811101000000123456"
    assert response.headers["X-Request-Id"]


def test_create_without_to_publish_leaves_the_position_in_draft(any_db_api: ApiClient) -> None:
    body = create(any_db_api, position_body("IUPD-1"))

    assert body["status"] == "DRAFT"
    assert "validityDate" not in body
    assert get(any_db_api, "IUPD-1")["status"] == "DRAFT"


def test_nav_defaults_to_3_followed_by_the_iuv(api: ApiClient) -> None:
    body = create(api, position_body("IUPD-1", iuv="01234567890123456"))

    assert body["paymentOption"][0]["nav"] == "301234567890123456"
    assert get(api, "IUPD-1")["paymentOption"][0]["nav"] == "301234567890123456"


def test_a_nav_given_by_the_creditor_is_kept(api: ApiClient) -> None:
    body = position_body("IUPD-1", paymentOption=[option("01234567890123456", nav="001234567890123456")])

    created = create(api, body)

    assert created["paymentOption"][0]["nav"] == "001234567890123456"
    assert api.post(paid_url("301234567890123456")).status_code == 404


@pytest.mark.parametrize(
    ("flag", "status"), [("True", "VALID"), ("1", "VALID"), ("FALSE", "DRAFT"), ("", "DRAFT")]
)
def test_to_publish_is_read_as_spring_reads_a_boolean(api: ApiClient, flag: str, status: str) -> None:
    # Python's requests turns params={"toPublish": True} into "toPublish=True"
    response = api.post(positions_url() + f"?toPublish={flag}", json=position_body("IUPD-1"))

    assert response.status_code == 201
    assert response.get_json()["status"] == status


# --- read --------------------------------------------------------------------------------


def test_get_answers_the_base_response_with_dates_and_statuses(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1"), publish=True)

    body = get(any_db_api, "IUPD-1")

    assert body["iupd"] == "IUPD-1"
    assert body["organizationFiscalCode"] == ORG
    assert body["type"] == "F"
    assert body["companyName"] == "Comune di Roma"
    assert body["officeName"] == "Ufficio Tributi"
    assert body["status"] == "VALID"
    assert body["insertedDate"] == body["publishDate"] == body["validityDate"] == NOW
    assert body["lastUpdatedDate"] == NOW
    assert "paymentDate" not in body
    assert "fullName" not in body  # the debtor is not part of PaymentPositionModelBaseResponse
    [opt] = body["paymentOption"]
    assert opt["status"] == "PO_UNPAID"
    assert opt["organizationFiscalCode"] == ORG
    assert opt["nav"] == nav_of("IUPD-1")
    assert opt["insertedDate"] == NOW
    [tr] = opt["transfer"]
    assert tr["status"] == "T_UNREPORTED"
    assert tr["organizationFiscalCode"] == ORG  # defaulted to the creditor of the position
    assert tr["amount"] == 10000


def test_get_of_an_unknown_iupd_is_404(api: ApiClient) -> None:
    response = api.get(position_url("NOPE"))

    assert response.status_code == 404
    assert response.get_json() == {
        "title": NOT_FOUND,
        "status": 404,
        "detail": f"Not found a debt position for Organization Fiscal Code {ORG} and IUPD NOPE",
    }


def test_a_position_belongs_to_its_organization_only(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"))

    assert api.get(position_url("IUPD-1", OTHER_ORG)).status_code == 404
    assert listed(api, org=OTHER_ORG) == []


# --- list --------------------------------------------------------------------------------


def test_list_answers_base_responses_with_page_info(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1"), publish=True)
    create(any_db_api, position_body("IUPD-2"))

    response = any_db_api.get(positions_url())

    assert response.status_code == 200
    body = response.get_json()
    assert body["page_info"] == {"page": 0, "limit": 10, "items_found": 2, "total_pages": 1}
    positions = body["payment_position_list"]
    assert [p["iupd"] for p in positions] == ["IUPD-2", "IUPD-1"]  # newest first by default
    assert positions[1] == get(any_db_api, "IUPD-1")


def test_an_empty_list_has_no_pages(api: ApiClient) -> None:
    body = api.get(positions_url()).get_json()

    assert body == {
        "payment_position_list": [],
        "page_info": {"page": 0, "limit": 10, "items_found": 0, "total_pages": 0},
    }


def test_list_pages_through_the_positions(any_db_api: ApiClient) -> None:
    for i in range(7):
        create(any_db_api, position_body(f"IUPD-{i}"))

    pages = [any_db_api.get(positions_url() + f"?limit=3&page={n}&ordering=ASC").get_json() for n in range(4)]

    assert [p["page_info"] for p in pages] == [
        {"page": 0, "limit": 3, "items_found": 3, "total_pages": 3},
        {"page": 1, "limit": 3, "items_found": 3, "total_pages": 3},
        {"page": 2, "limit": 3, "items_found": 1, "total_pages": 3},
        {"page": 3, "limit": 3, "items_found": 0, "total_pages": 3},
    ]
    seen = [p["iupd"] for page in pages for p in page["payment_position_list"]]
    assert seen == [f"IUPD-{i}" for i in range(7)]


def test_list_limit_accepts_up_to_50(api: ApiClient) -> None:
    for i in range(12):
        create(api, position_body(f"IUPD-{i}"))

    body = api.get(positions_url() + "?limit=50").get_json()

    assert body["page_info"] == {"page": 0, "limit": 50, "items_found": 12, "total_pages": 1}
    assert len(listed(api)) == 10  # the default limit


def test_list_filters_by_status(api: ApiClient) -> None:
    create(api, position_body("DRAFT-1"))
    create(api, position_body("VALID-1"), publish=True)
    create(api, position_body("VALID-2"), publish=True)
    create(api, position_body("INVALID-1"), publish=True)
    api.post(position_url("INVALID-1") + "/invalidate")

    assert listed(api, "status=VALID") == ["VALID-2", "VALID-1"]
    assert listed(api, "status=DRAFT") == ["DRAFT-1"]
    assert listed(api, "status=INVALID") == ["INVALID-1"]
    assert listed(api, "status=PAID") == []
    body = api.get(positions_url() + "?status=VALID&limit=1").get_json()
    assert body["page_info"] == {"page": 0, "limit": 1, "items_found": 1, "total_pages": 2}


def test_list_filters_by_due_date_with_inclusive_days(any_db_api: ApiClient) -> None:
    for iupd, days in (("DUE-10", 10), ("DUE-20", 20), ("DUE-40", 40)):
        due = iso(START + timedelta(days=days))  # 09:00 UTC on 2026-03-12, 03-22, 04-11
        create(any_db_api, position_body(iupd, paymentOption=[option(iuv_for(iupd), dueDate=due)]))

    assert listed(any_db_api, "due_date_from=2026-03-12&due_date_to=2026-03-22&ordering=ASC") == [
        "DUE-10",
        "DUE-20",
    ]
    assert listed(any_db_api, "due_date_from=2026-03-13&ordering=ASC") == ["DUE-20", "DUE-40"]
    assert listed(any_db_api, "due_date_to=2026-03-12") == ["DUE-10"]
    assert listed(any_db_api, "due_date_to=2026-03-11") == []
    assert listed(any_db_api, "due_date_from=2026-04-12") == []


def test_list_filters_by_payment_date(api: ApiClient, clock: FixedClock) -> None:
    for iupd in ("PAID-1", "PAID-2", "UNPAID"):
        create(api, position_body(iupd), publish=True)
    assert api.post(paid_url(nav_of("PAID-1"))).status_code == 200  # paid on 2026-03-02
    clock.advance(DAY)
    assert api.post(paid_url(nav_of("PAID-2"))).status_code == 200  # paid on 2026-03-03

    assert listed(api, "payment_date_from=2026-03-02&ordering=ASC") == ["PAID-1", "PAID-2"]
    assert listed(api, "payment_date_from=2026-03-03") == ["PAID-2"]
    assert listed(api, "payment_date_to=2026-03-02") == ["PAID-1"]
    assert listed(api, "payment_date_from=2026-03-02&payment_date_to=2026-03-02") == ["PAID-1"]
    assert listed(api, "payment_date_to=2026-03-01") == []


@pytest.mark.parametrize(
    ("orderby", "ascending"),
    [
        ("INSERTED_DATE", ["MIL-B", "TOR-A", "BAR-C"]),
        ("IUPD", ["BAR-C", "MIL-B", "TOR-A"]),
        ("STATUS", ["TOR-A", "BAR-C", "MIL-B"]),  # DRAFT < INVALID < VALID
        ("COMPANY_NAME", ["BAR-C", "MIL-B", "TOR-A"]),
    ],
)
def test_list_orders_by_each_field_both_ways(
    api: ApiClient, clock: FixedClock, orderby: str, ascending: list[str]
) -> None:
    create(api, position_body("MIL-B", companyName="Comune di Milano"), publish=True)
    clock.advance(60)
    create(api, position_body("TOR-A", companyName="Comune di Torino"))
    clock.advance(60)
    create(api, position_body("BAR-C", companyName="Comune di Bari"), publish=True)
    api.post(position_url("BAR-C") + "/invalidate")

    assert listed(api, f"orderby={orderby}&ordering=ASC") == ascending
    assert listed(api, f"orderby={orderby}&ordering=DESC") == ascending[::-1]
    assert listed(api, f"orderby={orderby}") == ascending[::-1]  # DESC is the default


def test_list_orders_by_newest_insertion_by_default(api: ApiClient, clock: FixedClock) -> None:
    for iupd in ("A", "C", "B"):
        create(api, position_body(iupd))
        clock.advance(1)

    assert listed(api) == ["B", "C", "A"]


# --- update ------------------------------------------------------------------------------


def test_update_of_a_valid_position_brings_it_back_to_draft(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    response = api.put(position_url("IUPD-1"), json=position_body("IUPD-1", companyName="Comune di Napoli"))

    assert response.status_code == 200
    assert response.get_json()["status"] == "DRAFT"
    assert response.get_json()["companyName"] == "Comune di Napoli"
    stored = get(api, "IUPD-1")
    assert stored["status"] == "DRAFT"
    assert stored["companyName"] == "Comune di Napoli"
    assert "publishDate" not in stored


def test_update_with_to_publish_republishes_the_position(api: ApiClient, clock: FixedClock) -> None:
    create(api, position_body("IUPD-1"), publish=True)
    clock.advance(3600)
    new = position_body("IUPD-1", paymentOption=[option(iuv_for("IUPD-1"), amount=5000)])

    response = api.put(position_url("IUPD-1") + "?toPublish=true", json=new)

    assert response.status_code == 200
    assert response.get_json()["status"] == "VALID"
    stored = get(api, "IUPD-1")
    assert stored["status"] == "VALID"
    assert stored["paymentOption"][0]["amount"] == 5000
    assert stored["insertedDate"] == NOW
    assert stored["publishDate"] == stored["lastUpdatedDate"] == iso(START + timedelta(hours=1))


def test_update_can_replace_the_payment_options(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1", iuv="01000000000000001"))
    new = position_body("IUPD-1", iuv="01000000000000002")

    assert any_db_api.put(position_url("IUPD-1"), json=new).status_code == 200

    assert [o["iuv"] for o in get(any_db_api, "IUPD-1")["paymentOption"]] == ["01000000000000002"]
    create(any_db_api, position_body("IUPD-2", iuv="01000000000000001"))  # the old IUV is free again


def test_update_with_another_iupd_in_the_body_is_400_and_changes_nothing(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    response = api.put(position_url("IUPD-1"), json=position_body("IUPD-2", companyName="Altro"))

    assert response.status_code == 400
    assert response.get_json() == {
        "title": "Error in the debt position request data",
        "status": 400,
        "detail": "iupd: must equal the IUPD of the path",
    }
    stored = get(api, "IUPD-1")
    assert (stored["status"], stored["companyName"]) == ("VALID", "Comune di Roma")
    assert listed(api) == ["IUPD-1"]


def test_update_of_an_unknown_position_is_404(api: ApiClient) -> None:
    response = api.put(position_url("NOPE"), json=position_body("NOPE"))

    assert response.status_code == 404
    assert response.get_json()["title"] == NOT_FOUND
    assert listed(api) == []


def test_update_of_a_paid_position_is_409(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)
    api.post(paid_url(nav_of("IUPD-1")))

    response = api.put(position_url("IUPD-1"), json=position_body("IUPD-1", companyName="Altro"))

    assert response.status_code == 409
    assert response.get_json()["title"] == "Existing related payment found or not in updatable state"
    stored = get(api, "IUPD-1")
    assert (stored["status"], stored["companyName"]) == ("PAID", "Comune di Roma")


def test_update_taking_the_iuv_of_another_position_is_409(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1"))
    create(any_db_api, position_body("IUPD-2"))

    response = any_db_api.put(position_url("IUPD-2"), json=position_body("IUPD-2", iuv=iuv_for("IUPD-1")))

    assert response.status_code == 409
    assert response.get_json()["title"] == UNIQUENESS
    assert get(any_db_api, "IUPD-2")["paymentOption"][0]["iuv"] == iuv_for("IUPD-2")


# --- delete ------------------------------------------------------------------------------


def test_delete_answers_ok_and_forgets_the_position(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    response = api.delete(position_url("IUPD-1"))

    assert response.status_code == 200
    assert response.get_json() == "The debt position was successfully deleted"
    assert api.get(position_url("IUPD-1")).status_code == 404
    assert listed(api) == []
    create(api, position_body("IUPD-1"))  # IUPD and IUV can be used again


def test_delete_of_an_unknown_position_is_404(api: ApiClient) -> None:
    response = api.delete(position_url("NOPE"))

    assert response.status_code == 404
    assert response.get_json()["title"] == NOT_FOUND


def test_delete_of_a_paid_position_is_409_and_keeps_it(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)
    api.post(paid_url(nav_of("IUPD-1")))

    response = api.delete(position_url("IUPD-1"))

    assert response.status_code == 409
    assert response.get_json() == {
        "title": "Existing related payment found",
        "status": 409,
        "detail": "A payment transaction has already been carried out on the debt position with"
        f" Organization Fiscal Code {ORG} and IUPD IUPD-1",
    }
    assert get(api, "IUPD-1")["status"] == "PAID"


# --- publish and invalidate -------------------------------------------------------------


def test_publish_turns_a_draft_valid_from_now(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"))

    response = api.post(position_url("IUPD-1") + "/publish")

    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["validityDate"]) == ("VALID", NOW)
    stored = get(api, "IUPD-1")
    assert (stored["status"], stored["publishDate"]) == ("VALID", NOW)


def test_publish_with_a_future_validity_date_is_published(api: ApiClient) -> None:
    validity = iso(START + timedelta(days=2))
    create(api, position_body("IUPD-1", validityDate=validity))

    response = api.post(position_url("IUPD-1") + "/publish")

    assert response.status_code == 200
    assert (response.get_json()["status"], response.get_json()["validityDate"]) == ("PUBLISHED", validity)
    assert get(api, "IUPD-1")["status"] == "PUBLISHED"


def test_publishing_a_valid_position_is_409(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    response = api.post(position_url("IUPD-1") + "/publish")

    assert response.status_code == 409
    assert response.get_json()["title"] == "Existing related payment found or not in publishable state"
    assert get(api, "IUPD-1")["status"] == "VALID"


def test_publishing_a_draft_after_its_validity_date_is_409(api: ApiClient, clock: FixedClock) -> None:
    create(api, position_body("IUPD-1", validityDate=iso(START + timedelta(days=1))))
    clock.advance(2 * DAY)

    response = api.post(position_url("IUPD-1") + "/publish")

    assert response.status_code == 409
    assert response.get_json()["title"] == "Publish request occurred after the validity date began"
    assert get(api, "IUPD-1")["status"] == "DRAFT"


def test_publishing_a_draft_after_its_due_date_is_409(api: ApiClient, clock: FixedClock) -> None:
    create(api, position_body("IUPD-1"))
    clock.advance(31 * DAY)

    response = api.post(position_url("IUPD-1") + "/publish")

    assert response.status_code == 409
    assert response.get_json()["title"] == (
        "Publish request occurred after the due date of a payment options has expired"
    )


def test_publish_of_an_unknown_position_is_404(api: ApiClient) -> None:
    assert api.post(position_url("NOPE") + "/publish").get_json()["title"] == NOT_FOUND


def test_invalidate_turns_a_valid_position_invalid_once(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    first = api.post(position_url("IUPD-1") + "/invalidate")
    second = api.post(position_url("IUPD-1") + "/invalidate")

    assert first.status_code == 200
    assert first.get_json()["status"] == "INVALID"
    assert second.status_code == 409
    assert second.get_json()["title"] == "Existing related payment found or not in invalidable state"
    assert get(api, "IUPD-1")["status"] == "INVALID"


def test_a_draft_cannot_be_invalidated(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"))

    response = api.post(position_url("IUPD-1") + "/invalidate")

    assert response.status_code == 409
    assert get(api, "IUPD-1")["status"] == "DRAFT"


def test_invalidate_of_an_unknown_position_is_404(api: ApiClient) -> None:
    response = api.post(position_url("NOPE") + "/invalidate")

    assert response.status_code == 404
    assert response.get_json()["title"] == NOT_FOUND


# --- paid elsewhere ----------------------------------------------------------------------


def test_marking_an_option_paid_makes_the_position_paid(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1"), publish=True)

    response = any_db_api.post(paid_url(nav_of("IUPD-1")))

    assert response.status_code == 200
    body = response.get_json()
    assert (body["nav"], body["status"], body["paymentDate"]) == (nav_of("IUPD-1"), "PO_PAID", NOW)
    assert body["organizationFiscalCode"] == ORG
    stored = get(any_db_api, "IUPD-1")
    assert (stored["status"], stored["paymentDate"]) == ("PAID", NOW)
    assert stored["paymentOption"][0]["status"] == "PO_PAID"
    assert listed(any_db_api, "status=PAID") == ["IUPD-1"]


def test_the_payment_report_is_kept_on_the_option(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)
    report = {
        "paymentDate": "2026-03-02T10:30:00Z",
        "paymentMethod": "CASH",
        "pspCompany": "Poste Italiane",
        "idReceipt": "RCPT-1",
        "fee": 150,
    }

    body = api.post(paid_url(nav_of("IUPD-1")), json=report).get_json()

    assert body["paymentDate"] == "2026-03-02T10:30:00.000Z"
    assert (body["paymentMethod"], body["pspCompany"], body["idReceipt"], body["fee"]) == (
        "CASH",
        "Poste Italiane",
        "RCPT-1",
        150,
    )
    assert get(api, "IUPD-1")["paymentOption"][0]["idReceipt"] == "RCPT-1"


def test_paying_an_option_twice_is_409(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)
    api.post(paid_url(nav_of("IUPD-1")))

    response = api.post(paid_url(nav_of("IUPD-1")))

    assert response.status_code == 409
    assert response.get_json()["title"] == "Existing related payment found"


def test_paying_an_unknown_nav_is_404(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    response = api.post(paid_url("399999999999999999"))

    assert response.status_code == 404
    assert response.get_json()["title"] == "Not found the payment option"
    assert get(api, "IUPD-1")["status"] == "VALID"


@pytest.mark.parametrize("make", ["invalid", "draft"])
def test_paying_an_option_of_a_position_not_payable_is_422(api: ApiClient, make: str) -> None:
    create(api, position_body("IUPD-1"), publish=make == "invalid")
    if make == "invalid":
        api.post(position_url("IUPD-1") + "/invalidate")

    response = api.post(paid_url(nav_of("IUPD-1")))

    assert response.status_code == 422
    assert response.get_json()["title"] == "Not in payable state"
    assert get(api, "IUPD-1")["paymentOption"][0]["status"] == "PO_UNPAID"


def test_instalments_make_the_position_partially_paid_until_all_are_paid(api: ApiClient) -> None:
    instalments = [
        option(f"0100000000000000{i}", amount=5000, isPartialPayment=True, description=f"Rata {i}")
        for i in (1, 2)
    ]
    create(api, position_body("PLAN", paymentOption=instalments), publish=True)

    assert api.post(paid_url("301000000000000001")).status_code == 200
    plan = get(api, "PLAN")
    assert plan["status"] == "PARTIALLY_PAID"
    assert [o["status"] for o in plan["paymentOption"]] == ["PO_PAID", "PO_UNPAID"]
    assert api.post(paid_url("301000000000000002")).status_code == 200
    assert get(api, "PLAN")["status"] == "PAID"


# --- uniqueness --------------------------------------------------------------------------


def test_a_duplicate_iupd_is_409_and_keeps_the_first(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1", companyName="Primo"))

    response = any_db_api.post(positions_url(), json=position_body("IUPD-1", iuv="01999999999999999"))

    assert response.status_code == 409
    assert response.get_json() == {
        "title": UNIQUENESS,
        "status": 409,
        "detail": f"Already exists a debt position for the Organization Fiscal Code {ORG} or one of its"
        " payment options is not unique",
    }
    assert listed(any_db_api) == ["IUPD-1"]
    assert get(any_db_api, "IUPD-1")["companyName"] == "Primo"


def test_an_iuv_already_used_by_another_position_is_409(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1", iuv="01000000000000001"))

    response = any_db_api.post(positions_url(), json=position_body("IUPD-2", iuv="01000000000000001"))

    assert response.status_code == 409
    assert response.get_json()["title"] == UNIQUENESS
    assert listed(any_db_api) == ["IUPD-1"]


def test_a_nav_already_used_by_another_position_is_409(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1", iuv="01000000000000001"))
    clash = option("01000000000000002", nav="301000000000000001")

    response = any_db_api.post(positions_url(), json=position_body("IUPD-2", paymentOption=[clash]))

    assert response.status_code == 409
    assert response.get_json()["title"] == UNIQUENESS
    assert listed(any_db_api) == ["IUPD-1"]


def test_the_same_iupd_and_iuv_may_exist_under_another_organization(any_db_api: ApiClient) -> None:
    create(any_db_api, position_body("IUPD-1"))

    create(any_db_api, position_body("IUPD-1"), org=OTHER_ORG)

    assert listed(any_db_api) == ["IUPD-1"]
    assert listed(any_db_api, org=OTHER_ORG) == ["IUPD-1"]


def test_a_multi_beneficiary_option_with_a_stamp_is_accepted(api: ApiClient) -> None:
    stamp = {"hashDocument": "a" * 44, "stampType": "01", "provincialResidence": "RM"}
    transfers = [
        transfer("1", 8400),
        transfer("2", 1600, iban=None, stamp=stamp, organizationFiscalCode="80078750587"),
    ]
    body = position_body(
        "IUPD-1", paymentOption=[option(iuv_for("IUPD-1"), amount=10000, transfer=transfers)]
    )

    create(api, body)

    [first, second] = get(api, "IUPD-1")["paymentOption"][0]["transfer"]
    assert (first["organizationFiscalCode"], first["iban"]) == (ORG, "IT60X0542811101000000123456")
    assert (second["organizationFiscalCode"], second["stamp"]) == ("80078750587", stamp)


# --- statuses that move with time --------------------------------------------------------


def test_a_published_position_becomes_valid_when_its_validity_date_arrives(
    any_db_api: ApiClient, clock: FixedClock
) -> None:
    validity = START + timedelta(days=1)
    create(any_db_api, position_body("SEEN-BY-GET", validityDate=iso(validity)), publish=True)
    create(any_db_api, position_body("SEEN-BY-LIST", validityDate=iso(validity)), publish=True)
    assert listed(any_db_api, "status=PUBLISHED&orderby=IUPD&ordering=ASC") == ["SEEN-BY-GET", "SEEN-BY-LIST"]

    clock.advance(DAY - 1)
    assert get(any_db_api, "SEEN-BY-GET")["status"] == "PUBLISHED"
    clock.advance(1)  # exactly the validity date

    assert listed(any_db_api, "status=VALID") == ["SEEN-BY-LIST", "SEEN-BY-GET"]
    assert listed(any_db_api, "status=PUBLISHED") == []
    stored = get(any_db_api, "SEEN-BY-GET")
    assert (stored["status"], stored["lastUpdatedDate"]) == ("VALID", iso(validity))
    assert any_db_api.post(paid_url(nav_of("SEEN-BY-GET"))).status_code == 200


def test_a_valid_position_expires_after_its_due_date_only_with_switch_to_expired(
    any_db_api: ApiClient, clock: FixedClock
) -> None:
    create(any_db_api, position_body("EXPIRING", switchToExpired=True), publish=True)
    create(any_db_api, position_body("STAYING", switchToExpired=False), publish=True)

    clock.advance(30 * DAY)  # exactly the due date: not past it yet
    assert listed(any_db_api, "status=EXPIRED") == []
    clock.advance(1)

    assert listed(any_db_api, "status=EXPIRED") == ["EXPIRING"]
    assert listed(any_db_api, "status=VALID") == ["STAYING"]
    assert get(any_db_api, "EXPIRING")["status"] == "EXPIRED"
    assert get(any_db_api, "STAYING")["status"] == "VALID"


def test_an_expired_position_is_seen_by_get_before_any_list(api: ApiClient, clock: FixedClock) -> None:
    create(api, position_body("EXPIRING", switchToExpired=True), publish=True)
    clock.advance(31 * DAY)

    assert get(api, "EXPIRING")["status"] == "EXPIRED"
    assert api.post(paid_url(nav_of("EXPIRING"))).status_code == 422
    assert api.post(position_url("EXPIRING") + "/invalidate").status_code == 409


def test_an_expired_position_cannot_be_paid_even_if_nobody_read_it_since(
    any_db_api: ApiClient, clock: FixedClock
) -> None:
    create(any_db_api, position_body("EXPIRING", switchToExpired=True), publish=True)
    clock.advance(31 * DAY)
    back_dated = {"paymentDate": iso(START + timedelta(days=1))}

    response = any_db_api.post(paid_url(nav_of("EXPIRING")), json=back_dated)

    assert response.status_code == 422
    assert response.get_json()["title"] == "Not in payable state"
    assert get(any_db_api, "EXPIRING")["status"] == "EXPIRED"
