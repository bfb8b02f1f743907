"""Paying a cart on the checkout pages, as a browser without JavaScript would: links and forms only,
landing on the EC's return URL for the outcome, exactly as the EC gave it."""

from __future__ import annotations

import pytest
from flask import Flask

from simulator.domain.test_cards import SANDBOX_CARDS
from simulator.services.clock import FixedClock
from simulator.testing.pages_client import Card, Left, pay
from tests.conftest import ApiClient
from tests.functional.pages_factories import (
    CANCEL_URL,
    EC,
    EMAIL,
    ERROR_URL,
    NAV,
    OK_URL,
    OTHER_NAV,
    WAITING_URL,
    assert_page_frame,
    browser,
    create_cart,
    notice,
    receipts_of,
)


def test_paying_a_cart_with_the_uat_card_lands_on_the_ok_url_with_nothing_appended(
    app: Flask, api: ApiClient
) -> None:
    cart_id = create_cart(api)
    pages = browser(app)

    result = pay(pages, f"/c/{cart_id}?clientId=CHECKOUT_CART", card=Card("5255 0002 6000 0014"))

    assert [p.path for p in result.pages] == [
        "/inserisci-email",
        "/scegli-metodo",
        "/inserisci-carta",
        "/lista-psp",
        "/riepilogo-pagamento",
        "/esito",
    ]
    assert result.outcome == 0
    assert result.last.heading.startswith("Hai pagato ")
    assert "L'importo è stato addebitato." in result.last.text
    assert result.exit_url == OK_URL
    assert pages.follow(result.last, "exit") == Left(OK_URL)
    assert len(receipts_of(api)) == 1
    for page in result.pages:
        assert page.status == 200
        assert_page_frame(page)


def test_the_summary_shows_total_as_amount_plus_fee_and_where_the_outcome_is_sent(
    app: Flask, api: ApiClient
) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api)}")
    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})
    page = pages.submit(page, "method-form", button="method-CP")
    page = pages.submit(
        page,
        "card-form",
        {"number": "4242424242424242", "expirationDate": "12/30", "cvv": "123", "name": "M R"},
    )
    assert page.path == "/lista-psp"
    fees = {b: page.text_of(f"{b}-fee") for b in page.form("psp-form").buttons}
    assert fees["psp-DEMOPSP004"] == "Commissione: 1,00 €"  # above 100 € the tiered fee applies

    summary = pages.submit(page, "psp-form", button="psp-DEMOPSP004")

    assert summary.path == "/riepilogo-pagamento"
    assert summary.text_of("summary-amount") == "120,50 €"
    assert summary.text_of("pay-with") == "Visa •••• 4242"
    assert summary.text_of("fee").startswith("1,00 €")
    assert summary.text_of("total") == "121,50 €"
    assert summary.text_of("send-to") == EMAIL


def test_the_method_list_shows_each_methods_fee_range(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api)}")
    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})

    assert page.heading == "Come vuoi pagare?"
    assert page.text_of("method-CP-fee") == "Commissione: da 1,00 € a 2,00 €"
    assert page.text_of("method-CP").startswith("Carta di debito o credito")
    assert page.text_of("method-RBPR-fee") == "Commissione: 1,00 €"  # one fee: said once, not "da X a X"


@pytest.mark.parametrize(
    ("lang", "failure", "challenge"),
    [
        ("it", "Esito 2: Autorizzazione negata", "Chiede il codice 3DS (123456), poi il pagamento riesce"),
        (
            "en",
            "Outcome 2: Authorization denied",
            "Asks for the 3DS code (123456), then the payment succeeds",
        ),
    ],
)
def test_the_card_page_lists_every_test_card_and_what_it_does(
    app: Flask, api: ApiClient, lang: str, failure: str, challenge: str
) -> None:
    pages = browser(app)
    pages.get(f"/?lang={lang}")
    page = pages.get(f"/c/{create_cart(api)}")
    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})

    page = pages.submit(page, "method-form", button="method-CP")

    listed = page.text_of("test-cards")
    for card in SANDBOX_CARDS:
        assert " ".join(card.number[i : i + 4] for i in range(0, 16, 4)) in listed
    assert page.text_of("test-card-4000000000000028") == failure
    assert page.text_of("test-card-4000000000003006") == challenge


