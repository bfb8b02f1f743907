"""The cart API and its gateway as production answers them: amounts Checkout can hold, the node's
checkPosition, v1's missing waiting URL, the public URL, the subscription key in the query and
the gateway's CORS policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.storage import tables
from tests.conftest import KEY, ApiClient
from tests.functional import control_factories as cf
from tests.functional.control_factories import to_summary
from tests.functional.gpd_factories import create, position_body, position_url
from tests.functional.pages_factories import EC, NAV, browser, create_cart, notice

CHECKOUT_400 = {"title": "Request validation error", "detail": "The input request is invalid", "status": 400}
INVALID_NOTICE = {"title": "Invalid payment info", "detail": "Invalid payment notice data", "status": 422}
CART_V1, CART_V2 = "/checkout/ec/v1/carts", "/checkout/ec/v2/carts"


def stored_carts(app: Flask) -> int:
    with app.extensions["sandbox"].database.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.carts)).scalar_one())


def post_cart(api: ApiClient, *notices: dict[str, Any], path: str = CART_V1, **kwargs: Any) -> Any:
    urls = {
        "returnOkUrl": "https://ec.example/ok",
        "returnCancelUrl": "https://ec.example/ko",
        "returnErrorUrl": "https://ec.example/err",
        "returnWaitingUrl": "https://ec.example/wait",
    }
    return api.post(path, json={"paymentNotices": list(notices) or [notice()], "returnUrls": urls}, **kwargs)


# --- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("amounts", [[2**31], [2**63 - 1], [2**63], [2**30, 2**30], [2**31 - 1, 1]], ids=str)
def test_amounts_a_java_int_cannot_hold_are_productions_400_and_store_nothing(
    app: Flask, api: ApiClient, amounts: list[int]
) -> None:
    notices = [notice(f"30200010000000{i:04d}", amount=a) for i, a in enumerate(amounts)]

    response = post_cart(api, *notices)

    assert response.status_code == 400
    assert response.get_json() == CHECKOUT_400
    assert stored_carts(app) == 0


def test_the_largest_int_amount_is_a_cart(api: ApiClient) -> None:
    assert post_cart(api, notice(amount=2**31 - 1)).status_code == 302


def test_a_debt_position_too_large_for_the_node_fails_at_verify_and_writes_no_receipt(api: ApiClient) -> None:
    big = 99_999_999_999 + 1  # one cent over paForNode.xsd's stAmount maximum (999999999.99)
    body = position_body("HUGE", iuv="02000000000000077")
    body["paymentOption"][0]["amount"] = big
    body["paymentOption"][0]["transfer"][0]["amount"] = big
    create(api, body, publish=True, org=cf.MANAGED_EC)
    cart_id = cf.new_cart(api, cf.notice("302000000000000077", cf.MANAGED_EC, amount=100))

    answer = cf.complete(api, cart_id)

    assert answer["state"] == "FAILED"
    assert answer["fault"]["faultCode"] == "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"
    assert answer["receipts"] == [] and cf.gpd_receipts(api, cf.MANAGED_EC) == []


# --- checkPosition --------------------------------------------------------------------------------


def test_notices_an_ec_does_not_hold_pass_check_position_and_fail_at_verify(api: ApiClient) -> None:
    cf.managed_notice(api, 1)  # the EC has positions
    unknown = cf.new_cart(api, cf.notice("302000000000099999", cf.MANAGED_EC))
    create(api, position_body("GONE", iuv="02000000000000002"), publish=True, org=cf.MANAGED_EC)
    assert api.post(position_url("GONE", cf.MANAGED_EC) + "/invalidate").status_code == 200
    invalidated = cf.new_cart(api, cf.notice("302000000000000002", cf.MANAGED_EC))

    assert cf.complete(api, unknown)["fault"]["faultCode"] == "PAA_PAGAMENTO_SCONOSCIUTO"
    assert cf.complete(api, invalidated)["fault"]["faultCode"] == "PAA_PAGAMENTO_ANNULLATO"


def test_a_notice_paid_through_the_node_is_refused_at_cart_creation(app: Flask, api: ApiClient) -> None:
    paid = cf.notice(cf.synthetic_nav(5))
    assert cf.complete(api, cf.new_cart(api, paid))["state"] == "PAID"
    before = stored_carts(app)

    response = post_cart(api, paid)

    assert (response.status_code, response.get_json()) == (422, INVALID_NOTICE)
    assert stored_carts(app) == before


def test_a_notice_with_a_live_token_is_refused_at_cart_creation(app: Flask, api: ApiClient) -> None:
    to_summary(browser(app), f"/c/{create_cart(api)}")  # activated: its token lives 900 s

    response = post_cart(api, notice())

    assert (response.status_code, response.get_json()) == (422, INVALID_NOTICE)


# --- the payment token outlives the cart -------------------------------------------------------------


def test_an_attempt_lives_900_s_from_activation_even_when_its_cart_ends(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    cart_id = create_cart(api)
    clock.advance(400)
    pages = browser(app)
    to_summary(pages, f"/c/{cart_id}")  # activated at 400 s
    clock.advance(200)  # the cart (and its pages' session) is 10 minutes old
    assert pages.get("/riepilogo-pagamento").path == "/sessione-scaduta"

    in_progress = cf.status(api, cart_id)
    retried = browser(app).get(f"/{EC}{NAV}")
    clock.advance(700)  # 900 s after the activation
    ended = cf.status(api, cart_id)

    assert in_progress["state"] == "IN_PROGRESS"
    assert retried.status == 409 and retried.heading == "C'è già un pagamento in corso, riprova più tardi"
    assert (ended["state"], ended["outcome"]) == ("EXPIRED", 4)


# --- v1 drops the waiting URL ---------------------------------------------------------------------


def test_a_v1_cart_sends_a_pending_payment_to_its_error_url(api: ApiClient) -> None:
    v1 = cf.new_cart(
        api,
        cf.notice(cf.synthetic_nav(1)),
        version=1,
        returnUrls={
            "returnOkUrl": cf.URLS["ok"],
            "returnCancelUrl": cf.URLS["cancel"],
            "returnErrorUrl": cf.URLS["error"],
            "returnWaitingUrl": cf.URLS["waiting"],
        },
    )
    v2 = cf.new_cart(api, cf.notice(cf.synthetic_nav(2)), version=2)

    assert cf.complete(api, v1, outcome="pending")["returnUrl"] == cf.URLS["error"]
    assert cf.complete(api, v2, outcome="pending")["returnUrl"] == cf.URLS["waiting"]
    assert "returnWaitingUrl" not in api.get(f"/ecommerce/checkout/v1/carts/{v1}").get_json()["returnUrls"]


# --- the public URL and the Host header ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["evil.example/x", "evil.example:99999", "evil.example:80:81", "a b", "[::1", "[zz::1]", "", "x_y"],
)
def test_a_host_header_that_is_not_host_and_port_is_400_and_stores_nothing(
    app: Flask, api: ApiClient, host: str
) -> None:
    response = post_cart(api, headers={"Host": host})

    assert (response.status_code, response.get_json()) == (400, CHECKOUT_400)
    assert "Host" in response.headers["X-Sandbox-Detail"]
    assert stored_carts(app) == 0


@pytest.mark.parametrize("host", ["sandbox.example:8443", "10.0.0.7", "[::1]:8080", "localhost"])
def test_without_a_public_url_the_host_header_makes_the_location(api: ApiClient, host: str) -> None:
    response = post_cart(api, headers={"Host": host})

    assert response.headers["Location"].startswith(f"http://{host}/ecommerce/checkout/v1/carts/")


def test_the_public_url_wins_over_the_host_header_everywhere(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    app = cf.app_with(settings, clock, tmp_path, public_url="https://sandbox.example/pagopa")
    api = ApiClient(app.test_client())
    try:
        location = post_cart(api, headers={"Host": "evil.example"}).headers["Location"]
        auth = post_cart(api, path="/checkout/carts-auth/v2/carts", headers={"Host": "evil.example"})
        hop = api.get(location.removeprefix("https://sandbox.example/pagopa"), headers={"Host": "bad/host"})
    finally:
        app.extensions["sandbox"].close()

    assert location.startswith("https://sandbox.example/pagopa/ecommerce/checkout/v1/carts/")
    assert auth.get_json()["checkoutRedirectUrl"].startswith("https://sandbox.example/pagopa/")
    assert "URL=https://sandbox.example/pagopa/c/" in hop.get_data(as_text=True)


@pytest.mark.parametrize("value", ["sandbox.example", "ftp://sandbox.example", "https://", "https://a/?x=1"])
def test_a_public_url_that_is_not_an_http_base_url_is_refused_at_start(value: str) -> None:
    with pytest.raises(ValueError, match="PAGOPA_SANDBOX_PUBLIC_URL"):
        Settings.from_env({"PAGOPA_SANDBOX_PUBLIC_URL": value})


# --- the gateway: subscription key in the query, CORS ---------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions",
        "/gpd/payments-receipts-service/v1/payments/77777777777/receipts/01000000000000001",
    ],
)
def test_the_subscription_key_may_come_in_the_query(app: Flask, path: str) -> None:
    client = app.test_client()

    assert client.get(path).status_code == 401
    assert client.get(f"{path}?subscription-key=any").status_code != 401
    assert client.get(f"{path}?subscription-key=").status_code == 401


def test_a_configured_key_is_checked_in_the_query_too(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    app = cf.app_with(settings, clock, tmp_path, api_keys=frozenset({"right"}))
    client = ApiClient(app.test_client(), key=False)
    try:
        wrong = post_cart(client, path="/checkout/carts-auth/v1/carts?subscription-key=wrong")
        right = post_cart(client, path="/checkout/carts-auth/v1/carts?subscription-key=right")
    finally:
        app.extensions["sandbox"].close()

    assert wrong.status_code == 401 and wrong.get_json()["statusCode"] == 401
    assert right.status_code == 200


@pytest.mark.parametrize("path", [CART_V1, CART_V2])
def test_the_cart_api_answers_a_preflight_as_the_gateway_does(app: Flask, path: str) -> None:
    response = app.test_client().options(
        path,
        headers={
            "Origin": "https://ec.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )

    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"].lower() == "content-type"


def test_cart_answers_carry_cors_headers_only_for_a_browser(app: Flask, api: ApiClient) -> None:
    from_page = post_cart(api, headers={"Origin": "https://ec.example"})
    from_server = post_cart(api)
    refused = post_cart(api, notice(amount=0), headers={"Origin": "https://ec.example"})
    server_to_server = post_cart(
        api, path="/checkout/carts-auth/v1/carts", headers={"Origin": "https://x.example"}
    )

    assert from_page.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in from_server.headers
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in server_to_server.headers
    assert KEY  # the cart API itself needs no key


def test_a_subscription_key_sent_in_the_query_is_not_journaled(app: Flask) -> None:
    client = ApiClient(app.test_client(), key=False)
    path = "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions"
    client.get(f"{path}?limit=5&subscription-key=my-secret-key")

    journaled = client.get("/_sandbox/v1/journal", query_string={"path": path}).get_json()

    urls = [e["url"] for e in journaled["entries"]]
    assert urls and all("my-secret-key" not in url for url in urls)
    assert "subscription-key=[redacted]" in urls[0] and "limit=5" in urls[0]
