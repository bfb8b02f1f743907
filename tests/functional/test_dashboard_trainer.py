"""Trainer mode on the dashboard: the presenter view of a cart, and the seeded demo creditor's
printable notice whose QR payload the pages' "leggi codice QR" accepts typed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from flask import Flask

from simulator.services.demo import DEMO_EC
from tests.functional.dashboard_factories import cart_in, dashboard
from tests.functional.pages_factories import assert_only_this_site_may_frame
from tests.functional.pages_factories import browser as pages_client

QR_PAYLOAD = re.compile(r"PAGOPA\|002\|([0-9]{18})\|([0-9]{11})\|([0-9]+)")


def test_the_presenter_view_shows_the_flow_in_large_type_beside_the_citizens_page(app: Flask) -> None:
    cart = cart_in(app, "class")
    browser, _ = dashboard(app, "class")

    page = browser.get(f"/_sandbox/carts/{cart}/presenter")

    assert page.status == 200
    assert 'class="dashboard-presenting"' in page.html
    frame = page.by_id("citizen-frame")
    assert frame.tag == "iframe" and frame.attrs["src"] == f"/c/{cart}" and frame.attrs["title"].strip()
    assert page.href("open-citizen") == f"/c/{cart}"  # still offered in a window of its own
    assert page.by_id("flow-steps") and page.by_id("cart-state").attrs["data-state"] == "OPEN"


def test_the_citizens_page_the_presenter_view_frames_lets_only_the_sandbox_frame_it(app: Flask) -> None:
    cart = cart_in(app, "class")
    browser, _ = dashboard(app, "class")
    presenter = app.test_client().get(f"/_sandbox/carts/{cart}/presenter")
    src = browser.get(f"/_sandbox/carts/{cart}/presenter").by_id("citizen-frame").attrs["src"]

    framed = app.test_client().get(src, headers={"X-Sandbox-Tenant": "class"})

    assert "frame-src 'self'" in presenter.headers["Content-Security-Policy"]
    assert_only_this_site_may_frame(framed)


def test_the_demo_notice_is_offered_once_the_demo_creditor_is_seeded(app: Flask) -> None:
    browser, _ = dashboard(app)
    empty = browser.get("/_sandbox/demo-notice")
    assert empty.by_id("no-demo")
    assert app.test_client().get("/_sandbox/demo-notice/qr.svg").status_code == 404

    page = browser.submit(empty, "seed-form")

    assert page.path == "/_sandbox/demo-notice" and page.by_id("demo-notice")
    payload = page.text_of("qr-payload")
    nav, fiscal_code, cents = QR_PAYLOAD.fullmatch(payload).groups()  # type: ignore[union-attr]
    assert fiscal_code == DEMO_EC and int(cents) == 18750
    assert page.text_of("notice-nav").replace(" ", "") == nav
    assert "not-payable" not in page.elements
    assert page.by_id("qr-image").attrs["alt"].endswith(payload)
    svg = app.test_client().get("/_sandbox/demo-notice/qr.svg")
    assert svg.mimetype == "image/svg+xml"
    assert ET.fromstring(svg.get_data()).tag.endswith("svg")


def test_the_demo_notices_qr_payload_typed_on_the_pages_starts_its_payment(app: Flask) -> None:
    browser, page = dashboard(app)
    page = browser.submit(browser.get("/_sandbox/demo-notice"), "seed-form")
    payload = page.text_of("qr-payload")
    nav = payload.split("|")[2]

    pages = pages_client(app)
    qr = pages.get("/leggi-codice-qr")
    shown = pages.submit(qr, "qr-form", {"qrCode": payload})

    assert shown.status == 200, shown.heading
    assert shown.path == "/dati-pagamento"
    assert "187,50" in shown.text and nav[:4] in shown.text.replace(" ", "")


def test_seeding_the_demo_needs_the_csrf_token(app: Flask) -> None:
    refused = app.test_client().post("/_sandbox/demo", data={})

    assert refused.status_code == 400
    assert b"Modulo scaduto" in refused.data