@pytest.mark.parametrize(
    ("number", "outcome", "title"),
    [
        ("4000000000000028", 2, "Autorizzazione negata"),
        ("4000000000000036", 3, "I dati del metodo di pagamento non sono corretti"),
        ("4000000000000044", 4, "La sessione è scaduta"),
        ("4000000000000077", 7, "Il metodo di pagamento è scaduto o non più valido"),
        ("4000000000000101", 10, "Autorizzazione negata"),
        ("4000000000000259", 25, "Il pagamento non è andato a buon fine"),
        ("4000000000001166", 116, "Il saldo della tua carta è insufficiente"),
        ("4000000000001174", 117, "Il codice di sicurezza inserito è errato"),
        ("4000000000001216", 121, "Hai superato il limite di spesa della tua carta"),
    ],
)
def test_each_failure_card_shows_its_outcome_charges_nothing_and_leads_to_the_error_url(
    app: Flask, api: ApiClient, number: str, outcome: int, title: str
) -> None:
    result = pay(browser(app), f"/c/{create_cart(api)}", card=Card(number))

    assert result.outcome == outcome
    assert result.last.heading == title
    assert result.last.text_of("outcome-charged") == "Non ti è stato addebitato alcun importo."
    assert result.exit_url == ERROR_URL
    assert receipts_of(api) == []


def test_a_failed_payment_frees_the_notice_for_a_new_attempt(app: Flask, api: ApiClient) -> None:
    pay(browser(app), f"/c/{create_cart(api)}", card=Card("4000000000000028"))

    again = pay(browser(app), f"/c/{create_cart(api)}")

    assert again.outcome == 0


def test_cancelling_on_the_summary_asks_for_confirmation_then_leads_to_the_cancel_url(
    app: Flask, api: ApiClient
) -> None:
    result = pay(browser(app), f"/c/{create_cart(api)}", cancel=True)

    confirm = result.pages[-2]
    assert confirm.path == "/annulla" and confirm.heading == "Vuoi annullare il pagamento?"
    assert result.last.path == "/annullato"
    assert result.last.heading == "L'operazione è stata annullata"
    assert "Non ti è stato addebitato alcun importo." in result.last.text
    assert result.exit_url == CANCEL_URL
    assert receipts_of(api) == []


def test_indietro_on_the_carts_first_page_goes_straight_to_the_cancel_url(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api)}")

    assert page.href("back") == CANCEL_URL
    refused = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": "x"})
    assert refused.href("back") == CANCEL_URL  # the form shown again keeps the way out


def test_indietro_on_a_typed_notices_email_page_goes_back_to_its_details(app: Flask) -> None:
    pages = browser(app)
    page = pages.get("/inserisci-dati-avviso")
    page = pages.submit(page, "notice-form", {"billCode": NAV, "cf": EC})

    page = pages.get(page.href("continue"))

    assert page.path == "/inserisci-email"
    assert page.href("back") == "/dati-pagamento"


def test_a_3ds_card_asks_for_the_code_then_succeeds(app: Flask, api: ApiClient) -> None:
    result = pay(browser(app), f"/c/{create_cart(api)}", card=Card("4000000000003006"))

    challenge = result.pages[-2]
    assert challenge.path == "/verifica-3ds"
    assert challenge.by_id("otp").attrs["autocomplete"] == "one-time-code"
    assert result.outcome == 0
    assert result.exit_url == OK_URL


def test_a_wrong_3ds_code_is_an_authorization_denied(app: Flask, api: ApiClient) -> None:
    result = pay(browser(app), f"/c/{create_cart(api)}", card=Card("4000000000003006"), otp="000000")

    assert result.outcome == 2
    assert result.exit_url == ERROR_URL


