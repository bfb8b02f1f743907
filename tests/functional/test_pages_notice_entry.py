"""Entering a notice by hand, by its QR code's text, or through a deep link; and how a notice that
cannot be paid is shown (reference §2: category title, detail code where the real page shows it)."""

from __future__ import annotations

import pytest
from flask import Flask

from simulator.domain.errors import PaymentFault
from simulator.domain.payment import FaultCategory
from simulator.services import payments
from simulator.testing.pages_client import Left, Page, PagesClient, pay
from simulator.web.errors import FAULT_STATUS
from tests.conftest import ApiClient
from tests.functional import gpd_factories as gpd
from tests.functional.pages_factories import EC, NAV, assert_page_frame, browser, create_cart, receipts_of


def enter(pages: PagesClient, bill_code: str, cf: str) -> Page:
    form = pages.get("/inserisci-dati-avviso")
    return pages.submit(form, "notice-form", {"billCode": bill_code, "cf": cf})


def test_the_start_page_offers_the_qr_code_and_manual_entry(app: Flask) -> None:
    page = browser(app).get("/")

    assert page.heading == "Paga un avviso"
    assert page.href("choose-qr") == "/leggi-codice-qr"
    assert page.href("choose-manual") == "/inserisci-dati-avviso"
    assert_page_frame(page)


def test_a_notice_typed_as_printed_shows_its_payment_data(app: Flask) -> None:
    pages = browser(app)
    form = pages.get("/inserisci-dati-avviso")
    assert form.heading == "Cosa devi pagare?"

    page = pages.submit(form, "notice-form", {"billCode": "3020 0010 0000 0094 24", "cf": EC})

    assert page.path == "/dati-pagamento"
    assert page.heading == "Dati del pagamento"
    assert page.text_of("notice-number") == "3020 0010 0000 0094 24"
    assert page.text_of("fiscal-code") == EC
    assert page.text_of("amount").endswith(" €")
    assert page.text_of("company-name") and page.text_of("description")
    assert page.href("continue") == "/inserisci-email"


@pytest.mark.parametrize(
    ("bill_code", "cf", "errors"),
    [
        ("", "", {"billCode": "Campo obbligatorio", "cf": "Campo obbligatorio"}),
        ("12345", EC, {"billCode": "Inserisci 18 cifre"}),
        ("30200010000000942A", EC, {"billCode": "Inserisci 18 cifre"}),
        (NAV, "1234567890", {"cf": "Inserisci 11 cifre"}),
        ("902000100000009424", EC, {"billCode": "Il codice avviso inizia con 0, 1, 2 o 3"}),
    ],
)
def test_manual_entry_errors_are_listed_on_top_and_next_to_each_field(
    app: Flask, bill_code: str, cf: str, errors: dict[str, str]
) -> None:
    page = enter(browser(app), bill_code, cf)

    assert page.status == 422
    for field, message in errors.items():
        assert page.text_of(f"{field}-error") == message
        assert page.by_id(field).attrs["aria-invalid"] == "true"
    summary_links = [
        a.attrs["href"] for a in page.all if a.tag == "a" and a.attrs.get("href", "").startswith("#")
    ]
    assert [h for h in summary_links if h != "#main"] == [f"#{f}" for f in errors]
    first = next(iter(errors))
    assert "autofocus" in page.by_id(first).attrs
    assert page.by_id("billCode").attrs["value"] == bill_code


def test_a_manually_entered_notice_is_paid_and_its_button_returns_to_the_start(
    app: Flask, api: ApiClient
) -> None:
    result = pay(browser(app), f"/{EC}{NAV}")

    assert result.pages[0].path == "/dati-pagamento"
    assert result.outcome == 0
    assert result.exit_url == "/"
    assert len(receipts_of(api)) == 1


def test_a_paid_notice_entered_again_shows_already_paid(app: Flask, api: ApiClient) -> None:
    pay(browser(app), f"/c/{create_cart(api)}")

    page = enter(browser(app), NAV, EC)

    assert page.heading == "Questo avviso è stato già pagato!"
    assert page.status == 409
    assert "fault-code" not in page.elements
    assert page.href("exit") == "/inserisci-dati-avviso"
    assert_page_frame(page)


def test_a_notice_being_paid_elsewhere_shows_payment_ongoing(app: Flask, api: ApiClient) -> None:
    first = browser(app)
    page = first.get(f"/{EC}{NAV}")
    page = first.get(page.href("continue"))
    page = first.submit(page, "email-form", {"email": "a@b.it", "confirmEmail": "a@b.it"})
    first.submit(page, "method-form", button="method-PPAL")  # activates: the notice is locked

    other = enter(browser(app), NAV, EC)

    assert other.heading == "C'è già un pagamento in corso, riprova più tardi"


def test_an_unknown_notice_of_a_managed_ec_is_not_found(app: Flask, api: ApiClient) -> None:
    assert api.post(gpd.positions_url() + "?toPublish=true", json=gpd.position_body()).status_code == 201

    page = enter(browser(app), "301000000000000099", gpd.ORG)

    assert page.heading == "Non riusciamo a trovare l'avviso"
    assert page.status == 404


