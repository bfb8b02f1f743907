"""Every built-in scenario, run headless on a notice GPD manages: a cart asks for it by header,
``POST /_sandbox/v1/carts/{id}/complete`` plays the payer, and the test checks what an integrator
observes: the final state, the outcome code, the exact return URL, the message the payer read,
the receipts through the GPD receipts API and the position's status on GPD."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask

from simulator.scenario.library import builtin_dir
from simulator.scenario.loader import load_library
from tests.conftest import ApiClient
from tests.functional.control_factories import (
    MANAGED_EC,
    URLS,
    complete,
    events_of,
    gpd_receipts,
    managed_notice,
    new_cart,
    option_status,
)

PAID = "Hai pagato 100,90 €"  # 100,00 € and the cheapest card PSP's 0,90 € fee


@dataclass(frozen=True, slots=True)
class Observed:
    state: str
    outcome: int | None
    url: str | None  # a key of URLS: ok, cancel, error, waiting; None: the payer never went back
    message: str
    receipts: int = 0
    gpd: str = "VALID"  # the position's status on GPD afterwards


def _paid(**over: object) -> Observed:
    values: dict[str, object] = {"state": "PAID", "outcome": 0, "url": "ok", "message": PAID}
    values.update(receipts=1, gpd="PAID")
    values.update(over)
    return Observed(**values)  # type: ignore[arg-type]


def _refused(outcome: int, message: str) -> Observed:
    return Observed("FAILED", outcome, "error", message)


def _fault(message: str) -> Observed:
    return Observed("FAILED", None, "error", message)


EXPECTED: dict[str, Observed] = {
    "happy-path": _paid(),
    "3ds-challenge": _paid(),
    "station-slow": _paid(),
    # these script an EC's own station (station mode): the sandbox's own GPD creditor has none
    "station-activation-refused": _paid(),
    "station-malformed-answer": _paid(),
    "station-receipt-retried": _paid(),
    "notify-retried": _paid(),
    "notify-delayed": _paid(),
    "notify-duplicated": _paid(),
    "notify-out-of-order": _paid(),
    "receipt-duplicated": _paid(),
    "receipt-delayed": _paid(receipts=0, gpd="VALID"),  # until its 2 minutes pass: see below
    "receipt-lost": _paid(receipts=0, gpd="VALID"),  # GPD learns of a payment from its receipt
    "user-never-returns": _paid(url=None),
    "user-cancels": Observed("CANCELLED", 8, "cancel", "L'operazione è stata annullata"),
    "user-abandons": Observed("EXPIRED", 4, "error", "La sessione è scaduta"),
    "generic-error": _refused(1, "Si è verificato un errore imprevisto"),
    "card-declined": _refused(2, "Autorizzazione negata"),
    "invalid-card-data": _refused(3, "I dati del metodo di pagamento non sono corretti"),
    "authorization-timeout": _refused(4, "La sessione è scaduta"),
    "card-expired": _refused(7, "Il metodo di pagamento è scaduto o non più valido"),
    "authorization-cancelled": _refused(8, "L'operazione è stata annullata"),
    "excessive-amount": _refused(10, "Autorizzazione negata"),
    "psp-error": _refused(25, "Il pagamento non è andato a buon fine"),
    "insufficient-balance": _refused(116, "Il saldo della tua carta è insufficiente"),
    "wrong-cvv": _refused(117, "Il codice di sicurezza inserito è errato"),
    "limit-exceeded": _refused(121, "Hai superato il limite di spesa della tua carta"),
    "refunded": _refused(18, "Il pagamento non è andato a buon fine"),
    "pending-then-ok": Observed("PENDING", 17, "waiting", "Attendi la conferma del pagamento"),
    "pending-then-refunded": Observed("PENDING", 17, "waiting", "Attendi la conferma del pagamento"),
    "notice-unknown": _fault("Non riusciamo a trovare l'avviso"),
    "notice-data-error": _fault("I dati dell'avviso non sono corretti"),
    "payment-ongoing": _fault("C'è già un pagamento in corso, riprova più tardi"),
    "notice-expired": _fault("L'avviso è scaduto e non è più possibile pagarlo"),
    "notice-cancelled": _fault("L'Ente Creditore ha revocato questo avviso"),
    "notice-already-paid": _fault("Questo avviso è stato già pagato!"),
    "paid-elsewhere-meanwhile": _fault("Questo avviso è stato già pagato!"),
    "payment-unavailable": _fault("C'è un problema tecnico con questo avviso"),
    "station-unreachable": _fault("L'Ente Creditore sta avendo problemi nella risposta"),
    "station-timeout": _fault("L'Ente Creditore sta avendo problemi nella risposta"),
    "ec-syntax-error": _fault("L'Ente Creditore sta avendo problemi nella risposta"),
    "node-generic-error": _fault("Si è verificato un errore imprevisto"),
}
BUILTIN_IDS = load_library().ids


def test_every_built_in_scenario_has_an_expectation() -> None:
    assert builtin_dir() is not None
    assert sorted(EXPECTED) == sorted(BUILTIN_IDS)


@pytest.mark.parametrize("scenario_id", BUILTIN_IDS)
def test_each_built_in_scenario_runs_headless_to_what_the_integrator_observes(
    app: Flask, api: ApiClient, scenario_id: str
) -> None:
    expected = EXPECTED[scenario_id]
    cart_id = new_cart(api, managed_notice(api, 1), scenario=scenario_id)

    answer = complete(api, cart_id)

    assert answer["scenario"]["id"] == scenario_id
    assert answer["scenario"]["reason"] == "header X-Sandbox-Scenario"
    assert (answer["state"], answer.get("outcome")) == (expected.state, expected.outcome)
    assert answer["returnUrl"] == URLS[expected.url]
    assert answer["message"] == expected.message
    assert len(answer["receipts"]) == expected.receipts
    assert len(gpd_receipts(api, MANAGED_EC)) == expected.receipts
    assert option_status(api, 1)[0] == expected.gpd
    assert events_of(answer)[:2] == ["cart.created", "scenario.selected"]
    last = "user.never_returned" if expected.url is None else "user.returned"
    assert events_of(answer)[-1] == last
    assert api.post(f"/_sandbox/v1/carts/{cart_id}/complete").status_code == 409


def test_a_paid_scenarios_receipt_is_the_one_the_status_links_to(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="happy-path")

    receipt = complete(api, cart_id)["receipts"][0]

    xml = api.get(receipt["url"])
    assert xml.status_code == 200
    assert receipt["receiptId"] in xml.get_data(as_text=True)
    assert receipt["iuv"] == "02000000000000001"
    assert "<paymentNote>EC-CART-42</paymentNote>" in xml.get_data(as_text=True)


def test_a_fault_scenario_says_which_fault_stopped_the_payment(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="station-timeout")

    answer = complete(api, cart_id)

    assert answer["fault"] == {
        "faultCodeCategory": "DOMAIN_UNKNOWN",
        "faultCode": "PPT_STAZIONE_INT_PA_TIMEOUT",
    }
    assert "payment" not in answer
    assert "notice.verify_failed" in events_of(answer)


def test_an_activation_fault_is_recorded_after_a_successful_verify(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="payment-ongoing")

    answer = complete(api, cart_id)

    assert events_of(answer)[2:] == ["notice.verified", "attempt.activation_failed", "user.returned"]
    assert answer["fault"]["faultCode"] == "PPT_PAGAMENTO_IN_CORSO"


def test_the_user_who_never_returns_paid_but_left_no_landing(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="user-never-returns")

    answer = complete(api, cart_id)

    assert answer["returnUrl"] is None
    assert "user.returned" not in events_of(answer)
    assert api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["returnUrl"] is None


def test_the_user_who_abandons_ends_the_cart_as_its_expiry_would(app: Flask, api: ApiClient) -> None:
    cart_id = new_cart(api, managed_notice(api, 1), scenario="user-abandons")

    answer = complete(api, cart_id)

    assert "attempt.expired" in events_of(answer)
    assert answer["expiresAt"] == answer["timeline"][-1]["at"]  # now: nothing was advanced
    assert datetime.fromisoformat(answer["expiresAt"]) < datetime.fromisoformat(
        answer["timeline"][0]["data"]["expiresAt"]
    )
    assert api.get(f"/ecommerce/checkout/v1/carts/{cart_id}").status_code == 404
    assert api.get("/_sandbox/v1/clock").get_json()["offsetSeconds"] == 0
