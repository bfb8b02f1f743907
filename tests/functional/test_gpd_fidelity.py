"""GPD as production answers what the sandbox used to answer its own way: the list's date window,
its exclusive filters, the updates GPD allows, and amounts beyond a Java long."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import START, ApiClient
from tests.functional.gpd_factories import (
    REQUEST_DATA_ERROR,
    assert_problem,
    create,
    get,
    iso,
    listed,
    option,
    position_body,
    position_url,
    positions_url,
    transfer,
)


def due_in(days: int, iupd: str) -> dict[str, Any]:
    body = position_body(iupd)
    body["paymentOption"][0]["dueDate"] = iso(START + timedelta(days=days))
    return body


# --- the list's date window -------------------------------------------------------------------


def test_a_due_date_window_over_30_days_is_refused_with_gpds_words(api: ApiClient) -> None:
    create(api, due_in(10, "IN"))

    response = api.get(positions_url() + "?due_date_from=2026-03-01&due_date_to=2026-04-01")

    assert response.status_code == 400
    assert response.get_json() == {
        "title": "The debt positions cannot be recovered",
        "status": 400,
        "detail": "Debt positions cannot be recovered. Verify that due_date_to >= due_date_from and that"
        " the interval between the two dates not exceed the maximum number of days allowed"
        " [due_date_from= 2026-03-01T00:00, due_date_to= 2026-04-01T23:59:59.999999999,"
        " days_between_from_to= 31, max_days_interval= 30]",
    }
    assert listed(api, "due_date_from=2026-03-01&due_date_to=2026-03-31") == ["IN"]


def test_a_window_upside_down_is_not_recoverable(api: ApiClient) -> None:
    response = api.get(positions_url() + "?payment_date_from=2026-03-10&payment_date_to=2026-03-01")

    assert_problem(
        response, 400, title="The debt positions cannot be recovered", detail="days_between_from_to= -8"
    )


def test_a_missing_bound_is_the_other_one_plus_or_minus_30_days(api: ApiClient) -> None:
    for iupd, days in (("D10", 10), ("D35", 35), ("D70", 70)):
        create(api, due_in(days, iupd))  # due 12 March, 6 April, 11 May

    assert listed(api, "due_date_from=2026-03-02&orderby=IUPD&ordering=ASC") == ["D10"]
    assert listed(api, "due_date_from=2026-04-01&orderby=IUPD&ordering=ASC") == ["D35"]
    assert listed(api, "due_date_to=2026-05-11&orderby=IUPD&ordering=ASC") == ["D70"]
    assert listed(api, "orderby=IUPD&ordering=ASC") == ["D10", "D35", "D70"]  # no filter, no window


@pytest.mark.parametrize(
    "query",
    [
        "due_date_from=2026-03-01&payment_date_to=2026-03-05",
        "due_date_to=2026-03-01&payment_date_from=2026-03-01",
        "due_date_from=&payment_date_from=",  # present, even empty, is enough
    ],
)
def test_due_and_payment_date_filters_are_mutually_exclusive(api: ApiClient, query: str) -> None:
    response = api.get(positions_url() + "?" + query)

    assert response.status_code == 400
    assert response.get_json() == {
        "title": "Exclusive Parameters",
        "status": 400,
        "detail": "Parameters due_date_to, due_date_from and payment_date_from, payment_date_to are"
        " mutual exclusive",
    }


# --- updates ------------------------------------------------------------------------------------


def test_an_expired_position_can_be_updated(api: ApiClient, clock: Any) -> None:
    create(api, position_body("OLD", switchToExpired=True), publish=True)
    clock.advance(31 * 86_400)
    assert get(api, "OLD")["status"] == "EXPIRED"

    body = position_body("OLD", switchToExpired=True)
    body["paymentOption"][0]["dueDate"] = iso(START + timedelta(days=60))
    updated = api.put(position_url("OLD") + "?toPublish=true", json=body)

    assert updated.status_code == 200, updated.get_data(as_text=True)
    assert get(api, "OLD")["status"] == "VALID"


def test_an_update_accepts_a_past_validity_date_and_a_past_due_date_without_switch_to_expired(
    api: ApiClient, clock: Any
) -> None:
    create(api, position_body("KEEP"))
    clock.advance(10 * 86_400)
    body = position_body("KEEP", validityDate=iso(START), switchToExpired=False)
    body["paymentOption"][0]["dueDate"] = iso(START + timedelta(days=5))  # five days ago

    updated = api.put(position_url("KEEP"), json=body)

    assert updated.status_code == 200, updated.get_data(as_text=True)
    assert updated.get_json()["validityDate"] == iso(START)


def test_an_update_refuses_a_past_due_date_when_the_position_switches_to_expired(
    api: ApiClient, clock: Any
) -> None:
    create(api, position_body("KEEP"))
    clock.advance(10 * 86_400)
    body = position_body("KEEP", validityDate=iso(START), switchToExpired=True)
    body["paymentOption"][0]["dueDate"] = iso(START + timedelta(days=5))

    response = api.put(position_url("KEEP"), json=body)

    assert_problem(response, 400, title=REQUEST_DATA_ERROR, detail="dueDate: must be in the future")
    assert get(api, "KEEP").get("validityDate") is None


def test_a_new_position_still_needs_a_future_validity_date(api: ApiClient) -> None:
    response = api.post(
        positions_url(), json=position_body("NEW", validityDate=iso(START - timedelta(seconds=1)))
    )

    assert_problem(response, 400, title=REQUEST_DATA_ERROR, detail="validityDate: must be in the future")
    assert listed(api) == []


# --- amounts --------------------------------------------------------------------------------------


def test_an_amount_beyond_a_java_long_is_gpds_unreadable_body_and_stores_nothing(api: ApiClient) -> None:
    body = position_body("BIG", paymentOption=[option(amount=2**63, transfer=[transfer(amount=2**63)])])

    response = api.post(positions_url(), json=body)

    assert response.status_code == 400
    assert response.get_json()["title"] == "BAD REQUEST"
    assert response.get_json()["detail"].startswith(
        "JSON parse error: Numeric value (9223372036854775808) out of range of long"
    )
    assert listed(api) == []
