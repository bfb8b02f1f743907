"""The ``pagopa_sandbox`` fixture's methods, used from this suite as a creditor's suite uses them:
the plugin is loaded here too (the package's own entry point), its sandbox in this process."""

from __future__ import annotations

import json

import pytest

from simulator.services.context import check_tenant
from simulator.testing.pytest_plugin import tenant_for
from simulator.testing.sandbox_client import SandboxClient, SandboxRequestError
from simulator.testing.signatures import verify_notification
from tests.notify_receiver import receiver


def test_the_base_urls_name_each_surface(pagopa_sandbox: SandboxClient) -> None:
    urls = pagopa_sandbox.urls
    assert urls.checkout == f"{pagopa_sandbox.url}/checkout/ec/v2"
    assert urls.gpd == f"{pagopa_sandbox.url}/gpd/debt-positions-service/v1"
    assert urls.receipts == f"{pagopa_sandbox.url}/gpd/payments-receipts-service/v1"
    assert urls.sandbox == f"{pagopa_sandbox.url}/_sandbox/v1"
    health = pagopa_sandbox.session.get(f"{urls.sandbox}/health", timeout=10)
    assert health.json()["status"] == "ok"


def test_a_paid_cart_has_its_receipt_on_gpd(pagopa_sandbox: SandboxClient) -> None:
    position = pagopa_sandbox.create_debt_position(amount=4200)
    cart = pagopa_sandbox.start_cart(position)

    status = pagopa_sandbox.complete(cart, outcome="ok")

    assert (status["state"], status["outcome"]) == ("PAID", 0)
    assert status["returnUrl"] == "https://ec.example/ok"
    receipts = pagopa_sandbox.session.get(
        f"{pagopa_sandbox.urls.receipts}/payments/{position.fiscal_code}/receipts", timeout=10
    ).json()
    assert [r["iuv"] for r in receipts["results"]] == [position.iuv]


def test_a_declined_card_through_the_pages(pagopa_sandbox: SandboxClient) -> None:
    cart = pagopa_sandbox.start_cart(pagopa_sandbox.create_debt_position())

    run = pagopa_sandbox.pay(cart, card="4000000000000028")

    assert run.checkout.outcome == 2
    assert run.landing_url == "https://ec.example/error"
    assert pagopa_sandbox.status(cart)["state"] == "FAILED"


def test_a_scenario_chosen_for_the_cart_decides_the_payment(pagopa_sandbox: SandboxClient) -> None:
    cart = pagopa_sandbox.start_cart(pagopa_sandbox.create_debt_position(), scenario="card-declined")

    status = pagopa_sandbox.complete(cart)

    assert status["scenario"]["id"] == "card-declined"
    assert status["state"] == "FAILED"


def test_a_refused_request_says_what_the_sandbox_answered(pagopa_sandbox: SandboxClient) -> None:
    position = pagopa_sandbox.create_debt_position()
    with pytest.raises(SandboxRequestError, match=r"answered 400 \(expected 302\).*amount"):
        pagopa_sandbox.start_cart({**position.notice(), "amount": 0})
    with pytest.raises(SandboxRequestError, match="answered 404"):
        pagopa_sandbox.complete(pagopa_sandbox.start_cart(position), scenario="no-such-scenario")


def test_tenants_never_see_each_others_carts(pagopa_sandbox: SandboxClient) -> None:
    cart = pagopa_sandbox.start_cart(pagopa_sandbox.create_debt_position())
    other = SandboxClient(pagopa_sandbox.url, "someone-else")
    try:
        with pytest.raises(SandboxRequestError, match="answered 404"):
            other.status(cart)
        assert [e["path"] for e in other.journal()] == [f"/_sandbox/v1/carts/{cart.id}"]  # its own only
    finally:
        other.close()


def test_the_journal_is_verified_by_method_wildcard_path_status_and_body(
    pagopa_sandbox: SandboxClient,
) -> None:
    position = pagopa_sandbox.create_debt_position(fiscal_code="15376371009")
    pagopa_sandbox.start_cart(position)

    found = pagopa_sandbox.assert_called(
        "POST", "/gpd/*/debtpositions", status=201, body_contains=position.iuv
    )
    assert len(found) == 1
    pagopa_sandbox.assert_called("POST", "/checkout/ec/v2/carts", times=1)
    pagopa_sandbox.assert_not_called("DELETE", "/gpd/*")
    assert [e["method"] for e in pagopa_sandbox.journal(path="/checkout/*")] == ["POST"]
    with pytest.raises(AssertionError, match=r"expected POST /checkout/ec/v2/carts to be called 2 time\(s\)"):
        pagopa_sandbox.assert_called("POST", "/checkout/ec/v2/carts", times=2)
    with pytest.raises(AssertionError, match="with status 500 to be called at least once"):
        pagopa_sandbox.assert_called("POST", "/checkout/ec/v2/carts", status=500)


def test_a_notification_reaches_the_ecs_endpoint_signed(pagopa_sandbox: SandboxClient) -> None:
    with receiver() as endpoint:
        secret = pagopa_sandbox.subscribe_webhook(endpoint.url, "15376371009", events=["attempt.closed"])[
            "secret"
        ]
        cart = pagopa_sandbox.start_cart(pagopa_sandbox.create_debt_position(fiscal_code="15376371009"))
        pagopa_sandbox.complete(cart, outcome="ok")

        delivery = pagopa_sandbox.wait_for_notification(event="attempt.closed", cart=cart)

        assert (delivery["payload"]["type"], delivery["payload"]["data"]["outcome"]) == (
            "attempt.closed",
            "OK",
        )
        [received] = endpoint.received
    assert verify_notification(received.body, received.headers, secret) == json.loads(received.body)
    pagopa_sandbox.assert_called("POST", endpoint.url, status=204, direction="out")  # journaled as sent


def test_waiting_for_a_notification_that_never_comes_lists_the_delivery_log(
    pagopa_sandbox: SandboxClient,
) -> None:
    with pytest.raises(AssertionError, match=r"no receipt.created delivered within 0.2 s .* holds 0:"):
        pagopa_sandbox.wait_for_notification(event="receipt.created", timeout=0.2)


@pytest.mark.parametrize("name", ["test_pay[card=4242 è/ok]", "_private", "x" * 200, "è"])
def test_every_test_name_gives_a_valid_tenant_of_its_own(name: str) -> None:
    first, second = tenant_for(name), tenant_for(name)
    assert check_tenant(first) == first
    assert first != second
