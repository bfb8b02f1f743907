"""Every page in Italian and English, accessible without JavaScript, with user data escaped, the
test-environment banner always there and no pagoPA logo anywhere."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask

from simulator.testing.pages_client import Card, Page, PagesClient, pay
from simulator.web import pages_i18n
from tests.conftest import ApiClient
from tests.functional.pages_factories import EC, EMAIL, NAV, assert_page_frame, browser, create_cart, notice


def catalog(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source)


EN_PO = pages_i18n.TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"


def every_page(app: Flask, api: ApiClient, pages: PagesClient) -> list[Page]:
    """One of each page: a whole card payment with 3DS, the cancel confirmation, the terminal and
    error pages, the entry forms with their errors."""
    seen = list(pay(pages, f"/c/{create_cart(api)}", card=Card("4000000000003006")).pages)
    seen.append(pages.get("/"))
    seen.append(pages.get("/leggi-codice-qr"))
    seen.append(pages.submit(seen[-1], "qr-form", {"qrCode": "x"}))
    seen.append(pages.get("/inserisci-dati-avviso"))
    seen.append(pages.submit(seen[-1], "notice-form", {"billCode": "1", "cf": ""}))
    seen.append(pages.get(f"/{EC}{NAV}"))  # dati-pagamento of a fresh notice
    cancel = browser(app)
    result = pay(cancel, f"/c/{create_cart(api, notice('302123456789012356'))}", cancel=True)
    seen += result.pages[-2:]
    seen.append(pages.get("/errore"))
    seen.append(pages.get("/sessione-scaduta"))
    seen.append(pages.get("/pagina-che-non-esiste"))
    seen.append(pages.get("/c/sconosciuto"))
    seen.append(browser(app).post("/inserisci-dati-avviso", {}))
    return seen


def test_every_page_has_one_h1_its_title_the_banner_and_no_logo(app: Flask, api: ApiClient) -> None:
    pages = every_page(app, api, browser(app))

    paths = {p.path for p in pages}
    assert {
        "/verifica-3ds",
        "/annulla",
        "/annullato",
        "/errore",
        "/sessione-scaduta",
        "/leggi-codice-qr",
    } <= paths
    for page in pages:
        assert_page_frame(page)
        assert '<html lang="it">' in page.html


def test_every_field_has_a_label_and_its_descriptions_exist(app: Flask, api: ApiClient) -> None:
    for page in every_page(app, api, browser(app)):
        labelled = {e.attrs.get("for") for e in page.all if e.tag == "label"}
        for element in page.all:
            if element.tag in ("input", "select", "textarea") and element.attrs.get("type") != "hidden":
                assert element.attrs.get("id") in labelled, (page.path, element.attrs)
            for ref in element.attrs.get("aria-describedby", "").split():
                assert ref in page.elements, (page.path, ref)


def test_every_form_carries_a_csrf_token(app: Flask, api: ApiClient) -> None:
    for page in every_page(app, api, browser(app)):
        for form in page.forms:
            if form.method == "POST":
                assert form.fields.get("csrf_token"), (page.path, form.id)


def test_the_english_switch_is_a_plain_link_and_sticks(app: Flask) -> None:
    pages = browser(app)
    home = pages.get("/")
    assert home.href("lang-switch") == "/?lang=en"

    english = pages.get(home.href("lang-switch"))
    later = pages.get("/inserisci-dati-avviso")

    assert english.heading == "Pay a notice"
    assert '<html lang="en">' in english.html
    assert english.title == "Pay a notice - pagoPA (test environment)"
    assert english.text_of("sandbox-banner") == "TEST ENVIRONMENT — this is not pagoPA: no real payment"
    assert later.heading == "What do you have to pay?"
    assert later.href("lang-switch") == "/inserisci-dati-avviso?lang=it"
    assert pages.get(later.href("lang-switch")).heading == "Cosa devi pagare?"


def test_a_whole_payment_in_english_speaks_english_on_every_page(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    pages.get("/?lang=en")
    long_italian = [
        m.id
        for m in catalog(EN_PO)
        if isinstance(m.id, str) and m.id != m.string and len(m.id) > 15 and "%" not in m.id
    ]

    result = pay(pages, f"/c/{create_cart(api)}", card=Card("4000000000000028"))

    assert result.last.heading == "Authorization denied"
    assert result.last.text_of("outcome-charged") == "No amount has been charged to you."
    for page in result.pages:
        assert '<html lang="en">' in page.html
        untranslated = [m for m in long_italian if m in page.text]
        assert untranslated == [], (page.path, untranslated)


def test_the_english_outcome_speaks_of_the_amount_paid(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    pages.get("/?lang=en")

    result = pay(pages, f"/c/{create_cart(api)}", psp="DEMOPSP001")

    assert result.last.heading == "You paid €122.00"
    assert result.last.text_of("outcome-body") == f"You will receive the payment confirmation at {EMAIL}."


@pytest.mark.parametrize(
    ("lang", "amount", "fee", "total", "pay", "fees"),
    [
        ("it", "1.200,50 €", "1,20 €", "1.201,70 €", "Paga 1.201,70 €", "Commissione: da 1,00 € a 2,00 €"),
        ("en", "€1,200.50", "€1.20", "€1,201.70", "Pay €1,201.70", "Fee: from €1.00 to €2.00"),
    ],
)
def test_amounts_are_written_the_way_the_pages_language_writes_them(
    app: Flask, api: ApiClient, lang: str, amount: str, fee: str, total: str, pay: str, fees: str
) -> None:
    pages = browser(app)
    pages.get(f"/?lang={lang}")
    page = pages.get(f"/c/{create_cart(api, notice(amount=120050))}")
    page = pages.submit(page, "email-form", {"email": EMAIL, "confirmEmail": EMAIL})
    assert page.text_of("method-CP-fee") == fees

    page = pages.submit(page, "method-form", button="method-CP")
    page = pages.submit(
        page,
        "card-form",
        {"number": "4242424242424242", "expirationDate": "12/30", "cvv": "123", "name": "M R"},
    )
    page = pages.submit(page, "psp-form", button="psp-DEMOPSP002")

    assert page.text_of("summary-amount") == amount
    assert page.text_of("fee").startswith(fee)
    assert page.text_of("total") == total
    assert page.text_of("pay") == pay


def test_user_supplied_texts_are_escaped_everywhere(app: Flask, api: ApiClient) -> None:
    evil = notice(
        companyName='<img src=x onerror="alert(1)">Comune',
        description="<script>alert('xss')</script>",
    )
    cart_id = create_cart(api, evil, email=None)
    pages = browser(app)

    result = pay(pages, f"/c/{cart_id}", email="o'brien+<b>@example.com")

    shown = [result.pages[0], *result.pages]
    for page in shown:
        assert "<script>alert" not in page.html
        assert "<img src=x" not in page.html
    email_page = result.pages[0]
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in email_page.html
    assert email_page.text_of("summary-description") == "<script>alert('xss')</script>"
    assert email_page.text_of("summary-company") == '<img src=x onerror="alert(1)">Comune'


def test_an_email_with_markup_is_refused_not_rendered(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    page = pages.get(f"/c/{create_cart(api, email=None)}")
    typed = '"><script>alert(1)</script>'

    page = pages.submit(page, "email-form", {"email": typed, "confirmEmail": typed})

    assert page.status == 422
    assert "<script>alert(1)" not in page.html
    assert page.by_id("email").attrs["value"] == typed  # shown back, escaped in the attribute


def test_the_vendored_styles_and_fonts_are_served_with_their_licenses(app: Flask) -> None:
    client = app.test_client()
    static = Path(app.static_folder or "")
    for path in (
        "vendor/bootstrap-italia/css/bootstrap-italia.min.css",
        "vendor/bootstrap-italia/LICENSE",
        "vendor/bootstrap-italia/fonts/Titillium_Web/OFL.txt",
        "vendor/bootstrap-italia/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2",
        "css/sandbox.css",
    ):
        assert (static / path).is_file(), path
        with client.get(f"/static/{path}") as response:
            assert response.status_code == 200, path
    others = {
        static / "js/dashboard.js",
        static / "vendor/swagger-ui/swagger-ui-bundle.js",
        static / "js/sandbox-docs.js",
    }
    assert not set(static.rglob("*.js")) - others, (
        "the pages need no JavaScript (the dashboard and /_sandbox/docs have)"
    )
    assert not [p for p in static.rglob("*") if "logo" in p.name.lower()]


@pytest.mark.parametrize("language", ["it", "en"])
def test_each_committed_mo_is_the_compilation_of_its_po(language: str) -> None:
    po = pages_i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"

    assert po.with_suffix(".mo").read_bytes() == pages_i18n.compiled(po)


def test_every_message_has_an_english_translation() -> None:
    english = catalog(EN_PO)

    missing = [
        m.id for m in english if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]

    assert missing == []


def test_the_catalogs_hold_every_message_of_the_sources(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    pages_i18n.extract(pot)

    in_sources = {m.id for m in catalog(pot) if m.id}
    in_catalog = {m.id for m in catalog(EN_PO) if m.id}

    assert in_sources - in_catalog == set(), "run: python -m simulator.web.pages_i18n update"


@pytest.mark.parametrize(
    "path", ["/%5Cevil.example/x", "//evil.example/x", "/%5C%5Cevil.example", "/%2F%2Fevil.example"]
)
def test_the_language_link_of_any_page_stays_on_this_site(app: Flask, path: str) -> None:
    """The 404 page of a path that looks like another host links to its English version on this
    site, never to ``/\\evil.example`` or ``//evil.example`` (which a browser takes for a host)."""
    page = app.test_client().get(path)
    href = page.get_data(as_text=True).split('id="lang-switch"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert href.startswith("/") and not href.startswith(("//", "/\\")), href
    assert "\\" not in href and urlsplit(href).netloc == "", href
