"""``pagopa-sandbox pay``: a cart paid over HTTP through the pages' own links and forms, no browser."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from simulator.domain.codes import new_nav
from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow
URLS = {
    "returnOkUrl": "https://ec.example/ok?pratica=7",
    "returnCancelUrl": "https://ec.example/cancel",
    "returnErrorUrl": "https://ec.example/error",
}


_SEQUENCE = itertools.count(1)


def new_cart(server: Server, tenant: str = "cli") -> str:
    """A cart of one synthetic notice with a NAV of its own."""
    body = {
        "paymentNotices": [
            {
                "noticeNumber": new_nav(12, next(_SEQUENCE)).value,
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


def test_pay_with_a_declined_card_prints_the_error_url_and_exits_1(server: Server) -> None:
    result = run_pay(new_cart(server), "--card", "4000000000000028")
    assert result.returncode == 1, result.stderr
    assert result.stdout.strip() == URLS["returnErrorUrl"]
    assert "failed: outcome 2 on /esito: Autorizzazione negata" in result.stderr


def test_pay_cancel_prints_the_cancel_url_and_exits_3(server: Server) -> None:
    result = run_pay(new_cart(server), "--cancel")
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == URLS["returnCancelUrl"]
    assert "cancelled: outcome 8 on /annullato" in result.stderr
    assert "None" not in result.stderr


@pytest.mark.parametrize(
    ("card", "code", "label"),
    [("4000000000000044", 4, "expired: outcome 4"), ("4000000000000176", 5, "pending: outcome 17")],
)
def test_pay_exits_with_the_code_of_an_expired_or_pending_payment(
    server: Server, card: str, code: int, label: str
) -> None:
    result = run_pay(new_cart(server), "--card", card)
    assert result.returncode == code, result.stderr
    assert label in result.stderr


def test_paying_the_same_cart_twice_is_refused_with_exit_1(server: Server) -> None:
    location = new_cart(server)
    assert run_pay(location).returncode == 0
    again = run_pay(location)
    assert again.returncode == 1, again.stderr
    assert "failed: outcome none on " in again.stderr
    assert "già pagato" in again.stderr


def test_pay_json_prints_one_object_with_the_result(server: Server) -> None:
    paid = run_pay(new_cart(server), "--json")
    assert paid.returncode == 0, paid.stderr
    answer = json.loads(paid.stdout)
    assert answer["result"] == "paid"
    assert answer["exitCode"] == 0
    assert answer["outcome"] == 0
    assert answer["page"] == "/esito"
    assert answer["returnUrl"] == URLS["returnOkUrl"]
    declined = json.loads(run_pay(new_cart(server), "--json", "--card", "4000000000000028").stdout)
    assert (declined["result"], declined["exitCode"], declined["outcome"]) == ("failed", 1, 2)
    assert declined["returnUrl"] == URLS["returnErrorUrl"]


def test_pay_refuses_what_is_not_a_url_and_an_unreachable_sandbox() -> None:
    for bad_url in ("not-a-url", ""):
        bad = run_pay(bad_url)
        assert bad.returncode == 2
        assert "not an http(s) URL" in bad.stderr
    down = run_pay("http://127.0.0.1:1/c/00000000-0000-0000-0000-000000000000")
    assert down.returncode == 6
    assert "cannot reach the sandbox" in down.stderr
    assert "Traceback" not in down.stderr
    down_json = run_pay("http://127.0.0.1:1/c/00000000-0000-0000-0000-000000000000", "--json")
    assert json.loads(down_json.stdout)["result"] == "stopped"
