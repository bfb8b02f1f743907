"""A person paying an EC's cart in a real browser: the EC creates the cart over HTTP, Chromium
follows the redirect hop and every page by clicking and typing, and lands back on the EC's site at
the return URL exactly as the EC gave it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.steps import create_cart, receipts
from tests.functional.pages_factories import EC, NAV

TENANT = "browser-e2e"  # the browser itself sends no tenant header: the cart's own tenant applies


class EcSite:
    """The EC's web site on 127.0.0.1: answers 200 to any GET and remembers what was asked."""

    def __init__(self) -> None:
        self.visited: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.visited.append(self.path)
                body = b"<!doctype html><html lang='it'><title>Ente</title><h1>Sito dell'Ente</h1></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def urls(self) -> dict[str, str]:
        return {
            "returnOkUrl": f"{self.base}/esito?stato=ok&id=42",
            "returnCancelUrl": f"{self.base}/esito?stato=annullato&id=42",
            "returnErrorUrl": f"{self.base}/esito?stato=errore&id=42",
        }

    def pages(self) -> list[str]:
        """What was asked, leaving out the favicon a browser may ask for on its own."""
        return [path for path in self.visited if path != "/favicon.ico"]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def ec_site() -> Iterator[EcSite]:
    site = EcSite()
    yield site
    site.stop()


def go_to_summary_as_a_person(page: Any, location: str) -> None:
    hop = page.goto(location)  # the gateway's hop: a 200 page whose meta refresh opens the cart
    assert hop is not None and hop.status == 200 and hop.url == location
    page.wait_for_url("**/inserisci-email")
    page.get_by_label("Indirizzo email", exact=True).fill("mario.rossi@example.com")
    page.get_by_label("Ripeti l'indirizzo email", exact=True).fill("mario.rossi@example.com")
    page.get_by_role("button", name="Continua").click()

    page.wait_for_url("**/scegli-metodo")
    page.get_by_role("button", name=re.compile("^Carta di debito o credito")).click()

    page.wait_for_url("**/inserisci-carta")
    page.get_by_label("Numero della carta").press_sequentially("4242 4242 4242 4242")
    page.get_by_label("Scadenza").press_sequentially("12/30")
    page.get_by_label("Codice di sicurezza").press_sequentially("123")
    page.get_by_label("Titolare della carta").press_sequentially("Mario Rossi")
    page.get_by_role("button", name="Continua").click()

    page.wait_for_url("**/lista-psp")
    page.get_by_role("button", name=re.compile("^Banca Demo S.p.A.")).click()

    page.wait_for_url("**/riepilogo-pagamento")
    assert page.locator("#pay-with").inner_text() == "Visa •••• 4242"


def test_paying_a_cart_in_chromium_lands_on_the_ok_url_exactly_and_records_the_receipt(
    page: Any, live_server: LiveServer, ec_site: EcSite
) -> None:
    ok_url = ec_site.urls()["returnOkUrl"]
    location = create_cart(live_server.url, ec_site.urls(), tenant=TENANT, email=None)
    go_to_summary_as_a_person(page, location)

    page.get_by_role("button", name=re.compile("^Paga ")).click()
    page.wait_for_url("**/esito")
    # 120,50 € and Banca Demo's 1,50 € card fee
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Hai pagato 122,00\u00a0€"
    )  # Babel: a no-break space before the sign
    page.get_by_role("link", name="Torna al sito dell'Ente").click()
    page.wait_for_url(lambda url: url.startswith(ec_site.base))

    assert page.url == ok_url
    assert ec_site.pages() == ["/esito?stato=ok&id=42"]
    paid = receipts(live_server.url, tenant=TENANT)
    assert [(r["organizationFiscalCode"], r["iuv"]) for r in paid] == [(EC, NAV[1:])]
    assert receipts(live_server.url) == []  # the default tenant saw nothing


def test_cancelling_a_cart_in_chromium_lands_on_the_cancel_url_and_charges_nothing(
    page: Any, live_server: LiveServer, ec_site: EcSite
) -> None:
    cancel_url = ec_site.urls()["returnCancelUrl"]
    location = create_cart(live_server.url, ec_site.urls(), tenant=TENANT, email=None)
    go_to_summary_as_a_person(page, location)

    page.get_by_role("link", name="Annulla").click()
    page.wait_for_url("**/annulla")
    page.get_by_role("button", name="Sì, annulla").click()
    page.wait_for_url("**/annullato")
    assert page.get_by_role("heading", level=1).inner_text() == "L'operazione è stata annullata"
    page.get_by_role("link", name="Torna al sito dell'Ente").click()
    page.wait_for_url(lambda url: url.startswith(ec_site.base))

    assert page.url == cancel_url
    assert ec_site.pages() == ["/esito?stato=annullato&id=42"]
    assert receipts(live_server.url, tenant=TENANT) == []
