"""``pagopa-sandbox pay``: a cart paid over HTTP through the pages' own links and forms, no browser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow
URLS = {
    "returnOkUrl": "https://ec.example/ok?pratica=7",
    "returnCancelUrl": "https://ec.example/cancel",
    "returnErrorUrl": "https://ec.example/error",
}


def new_cart(server: Server, tenant: str = "cli") -> str:
    body = {
        "paymentNotices": [
            {
                "noticeNumber": "302012387654312384",
                "fiscalCode": "80078750587",
                "amount": 12050,
                "companyName": "Comune di Prova",
                "description": "TARI 2026",
            }
        ],
        "returnUrls": URLS,
    }
    response = requests.post(
        server.url + "/checkout/ec/v1/carts",
        json=body,
        allow_redirects=False,
        headers={"X-Sandbox-Tenant": tenant},
        timeout=30,
    )
    assert response.status_code == 302
    return str(response.headers["Location"])


def run_pay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", "pay", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def server(tmp_path: Path, server_factory: list[Server]) -> Server:
    started = start_server("--ephemeral", cwd=tmp_path)
    server_factory.append(started)
    return started


def test_pay_prints_the_ok_url_exactly_and_the_receipt_exists(server: Server) -> None:
    result = run_pay(new_cart(server))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == URLS["returnOkUrl"]
    assert "outcome 0" in result.stderr
    receipts = requests.get(
        server.url + "/gpd/payments-receipts-service/v1/payments/80078750587/receipts",
        headers={"X-Sandbox-Tenant": "cli", "Ocp-Apim-Subscription-Key": "k"},
        timeout=30,
    )
    assert receipts.json()["length"] == 1


def test_pay_with_a_declined_card_prints_the_error_url(server: Server) -> None:
    result = run_pay(new_cart(server), "--card", "4000000000000028")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == URLS["returnErrorUrl"]
    assert "outcome 2" in result.stderr


def test_pay_cancel_prints_the_cancel_url(server: Server) -> None:
    result = run_pay(new_cart(server), "--cancel")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == URLS["returnCancelUrl"]


def test_paying_the_same_cart_twice_stops_on_the_already_paid_notice(server: Server) -> None:
    location = new_cart(server)
    assert run_pay(location).returncode == 0
    again = run_pay(location)
    assert again.stdout.strip() in ("", URLS["returnErrorUrl"])
    assert (
        "already" in again.stderr or "già" in again.stderr or again.stdout.strip() == URLS["returnErrorUrl"]
    )


def test_pay_refuses_what_is_not_a_url_and_an_unreachable_sandbox() -> None:
    bad = run_pay("not-a-url")
    assert bad.returncode == 1
    assert "not an http(s) URL" in bad.stderr
    down = run_pay("http://127.0.0.1:1/c/00000000-0000-0000-0000-000000000000")
    assert down.returncode == 1
    assert "cannot reach the sandbox" in down.stderr
    assert "Traceback" not in down.stderr