def test_an_empty_3ds_code_is_asked_again(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    result = pay(pages, f"/c/{create_cart(api)}", card=Card("4000000000003006"), otp="")

    assert result.last.path == "/verifica-3ds"
    assert result.last.status == 422
    assert result.last.text_of("otp-error") == "Campo obbligatorio"


def test_a_pending_payment_goes_to_the_waiting_url_of_a_v2_cart(app: Flask, api: ApiClient) -> None:
    result = pay(browser(app), f"/c/{create_cart(api, version=2)}", card=Card("4000000000000176"))

    assert result.outcome == 17
    assert result.last.heading == "Attendi la conferma del pagamento"
    assert result.exit_url == WAITING_URL


def test_a_pending_payment_of_a_v1_cart_without_waiting_url_goes_to_the_error_url(
    app: Flask, api: ApiClient
) -> None:
    result = pay(browser(app), f"/c/{create_cart(api)}", card=Card("4000000000000176"))

    assert result.outcome == 17
    assert result.exit_url == ERROR_URL


def test_another_method_goes_straight_to_the_psp_list(app: Flask, api: ApiClient) -> None:
    result = pay(browser(app), f"/c/{create_cart(api)}", method="PPAL")

    assert "/inserisci-carta" not in [p.path for p in result.pages]
    assert result.pages[-2].text_of("pay-with") == "PayPal"
    assert result.outcome == 0


def test_the_carts_email_notice_fills_the_email_but_its_confirmation_starts_empty(
    app: Flask, api: ApiClient
) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api, email='Ente.Cittadino@Example.com')}")

    assert page.path == "/inserisci-email"
    assert page.by_id("email").attrs["value"] == "Ente.Cittadino@Example.com"
    assert page.by_id("confirmEmail").attrs["value"] == ""
    refused = pages.submit(page, "email-form")
    assert refused.status == 422
    assert refused.text_of("confirmEmail-error") == "Campo obbligatorio"
    assert pages.get("/scegli-metodo").path == "/inserisci-email"  # nothing was kept


def test_an_email_once_confirmed_is_shown_in_both_fields_when_coming_back(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api, email=None)}")
    pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})

    again = pages.get("/inserisci-email")

    assert again.by_id("email").attrs["value"] == EMAIL
    assert again.by_id("confirmEmail").attrs["value"] == EMAIL


def test_the_cart_page_summarizes_the_first_notice_and_counts_the_others(app: Flask, api: ApiClient) -> None:
    cart_id = create_cart(api, notice(), notice(OTHER_NAV, amount=1000, description="Mensa"))

    page = browser(app).get(f"/c/{cart_id}")

    assert page.text_of("summary-description") == "TARI 2026 - rata unica"
    assert page.text_of("summary-more") == "e 1 altro avviso"
    assert page.text_of("summary-amount") == "130,50 €"


def test_paying_a_cart_of_two_notices_records_a_receipt_for_each(app: Flask, api: ApiClient) -> None:
    cart_id = create_cart(api, notice(), notice(OTHER_NAV, amount=1000))

    result = pay(browser(app), f"/c/{cart_id}")

    assert result.outcome == 0
    assert len(receipts_of(api, EC)) == 2


def test_an_unknown_cart_gets_a_clear_not_found_page(app: Flask) -> None:
    page = browser(app).get("/c/00000000-0000-0000-0000-000000000000")

    assert page.status == 404
    assert page.heading == "Il carrello non è stato trovato"
    assert_page_frame(page)


@pytest.mark.parametrize(
    "cart_id",
    [
        "not-a-uuid",
        "00000000-0000-0000-0000-00000000000Z",
        "%00",
        "a" * 300,
        "00000000000000000000000000000000",
    ],
)
def test_a_cart_link_whose_id_is_no_uuid_is_a_bad_request_page(app: Flask, cart_id: str) -> None:
    page = browser(app).get(f"/c/{cart_id}")

    assert page.status == 400
    assert page.heading == "La richiesta non è valida"
    assert_page_frame(page)


def test_an_expired_cart_gets_the_not_found_page(app: Flask, api: ApiClient, clock: FixedClock) -> None:
    cart_id = create_cart(api)
    clock.advance(10 * 60)

    page = browser(app).get(f"/c/{cart_id}")

    assert page.status == 404
    assert page.heading == "Il carrello non è stato trovato"