@pytest.mark.parametrize(
    ("category", "code", "title"),
    [
        (
            FaultCategory.DOMAIN_UNKNOWN,
            "PPT_STAZIONE_INT_PA_TIMEOUT",
            "L'Ente Creditore sta avendo problemi nella risposta",
        ),
        (FaultCategory.PAYMENT_UNAVAILABLE, "PPT_SYSTEM_ERROR", "C'è un problema tecnico con questo avviso"),
        (FaultCategory.PAYMENT_DATA_ERROR, "PPT_SINTASSI_XSD", "I dati dell'avviso non sono corretti"),
    ],
)
def test_technical_faults_show_their_title_and_the_code_for_support(
    app: Flask, monkeypatch: pytest.MonkeyPatch, category: FaultCategory, code: str, title: str
) -> None:
    def failing_verify(*args: object, **kwargs: object) -> None:
        raise PaymentFault(category, code)

    monkeypatch.setattr(payments, "verify", failing_verify)

    page = enter(browser(app), NAV, EC)

    assert page.heading == title
    assert page.status == FAULT_STATUS[category]
    assert "Codice di errore per l'assistenza" in page.text_of("fault-code-block")
    assert page.text_of("fault-code") == code


STATION_TIMEOUT_NAV = "302980000000000000"  # the UAT convention: NAV 3xx98... of the test EC
UAT_EC = "77777777777"


@pytest.mark.parametrize(
    ("lang", "title", "code_label"),
    [
        ("it", "L'Ente Creditore sta avendo problemi nella risposta", "Codice di errore per l'assistenza"),
        ("en", "The payee is having problems with the response", "Error code for support"),
    ],
)
def test_a_station_that_times_out_shows_checkouts_words_and_the_code(
    app: Flask, lang: str, title: str, code_label: str
) -> None:
    pages = browser(app)
    pages.get(f"/?lang={lang}")

    page = enter(pages, STATION_TIMEOUT_NAV, UAT_EC)

    assert page.status == 503
    assert page.by_id("fault").attrs["data-category"] == "DOMAIN_UNKNOWN"
    assert page.heading == title
    assert "fault-body" not in page.elements  # checkout says nothing more than its title and the code
    assert page.text_of("fault-code-block") == f"{code_label}: PPT_STAZIONE_INT_PA_TIMEOUT"
    assert_page_frame(page)


def test_the_qr_page_takes_the_codes_text_and_uses_its_amount(app: Flask) -> None:
    pages = browser(app)
    form = pages.get("/leggi-codice-qr")
    assert_page_frame(form)

    page = pages.submit(form, "qr-form", {"qrCode": f"PAGOPA|002|{NAV}|{EC}|4550"})

    assert page.path == "/dati-pagamento"
    assert page.text_of("amount") == "45,50 €"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Campo obbligatorio"),
        ("PAGOPA|001|302000100000009424|15376371009|100", "Il codice non è valido"),
        ("PAGOPA|002|30200010000000942|15376371009|100", "Il codice non è valido"),
        ("https://example.com", "Il codice non è valido"),
    ],
)
def test_a_malformed_qr_code_is_refused_on_its_field(app: Flask, text: str, message: str) -> None:
    pages = browser(app)
    page = pages.submit(pages.get("/leggi-codice-qr"), "qr-form", {"qrCode": text})

    assert page.status == 422
    assert page.text_of("qrCode-error").startswith(message)


def test_a_deep_link_verifies_the_notice_at_once(app: Flask) -> None:
    page = browser(app).get(f"/{EC}{NAV}")

    assert page.path == "/dati-pagamento"
    assert page.text_of("fiscal-code") == EC


def test_a_deep_link_to_a_paid_notice_shows_already_paid_with_a_way_home(app: Flask, api: ApiClient) -> None:
    pay(browser(app), f"/{EC}{NAV}")

    page = browser(app).get(f"/{EC}{NAV}")

    assert page.heading == "Questo avviso è stato già pagato!"
    assert page.href("exit") == "/"


def test_paths_that_are_not_29_digits_are_not_deep_links(app: Flask) -> None:
    page = browser(app).get(f"/{EC}{NAV[:-1]}")

    assert page.status == 404
    assert page.heading == "Pagina non trovata"
    assert_page_frame(page)


def test_a_deep_link_with_an_impossible_notice_number_is_a_clear_bad_request(app: Flask) -> None:
    page = browser(app).get(f"/{EC}9{NAV[1:]}")

    assert page.status == 400
    assert page.heading == "La richiesta non è valida"


def test_the_manual_flows_back_links_stay_inside_the_sandbox(app: Flask) -> None:
    pages = browser(app)
    details = pages.get(f"/{EC}{NAV}")

    assert details.href("back") == "/inserisci-dati-avviso"
    email = pages.get(details.href("continue"))
    assert email.href("back") == "/dati-pagamento"
    assert isinstance(pages.follow(email, "back"), type(email))
    assert not isinstance(pages.follow(email, "back"), Left)


def test_categories_carry_their_http_status_and_whether_the_code_is_shown() -> None:
    status = {c: FAULT_STATUS[c] for c in FaultCategory}
    assert status == {
        FaultCategory.PAYMENT_UNKNOWN: 404,
        FaultCategory.PAYMENT_DATA_ERROR: 404,
        FaultCategory.PAYMENT_ONGOING: 409,
        FaultCategory.PAYMENT_EXPIRED: 409,
        FaultCategory.PAYMENT_CANCELED: 409,
        FaultCategory.PAYMENT_DUPLICATED: 409,
        FaultCategory.PAYMENT_UNAVAILABLE: 502,
        FaultCategory.DOMAIN_UNKNOWN: 503,
        FaultCategory.GENERIC_ERROR: 502,
    }
    shown = {c for c in FaultCategory if c.shows_detail}
    assert shown == {
        FaultCategory.DOMAIN_UNKNOWN,
        FaultCategory.PAYMENT_UNAVAILABLE,
        FaultCategory.PAYMENT_DATA_ERROR,
    }
