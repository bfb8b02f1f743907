"""The checkout pages on the real server: several worker processes share the sessions (kept in
the database) and the cookie key (kept in the data dir), so a scripted payment works end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from simulator.testing.pages_client import Left, PagesClient, RequestsTransport, pay
from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow

CART = {
    "paymentNotices": [
        {
            "noticeNumber": "302000100000009424",
            "fiscalCode": "15376371009",
            "amount": 2500,
            "companyName": "Comune di Prova",
            "description": "Mensa scolastica",
        }
    ],
    "returnUrls": {
        "returnOkUrl": "https://ec.example/ok?n=1",
        "returnCancelUrl": "https://ec.example/cancel",
        "returnErrorUrl": "https://ec.example/error",
    },
}


def test_a_cart_is_paid_through_the_pages_across_worker_processes(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    server = start_server("--data-dir", str(tmp_path / "data"), "--workers", "3")
    server_factory.append(server)
    hop = requests.post(server.url + "/checkout/ec/v1/carts", json=CART, allow_redirects=False, timeout=10)
    cart_id = hop.headers["Location"].split("/carts/")[1].split("/")[0]
    pages = PagesClient(RequestsTransport(server.url))

    result = pay(pages, f"/c/{cart_id}?clientId=CHECKOUT_CART")

    assert result.outcome == 0, result.last.text
    assert pages.follow(result.last, "exit") == Left("https://ec.example/ok?n=1")
    assert (tmp_path / "data" / "secret_key").is_file()
    assert "no-store" in result.last.headers["Cache-Control"]