def test_mismatching_emails_are_refused_with_field_errors(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api, email=None)}")

    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": "altro@example.com"})

    assert page.status == 422
    assert page.text_of("confirmEmail-error") == "Gli indirizzi email devono coincidere"
    assert page.by_id("confirmEmail").attrs["aria-invalid"] == "true"
    assert "autofocus" in page.by_id("confirmEmail").attrs


def test_an_invalid_email_is_refused(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api, email=None)}")

    page = pages.submit(page, "email-form", {"email": "non-una-email", "confirmEmail": ""})

    assert page.text_of("email-error") == "Inserisci un indirizzo email valido"
    assert page.text_of("confirmEmail-error") == "Campo obbligatorio"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"number": ""}, "number", "Campo obbligatorio"),
        ({"number": "4242424242424241"}, "number", "Inserisci un numero di carta valido"),
        ({"expirationDate": "13/30"}, "expirationDate", "Inserisci la scadenza nel formato mm/aa"),
        ({"expirationDate": "02/26"}, "expirationDate", "La carta è scaduta"),
        ({"cvv": "12"}, "cvv", "Inserisci 3 o 4 cifre"),
        ({"name": ""}, "name", "Campo obbligatorio"),
    ],
)
def test_card_errors_are_shown_next_to_their_field_and_nothing_is_charged(
    app: Flask, api: ApiClient, values: dict[str, str], field: str, message: str
) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api)}")
    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})
    page = pages.submit(page, "method-form", button="method-CP")
    typed = {"number": "4242424242424242", "expirationDate": "12/30", "cvv": "123", "name": "Mario Rossi"}

    page = pages.submit(page, "card-form", {**typed, **values})

    assert page.status == 422
    assert page.text_of(f"{field}-error") == message
    assert page.by_id("error-summary")
    assert page.by_id(field).attrs["aria-invalid"] == "true"
    assert f"{field}-error" in page.by_id(field).attrs["aria-describedby"]
    assert page.by_id("number").attrs["value"] == ""  # a card number is never echoed back
    assert page.by_id("cvv").attrs["value"] == ""


def test_a_card_expiring_this_month_is_still_valid_by_the_tenant_clock(app: Flask, api: ApiClient) -> None:
    result = pay(
        browser(app), f"/c/{create_cart(api)}", card=Card(expiry="03/26")
    )  # the clock says March 2026

    assert result.outcome == 0


def test_a_cart_notice_locked_by_another_payment_shows_the_fault_then_the_error_url(
    app: Flask, api: ApiClient
) -> None:
    first_cart, second_cart = create_cart(api), create_cart(api)  # made before the notice is locked
    first = browser(app)
    page = first.get(f"/c/{first_cart}")
    page = first.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})
    first.submit(page, "method-form", button="method-PPAL")  # the notice is now activated (locked)
    second = browser(app)
    page = second.get(f"/c/{second_cart}")
    page = second.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})

    fault = second.submit(page, "method-form", button="method-PPAL")

    assert fault.status == 409
    assert fault.heading == "C'è già un pagamento in corso, riprova più tardi"
    error = second.get(fault.href("exit"))
    assert error.path == "/errore"
    assert error.href("exit") == ERROR_URL


def test_a_tenants_cart_is_paid_in_that_tenant_only(app: Flask) -> None:
    ci = ApiClient(app.test_client(), tenant="ci-job-7")
    cart_id = create_cart(ci)

    assert browser(app, tenant="other-job").get(f"/c/{cart_id}").status == 404
    result = pay(browser(app, tenant="ci-job-7"), f"/c/{cart_id}")

    assert result.outcome == 0
    assert len(receipts_of(ci)) == 1
    assert receipts_of(ApiClient(app.test_client())) == []


def test_a_browser_without_tenant_header_pays_the_cart_in_the_tenant_that_created_it(app: Flask) -> None:
    ci = ApiClient(app.test_client(), tenant="ci-job-8")
    cart_id = create_cart(ci)

    result = pay(browser(app), f"/c/{cart_id}")  # a real browser sends no X-Sandbox-Tenant

    assert result.outcome == 0
    assert len(receipts_of(ci)) == 1
    assert receipts_of(ApiClient(app.test_client())) == []
