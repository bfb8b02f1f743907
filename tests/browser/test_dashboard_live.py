"""The dashboard in Chromium: a cart and then its payment appear on it live (Server-Sent Events,
no reload) while another tab of the same browser pays, also when its first stream was refused
because every slot was taken; and every dashboard view passes axe-core's WCAG 2.1 A and AA rules,
in Italian at desktop width and in English at 320 px."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from tests.browser.conftest import LiveServer
from tests.browser.steps import TIMEOUT, create_cart, to_summary
from tests.conftest import KEY

Axe = pytest.importorskip(
    "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed: audits skipped"
).Axe

WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
AXE = Axe()
RETURN_URLS = {
    "returnOkUrl": "https://ec.example/esito?stato=ok",
    "returnCancelUrl": "https://ec.example/esito?stato=annullato",
    "returnErrorUrl": "https://ec.example/esito?stato=errore",
    "returnWaitingUrl": "https://ec.example/esito?stato=attesa",
}
LIVE_WAIT_MS = 15_000


def cart_id_of(location: str) -> str:
    return location.split("/carts/")[1].split("/")[0]


def test_a_payment_appears_live_on_the_dashboard_while_another_tab_pays_it(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(locale="it-IT")
    try:
        dashboard = context.new_page()
        dashboard.goto(live_server.url + "/_sandbox/?tenant=default")
        dashboard.evaluate("window.notReloaded = true")

        location = create_cart(live_server.url, RETURN_URLS)
        cart = cart_id_of(location)
        dashboard.locator(f'tr[data-cart="{cart}"][data-state="OPEN"]').wait_for(timeout=LIVE_WAIT_MS)

        payer = context.new_page()
        to_summary(payer, location)
        payer.click("#pay")
        payer.wait_for_url("**/esito")

        paid = dashboard.locator(f'tr[data-cart="{cart}"][data-state="PAID"]')
        paid.wait_for(timeout=LIVE_WAIT_MS)
        assert "Pagato" in paid.inner_text()
        assert dashboard.evaluate("window.notReloaded === true")  # updated in place, never reloaded
        assert dashboard.locator("#live-status").inner_text().startswith("Aggiornato")
    finally:
        context.close()


@pytest.fixture
def one_slot_server(tmp_path: Path, live_clock: FixedClock) -> Iterator[LiveServer]:
    """A sandbox whose worker runs a single event stream at a time."""
    settings = Settings(
        data_dir=str(tmp_path),
        database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        log_requests=False,
        stream_slots=1,
    )
    app = create_app(settings, clock=live_clock)
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["sandbox"].close()


def test_a_dashboard_refused_a_stream_tries_again_and_then_updates_live(
    page: Any, one_slot_server: LiveServer
) -> None:
    taken = one_slot_server.app.test_client().get("/_sandbox/stream", buffered=False)
    assert taken.status_code == 200  # the only slot
    with page.expect_response(lambda r: "/_sandbox/stream" in r.url) as first:
        page.goto(one_slot_server.url + "/_sandbox/?tenant=default")
    assert first.value.status == 503
    page.evaluate("window.notReloaded = true")
    taken.close()  # the slot is free again

    cart = cart_id_of(create_cart(one_slot_server.url, RETURN_URLS))

    page.locator(f'tr[data-cart="{cart}"]').wait_for(timeout=LIVE_WAIT_MS)
    assert page.evaluate("window.notReloaded === true")


# --- the axe audit of every view ---------------------------------------------------------------------


def paid_cart(server: LiveServer) -> str:
    """A cart paid headless (so its flow, journal and notifications have content); its id."""
    cart = cart_id_of(create_cart(server.url, RETURN_URLS))
    requests.post(
        f"{server.url}/_sandbox/v1/webhooks",
        json={"url": "http://127.0.0.1:9/refused", "fiscalCode": "77777777777"},
        timeout=TIMEOUT,
    ).raise_for_status()
    requests.post(
        f"{server.url}/_sandbox/v1/carts/{cart}/complete", json={"outcome": "ok"}, timeout=TIMEOUT
    ).raise_for_status()
    requests.post(f"{server.url}/checkout/ec/v2/cart", json={}, headers=KEY, timeout=TIMEOUT)  # unmatched
    return cart


VIEWS: dict[str, Callable[[str], str]] = {
    "carts": lambda cart: "/_sandbox/",
    "carts-filtered-empty": lambda cart: "/_sandbox/?q=nothing-matches",
    "cart": lambda cart: f"/_sandbox/carts/{cart}",
    "cart-after-action": lambda cart: f"/_sandbox/carts/{cart}?done=complete",
    "presenter": lambda cart: f"/_sandbox/carts/{cart}/presenter",
    "journal": lambda cart: "/_sandbox/journal",
    "journal-entry": lambda cart: "/_sandbox/journal/1",
    "notifications": lambda cart: "/_sandbox/notifications",
    "unmatched": lambda cart: "/_sandbox/unmatched",
    "demo-notice-missing": lambda cart: "/_sandbox/demo-notice",
    "not-found": lambda cart: "/_sandbox/carts/00000000-0000-0000-0000-000000000000",
}


def audit(page: Any) -> list[dict[str, Any]]:
    return list(AXE.run(page, options=WCAG_21_AA).response["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} [{v['impact']}] {v['help']}: " + "; ".join(str(n["target"]) for n in v["nodes"])
        for v in violations
    )


@pytest.mark.parametrize(("language", "width"), [("it", 1280), ("en", 320)])
def test_every_dashboard_view_has_no_wcag_21_aa_violation(
    page: Any, live_server: LiveServer, language: str, width: int
) -> None:
    cart = paid_cart(live_server)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/_sandbox/?tenant=default&lang={language}")
    failures = []
    for name, path in VIEWS.items():
        page.goto(live_server.url + path(cart))
        page.wait_for_load_state("load")
        if violations := audit(page):
            failures.append(f"{name}:\n{describe(violations)}")
    page.goto(live_server.url + "/_sandbox/demo-notice")
    page.click("#seed-form button")
    page.wait_for_selector("#demo-notice")
    if violations := audit(page):
        failures.append(f"demo-notice:\n{describe(violations)}")
    assert not failures, "\n\n".join(failures)


def test_the_dashboard_fits_320_px_without_sideways_scrolling(page: Any, live_server: LiveServer) -> None:
    cart = paid_cart(live_server)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in (
        "/_sandbox/",
        f"/_sandbox/carts/{cart}",
        f"/_sandbox/carts/{cart}/presenter",
        "/_sandbox/journal",
        "/_sandbox/notifications",
    ):
        page.goto(live_server.url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, overflow)


@pytest.mark.parametrize(("width", "beside"), [(1280, True), (320, False)])
def test_the_presenter_view_shows_the_citizens_page_in_a_frame_beside_the_flow(
    page: Any, live_server: LiveServer, width: int, beside: bool
) -> None:
    """The browser really loads the framed page (its same-origin policy lets the sandbox frame it):
    beside the flow on a wide screen, under it on a narrow one."""
    cart = cart_id_of(create_cart(live_server.url, RETURN_URLS))
    page.set_viewport_size({"width": width, "height": 800})

    page.goto(f"{live_server.url}/_sandbox/carts/{cart}/presenter?tenant=default")

    framed = page.frame_locator("#citizen-frame")
    framed.locator("body").get_by_text("AMBIENTE DI PROVA").first.wait_for(timeout=TIMEOUT * 1000)
    flow = page.locator("#presenter-live").bounding_box()
    frame = page.locator("#citizen-frame").bounding_box()
    assert (frame["x"] > flow["x"] + flow["width"] / 2) is beside
    assert (frame["y"] >= flow["y"] + flow["height"]) is not beside
