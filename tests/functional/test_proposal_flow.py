"""The proposal end to end, through the cart API and the pages: the opt-in, the signed return URL,
the notifications a payment writes, the allowlist, and nothing at all without opt-in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from standardwebhooks import Webhook

from simulator.notify.transport import MockTransport
from simulator.services.delivery import Notifier
from simulator.testing.pages_client import Card, pay
from simulator.testing.signatures import InvalidReturnSignature, verify_return_url
from tests.conftest import START, ApiClient
from tests.functional.pages_factories import (
    CANCEL_URL,
    EC,
    ERROR_URL,
    OK_URL,
    OTHER_NAV,
    browser,
    create_cart,
    notice,
)

NOTIFY = "https://ec.example/pagopa/notify"


def secret_of(api: ApiClient, fiscal_code: str = EC) -> str:
    return str(api.get(f"/_sandbox/v1/organizations/{fiscal_code}").get_json()["secret"])


def deliveries(api: ApiClient, query: str = "") -> list[dict[str, Any]]:
    return list(api.get(f"/_sandbox/v1/deliveries{query}").get_json()["deliveries"])


def pay_cart(app: Flask, cart_id: str, **options: Any) -> Any:
    return pay(browser(app), f"/c/{cart_id}", **options)


def test_without_opt_in_the_return_url_is_untouched_and_nothing_is_notified(
    app: Flask, api: ApiClient
) -> None:
    checkout = pay_cart(app, create_cart(api))

    assert checkout.exit_url == OK_URL
    assert deliveries(api) == []


def test_append_outcome_signs_the_return_url_keeping_its_query(app: Flask, api: ApiClient) -> None:
    cart_id = create_cart(api, idCart="ORD-42", sandbox={"appendOutcome": True})

    checkout = pay_cart(app, cart_id)

    url = checkout.exit_url
    assert url.startswith(OK_URL + "&outcome=OK&outcomeCode=0&cartId=" + cart_id)
    values = verify_return_url(url, secret_of(api), now=START)
    assert values["idCart"] == "ORD-42" and values["totalAmount"] == "12050"
    assert values["transactionId"] and int(values["fees"]) > 0
    with pytest.raises(InvalidReturnSignature):
        verify_return_url(url.replace("outcome=OK", "outcome=KO"), secret_of(api), now=START)


def test_a_declined_payment_returns_ko_with_its_code(app: Flask, api: ApiClient) -> None:
    cart_id = create_cart(api, sandbox={"appendOutcome": True})

    url = pay_cart(app, cart_id, card=Card(number="4000000000000028")).exit_url

    assert url.startswith(ERROR_URL + "&outcome=KO&outcomeCode=2&")
    assert verify_return_url(url, secret_of(api), now=START)["outcome"] == "KO"


def test_a_cancelled_payment_returns_cancelled(app: Flask, api: ApiClient) -> None:
    cart_id = create_cart(api, sandbox={"appendOutcome": True})

    url = pay_cart(app, cart_id, cancel=True).exit_url

    assert url.startswith(CANCEL_URL + "&outcome=CANCELLED&")
    assert verify_return_url(url, secret_of(api), now=START)["outcomeCode"] == "8"


def test_the_ecs_default_applies_and_a_cart_may_refuse_it(app: Flask, api: ApiClient) -> None:
    api.put(f"/_sandbox/v1/organizations/{EC}", json={"appendOutcome": True})

    assert "sig=" in pay_cart(app, create_cart(api)).exit_url
    refused = create_cart(api, notice(OTHER_NAV), sandbox={"appendOutcome": False})
    assert pay_cart(app, refused).exit_url == OK_URL


def test_a_paid_cart_notifies_its_outcome_and_receipt_to_its_notify_url(app: Flask, api: ApiClient) -> None:
    cart_id = create_cart(api, sandbox={"notifyUrl": NOTIFY})
    pay_cart(app, cart_id)
    transport = MockTransport()

    assert Notifier(app.extensions["sandbox"], transport).deliver_due() == 2

    bodies = [json.loads(r.body) for r in transport.requests]
    assert [b["type"] for b in bodies] == ["attempt.closed", "receipt.created"]
    assert bodies[0]["data"]["outcome"] == "OK" and bodies[0]["data"]["cartId"] == cart_id
    assert bodies[1]["data"]["channel"] == "online" and bodies[1]["data"]["amount"] == 12050
    secret = secret_of(api)
    for request in transport.requests:
        assert request.url == NOTIFY
        from datetime import datetime

        at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]))
        expected = Webhook(secret).sign(request.headers["webhook-id"], at, request.body.decode())
        assert request.headers["webhook-signature"] == expected
    assert {d["cartId"] for d in deliveries(api)} == {cart_id}


def test_a_declined_payment_notifies_ko_and_no_receipt(app: Flask, api: ApiClient) -> None:
    cart_id = create_cart(api, sandbox={"notifyUrl": NOTIFY})
    pay_cart(app, cart_id, card=Card(number="4000000000000028"))

    [only] = deliveries(api)
    detail = api.get(f"/_sandbox/v1/deliveries/{only['id']}").get_json()
    assert detail["event"] == "attempt.closed"
    assert detail["payload"]["data"]["outcome"] == "KO" and detail["payload"]["data"]["outcomeCode"] == 2


def test_a_subscription_gets_the_payment_of_its_ec(app: Flask, api: ApiClient) -> None:
    api.post("/_sandbox/v1/webhooks", json={"url": "https://ec.example/hook", "fiscalCode": EC})
    pay_cart(app, create_cart(api))

    assert sorted(d["event"] for d in deliveries(api)) == ["attempt.closed", "receipt.created"]


@pytest.mark.parametrize("url", ["ftp://ec.example/notify", "javascript:alert(1)", "/notify", "notify"])
def test_a_notify_url_that_is_not_http_is_refused(api: ApiClient, url: str) -> None:
    answer = api.post(
        "/checkout/ec/v2/carts",
        json={
            "paymentNotices": [
                {
                    "noticeNumber": "302000100000009424",
                    "fiscalCode": EC,
                    "amount": 1,
                    "companyName": "C",
                    "description": "D",
                }
            ],
            "returnUrls": {
                "returnOkUrl": OK_URL,
                "returnCancelUrl": CANCEL_URL,
                "returnErrorUrl": ERROR_URL,
                "returnWaitingUrl": OK_URL,
            },
            "sandbox": {"notifyUrl": url},
        },
    )

    assert answer.status_code == 400
    assert answer.headers["X-Sandbox-Detail"].startswith("sandbox.notifyUrl")


def cart_body(ok: str = OK_URL, **sandbox: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "paymentNotices": [
            {
                "noticeNumber": "302000100000009424",
                "fiscalCode": EC,
                "amount": 1,
                "companyName": "C",
                "description": "D",
            }
        ],
        "returnUrls": {"returnOkUrl": ok, "returnCancelUrl": CANCEL_URL, "returnErrorUrl": ERROR_URL},
    }
    if sandbox:
        body["sandbox"] = sandbox
    return body


def test_the_ecs_allowlist_refuses_other_return_urls(api: ApiClient) -> None:
    api.put(f"/_sandbox/v1/organizations/{EC}", json={"returnUrlAllowlist": ["https://ec.example/esito"]})

    assert api.post("/checkout/ec/v1/carts", json=cart_body()).status_code == 302
    refused = api.post("/checkout/ec/v1/carts", json=cart_body(ok="https://ec.example.evil.test/esito"))
    assert refused.status_code == 400
    assert refused.get_json() == {
        "title": "Request validation error",
        "detail": "The input request is invalid",
        "status": 400,
    }
    assert refused.headers["X-Sandbox-Detail"].startswith("returnUrls.returnOkUrl")


def test_a_return_url_already_using_an_appended_name_is_refused_when_appending(api: ApiClient) -> None:
    ok = "https://ec.example/esito?outcome=mine"

    assert api.post("/checkout/ec/v1/carts", json=cart_body(ok)).status_code == 302
    refused = api.post("/checkout/ec/v1/carts", json=cart_body(ok, appendOutcome=True))
    assert refused.status_code == 400 and "outcome" in refused.headers["X-Sandbox-Detail"]


def test_a_malformed_append_outcome_is_refused(api: ApiClient) -> None:
    answer = api.post("/checkout/ec/v1/carts", json=cart_body(appendOutcome="sure"))

    assert answer.status_code == 400 and answer.headers["X-Sandbox-Detail"].startswith(
        "sandbox.appendOutcome"
    )


def test_an_offline_payment_notifies_a_receipt_with_the_offline_channel(app: Flask, api: ApiClient) -> None:
    from tests.functional.gpd_factories import ORG, create, position_body

    create(api, position_body("IUPD-OFF", iuv="01000000000000777"), publish=True)
    api.post("/_sandbox/v1/webhooks", json={"url": "https://ec.example/hook", "fiscalCode": ORG})

    assert api.post(f"/_sandbox/v1/notices/{ORG}/301000000000000777/pay").status_code == 201

    [only] = deliveries(api)
    payload = api.get(f"/_sandbox/v1/deliveries/{only['id']}").get_json()["payload"]
    assert payload["type"] == "receipt.created"
    assert payload["data"]["channel"] == "offline" and payload["data"]["noticeNumber"] == "301000000000000777"


def test_a_pending_payment_notifies_pending_then_resolved_and_its_receipt(app: Flask, api: ApiClient) -> None:
    from tests.functional.pages_factories import WAITING_URL

    cart_id = create_cart(
        api, version=2, sandbox={"scenario": "pending-then-ok", "notifyUrl": NOTIFY, "appendOutcome": True}
    )
    url = pay_cart(app, cart_id).exit_url
    assert url.startswith(WAITING_URL + "&outcome=PENDING&outcomeCode=17&")
    assert [d["event"] for d in deliveries(api)] == ["attempt.pending"]

    api.post("/_sandbox/v1/clock/advance", json={"seconds": 30})
    assert api.get(f"/_sandbox/v1/carts/{cart_id}").status_code == 200  # reading settles what is due

    events = [d["event"] for d in reversed(deliveries(api))]
    assert events == ["attempt.pending", "attempt.resolved", "receipt.created"]
    resolved = next(d for d in deliveries(api) if d["event"] == "attempt.resolved")
    data = api.get(f"/_sandbox/v1/deliveries/{resolved['id']}").get_json()["payload"]["data"]
    assert data["outcome"] == "OK" and data["outcomeCode"] == 0
