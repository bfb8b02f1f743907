"""Which scenario runs a cart, first match wins: the sandbox API (PUT), the X-Sandbox-Scenario
header, the body's sandbox.scenario, the trainer's pick, match: rules, the UAT conventions,
happy-path. The status query says which one applied and why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from simulator.config import Settings
from simulator.scenario.library import UAT_NAV_FAULTS, UAT_OUTCOMES
from simulator.services.clock import FixedClock
from simulator.testing.pages_client import Card, pay
from tests.conftest import ApiClient
from tests.functional.control_factories import (
    URLS,
    app_with,
    complete,
    new_cart,
    notice,
    status,
    synthetic_nav,
)
from tests.functional.gpd_factories import assert_problem
from tests.functional.pages_factories import ERROR_URL, OK_URL, browser
from tests.unit.scenario_factories import scenario_text, write

UAT_EC = "77777777777"


def scenario_of(api: ApiClient, cart_id: str) -> dict[str, str]:
    return dict(status(api, cart_id)["scenario"])


# --- explicit choices ---------------------------------------------------------------------------------


def test_the_header_chooses_the_scenario_and_the_status_says_why(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="card-declined")

    assert scenario_of(api, cart_id) == {
        "id": "card-declined",
        "title": "Card declined by the PSP (outcome 2)",
        "source": "header",
        "reason": "header X-Sandbox-Scenario",
    }


def test_the_body_field_chooses_the_scenario(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, sandbox={"scenario": "psp-error", "appendOutcome": True})

    assert scenario_of(api, cart_id)["id"] == "psp-error"
    assert scenario_of(api, cart_id)["reason"] == "cart body: sandbox.scenario"
    assert complete(api, cart_id)["outcome"] == 25


def test_the_header_wins_over_the_body_field(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="wrong-cvv", sandbox={"scenario": "psp-error"})

    assert scenario_of(api, cart_id)["id"] == "wrong-cvv"


@pytest.mark.parametrize("where", ["header", "body"])
def test_an_unknown_explicit_scenario_is_404_and_creates_no_cart(
    app: Flask, api: ApiClient, where: str
) -> None:
    body = {
        "paymentNotices": [notice(synthetic_nav(1))],
        "returnUrls": {"returnOkUrl": OK_URL, "returnCancelUrl": OK_URL, "returnErrorUrl": ERROR_URL},
    }
    headers = {}
    if where == "header":
        headers["X-Sandbox-Scenario"] = "no-such-scenario"
    else:
        body["sandbox"] = {"scenario": "no-such-scenario"}

    response = api.post("/checkout/ec/v1/carts", json=body, headers=headers)

    assert_problem(response, 404, "Scenario not found")
    assert response.get_json()["detail"] == "No scenario has the id 'no-such-scenario'"
    assert api.get("/_sandbox/v1/journal?path=/checkout").get_json()["entries"][0]["status"] == 404
    assert "cartId" not in api.get("/_sandbox/v1/journal").get_json()["entries"][0]


@pytest.mark.parametrize("sandbox_field", ["card-declined", {"scenario": 2}, {"scenario": ["a"]}])
def test_a_malformed_sandbox_field_is_a_bad_request(
    app: Flask, api: ApiClient, sandbox_field: object
) -> None:
    body = {
        "paymentNotices": [notice(synthetic_nav(1))],
        "returnUrls": {"returnOkUrl": OK_URL, "returnCancelUrl": OK_URL, "returnErrorUrl": ERROR_URL},
        "sandbox": sandbox_field,
    }
    response = api.post("/checkout/ec/v1/carts", json=body)

    if sandbox_field == {"scenario": 2}:  # a number where a string is expected: read as "2"
        assert_problem(response, 404, "Scenario not found")
    else:
        assert_problem(response, 400, "Request validation error")
        assert response.headers["X-Sandbox-Detail"].startswith("sandbox")


def test_put_scenario_replaces_any_earlier_choice(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="card-declined")

    response = api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "refunded"})

    assert response.status_code == 200
    assert response.get_json()["scenario"]["id"] == "refunded"
    assert response.get_json()["scenario"]["reason"] == "sandbox API: PUT /_sandbox/v1/carts/{id}/scenario"
    assert complete(api, cart_id)["outcome"] == 18


def test_put_scenario_applies_to_the_payment_already_under_way(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    pages = browser(app)
    page = pages.get(f"/c/{cart_id}")
    page = pages.submit(page, "email-form", {"email": "a@example.com", "confirmEmail": "a@example.com"})
    pages.submit(page, "method-form", button="method-CP")
    pages.submit(
        pages.history[-1],
        "card-form",
        {"number": "4242424242424242", "expirationDate": "12/30", "cvv": "123", "name": "M R"},
    )
    assert status(api, cart_id)["state"] == "IN_PROGRESS"

    api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "insufficient-balance"})
    summary = pages.submit(pages.history[-1], "psp-form", button="psp-DEMOPSP001")
    result = pages.submit(summary, "pay-form")

    assert result.by_id("outcome").attrs["data-outcome"] == "116"
    assert status(api, cart_id)["outcome"] == 116


def test_put_an_unknown_scenario_is_404_and_changes_nothing(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="card-declined")

    response = api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "nope"})

    assert_problem(response, 404, "Scenario not found")
    assert scenario_of(api, cart_id)["id"] == "card-declined"


def test_put_scenario_on_an_unknown_or_another_tenants_cart_is_404(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    other = ApiClient(app.test_client(), tenant="someone-else")

    assert_problem(other.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "refunded"}), 404)
    missing = "00000000-0000-4000-8000-000000000000"
    response = api.put(f"/_sandbox/v1/carts/{missing}/scenario", json={"scenario": "refunded"})
    assert_problem(response, 404, "Cart not found")


@pytest.mark.parametrize("body", [None, {}, {"scenario": 3.5}, {"scenario": ""}, ["refunded"]])
def test_put_scenario_needs_a_scenario_id(app: Flask, api: ApiClient, body: object) -> None:
    cart_id = new_cart(api)
    response = api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json=body)
    assert response.status_code in (400, 404)
    assert scenario_of(api, cart_id)["source"] == "default"


def test_put_scenario_on_a_cart_whose_payment_ended_is_409(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)
    complete(api, cart_id)

    response = api.put(f"/_sandbox/v1/carts/{cart_id}/scenario", json={"scenario": "refunded"})

    assert_problem(response, 409, "Cart already completed")
    assert response.get_json()["detail"] == f"Cart with id {cart_id} is PAID: it cannot change its scenario"


# --- rules: match, UAT, default ----------------------------------------------------------------------


@pytest.fixture
def rules_app(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    """A sandbox with a user scenario matching NAVs 3xx12... of any EC, and one for EC 77777777002."""
    folder = tmp_path / "mine"
    write(
        folder,
        "slow-twelve.yaml",
        scenario_text("slow-twelve", "  authorize: psp-error\n", "match:\n  nav: '3\\d{2}12\\d{13}'\n"),
    )
    write(
        folder,
        "uat-shadow.yaml",
        scenario_text("uat-shadow", "  authorize: limit-exceeded\n", 'match:\n  fiscalCode: "77777777002"\n'),
    )
    application = app_with(settings, clock, tmp_path, scenario_dirs=(str(folder),))
    yield application
    application.extensions["sandbox"].close()


def test_match_rules_choose_a_scenario_and_say_which_rule(rules_app: Flask) -> None:
    api = ApiClient(rules_app.test_client())
    cart_id = new_cart(api, notice("302120000000000019"))

    chosen = scenario_of(api, cart_id)

    assert (chosen["id"], chosen["source"]) == ("slow-twelve", "match")
    assert chosen["reason"] == "match: NAV matching 3\\d{2}12\\d{13}"
    assert complete(api, cart_id)["outcome"] == 25


def test_match_rules_win_over_the_uat_conventions(rules_app: Flask) -> None:
    api = ApiClient(rules_app.test_client())
    cart_id = new_cart(api, notice(synthetic_nav(1), "77777777002"))

    assert scenario_of(api, cart_id)["id"] == "uat-shadow"
    assert complete(api, cart_id)["outcome"] == 121


def test_an_explicit_choice_wins_over_match_rules(rules_app: Flask) -> None:
    api = ApiClient(rules_app.test_client())
    cart_id = new_cart(api, notice("302120000000000019"), scenario="happy-path")

    assert complete(api, cart_id)["state"] == "PAID"


def test_nothing_else_choosing_means_happy_path(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api)

    assert scenario_of(api, cart_id) == {
        "id": "happy-path",
        "title": "Everything works: the payment succeeds (outcome 0)",
        "source": "default",
        "reason": "default: nothing else chose a scenario",
    }


UAT_NAV_CASES = sorted(UAT_NAV_FAULTS.items())
UAT_FAULT_OF = {
    "notice-already-paid": ("PAYMENT_DUPLICATED", "PAA_PAGAMENTO_DUPLICATO"),
    "ec-syntax-error": ("DOMAIN_UNKNOWN", "PAA_SINTASSI_XSD"),
    "station-unreachable": ("DOMAIN_UNKNOWN", "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"),
    "station-timeout": ("DOMAIN_UNKNOWN", "PPT_STAZIONE_INT_PA_TIMEOUT"),
    "notice-expired": ("PAYMENT_EXPIRED", "PAA_PAGAMENTO_SCADUTO"),
    "notice-unknown": ("PAYMENT_UNKNOWN", "PAA_PAGAMENTO_SCONOSCIUTO"),
}


@pytest.mark.parametrize(("digits", "scenario_id"), UAT_NAV_CASES)
def test_uat_nav_digits_of_the_test_ec_fail_verify_as_documented_headless(
    app: Flask, api: ApiClient, digits: str, scenario_id: str
) -> None:
    cart_id = new_cart(api, notice(f"302{digits}0000000000042", UAT_EC))

    answer = complete(api, cart_id)

    assert answer["scenario"]["id"] == scenario_id
    assert answer["scenario"]["reason"] == f"UAT: NAV 3xx{digits}... of EC {UAT_EC}"
    assert answer["state"] == "FAILED"
    category, code = UAT_FAULT_OF[scenario_id]
    assert answer["fault"] == {"faultCodeCategory": category, "faultCode": code}
    assert answer["returnUrl"] == ERROR_URL


@pytest.mark.parametrize(("code", "scenario_id"), sorted(UAT_OUTCOMES.items()))
def test_uat_ec_suffixes_give_their_outcome_headless(
    app: Flask, api: ApiClient, code: int, scenario_id: str
) -> None:
    fiscal_code = f"77777777{code:03d}"
    cart_id = new_cart(api, notice(synthetic_nav(1), fiscal_code))

    answer = complete(api, cart_id)

    assert answer["scenario"]["id"] == scenario_id
    assert answer["scenario"]["source"] == "uat"
    assert answer["outcome"] == code
    expected_url = "ok" if code == 0 else "waiting" if code == 17 else "error"
    assert answer["returnUrl"] == URLS[expected_url]


def test_the_test_ec_itself_succeeds(app: Flask, api: ApiClient) -> None:
    answer = complete(api, new_cart(api, notice("302000100000009424", UAT_EC)))

    assert (answer["scenario"]["id"], answer["scenario"]["reason"]) == ("happy-path", f"UAT: EC {UAT_EC}")
    assert answer["state"] == "PAID"


# --- the card decides when nothing explicit does --------------------------------------------------------


def test_a_test_card_chooses_its_scenario_on_the_pages_and_the_status_says_so(
    app: Flask, api: ApiClient
) -> None:
    cart_id = new_cart(api)

    result = pay(browser(app), f"/c/{cart_id}", card=Card("4000000000000028"))

    assert result.outcome == 2
    answer = status(api, cart_id)
    assert answer["scenario"]["id"] == "card-declined"
    assert answer["scenario"]["reason"] == "UAT: test card 4000 0000 0000 0028"
    assert answer["message"] == result.last.heading == "Autorizzazione negata"
    assert answer["returnUrl"] == result.exit_url == ERROR_URL


def test_an_explicit_scenario_wins_over_the_card_on_the_pages(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="insufficient-balance")

    result = pay(browser(app), f"/c/{cart_id}", card=Card("4242424242424242"))

    assert result.outcome == 116
    assert result.last.heading == "Il saldo della tua carta è insufficiente"
    assert status(api, cart_id)["scenario"]["source"] == "header"


def test_a_failing_uat_ec_wins_over_the_success_card(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, notice(synthetic_nav(1), "77777777025"))

    assert pay(browser(app), f"/c/{cart_id}", card=Card("5255000260000014")).outcome == 25


def test_a_challenge_scenario_shows_the_3ds_page_for_any_card(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, scenario="3ds-challenge")

    result = pay(browser(app), f"/c/{cart_id}", card=Card("4242424242424242"))

    assert [p.path for p in result.pages][-2:] == ["/verifica-3ds", "/esito"]
    assert result.outcome == 0


def test_a_fault_scenario_stops_a_cart_on_the_fault_page_and_the_cart_fails(
    app: Flask, api: ApiClient
) -> None:
    cart_id = new_cart(api, scenario="notice-expired")

    result = pay(browser(app), f"/c/{cart_id}")

    assert result.last.status == 409
    assert result.last.heading == "L'avviso è scaduto e non è più possibile pagarlo"
    answer = status(api, cart_id)
    assert (answer["state"], answer["message"]) == ("FAILED", result.last.heading)


def test_a_notice_typed_on_the_pages_follows_the_uat_conventions(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    form = pages.get("/inserisci-dati-avviso")

    page = pages.submit(form, "notice-form", {"billCode": "302990000000000042", "cf": UAT_EC})

    assert page.status == 409
    assert page.heading == "L'avviso è scaduto e non è più possibile pagarlo"


def test_a_notice_typed_on_the_pages_pays_as_its_card_says(app: Flask, api: ApiClient) -> None:
    result = pay(browser(app), f"/{UAT_EC}302000100000009424", card=Card("4000000000001174"))

    assert result.outcome == 117
