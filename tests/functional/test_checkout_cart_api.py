"""The Checkout EC cart API as an EC's online service calls it (reference §1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from simulator.config import Settings
from tests.conftest import ApiClient
from tests.functional import gpd_factories

CART_V1 = "/checkout/ec/v1/carts"
CART_V2 = "/checkout/ec/v2/carts"
AUTH_V1 = "/checkout/carts-auth/v1/carts"
AUTH_V2 = "/checkout/carts-auth/v2/carts"
BAD_REQUEST = {"title": "Request validation error", "detail": "The input request is invalid", "status": 400}


def notice(
    number: str = "302012387654312384", fiscal_code: str = "77777777777", **over: Any
) -> dict[str, Any]:
    body = {
        "noticeNumber": number,
        "fiscalCode": fiscal_code,
        "amount": 1000,
        "companyName": "Università degli Studi di Roma La Sapienza",
        "description": "Pagamento test",
    }
    body.update(over)
    return body


def cart_body(*notices: dict[str, Any], waiting: bool = False, **over: Any) -> dict[str, Any]:
    urls = {
        "returnOkUrl": "https://ec.example/ok?id=1",
        "returnCancelUrl": "https://ec.example/cancel",
        "returnErrorUrl": "https://ec.example/error",
    }
    if waiting:
        urls["returnWaitingUrl"] = "https://ec.example/waiting"
    body: dict[str, Any] = {"paymentNotices": list(notices) or [notice()], "returnUrls": urls}
    body.update(over)
    return body


def cart_id_of(location: str) -> str:
    return location.split("/carts/")[1].split("/")[0]


def test_v1_cart_answers_302_with_the_production_shaped_location_and_no_body(api: ApiClient) -> None:
    response = api.post(CART_V1, json=cart_body())
    assert response.status_code == 302
    assert response.data == b""
    location = response.headers["Location"]
    assert location.startswith("http://localhost/ecommerce/checkout/v1/carts/")
    assert location.endswith("/redirect?clientId=CHECKOUT_CART")


def test_redirect_hop_answers_html_meta_refresh_to_the_cart_page(api: ApiClient) -> None:
    location = api.post(CART_V1, json=cart_body()).headers["Location"]
    hop = api.get(location.removeprefix("http://localhost"))
    assert hop.status_code == 200
    assert hop.mimetype == "text/html"
    cart_id = cart_id_of(location)
    assert (
        f'<meta http-equiv="refresh" content="0; URL=http://localhost/c/{cart_id}?clientId=CHECKOUT_CART">'
        in (hop.get_data(as_text=True))
    )


def test_public_urls_are_configurable(settings: Settings, clock: Any, tmp_path: Any) -> None:
    from simulator.app import create_app

    app = create_app(
        settings.with_(
            database_url=f"sqlite:///{tmp_path / 'x.db'}",
            public_url="https://api.sandbox.example/",
            checkout_url="https://checkout.sandbox.example",
        ),
        clock=clock,
    )
    client = ApiClient(app.test_client())
    location = client.post(CART_V1, json=cart_body()).headers["Location"]
    assert location.startswith("https://api.sandbox.example/ecommerce/checkout/v1/carts/")
    hop = client.get(location.removeprefix("https://api.sandbox.example"))
    assert "URL=https://checkout.sandbox.example/c/" in hop.get_data(as_text=True)
    app.extensions["sandbox"].close()


def test_cart_reads_back_as_given_with_a_numeric_notice_number_and_upper_case_email(api: ApiClient) -> None:
    body = cart_body(
        notice(number=302012387654312384),
        emailNotice="MARIO.ROSSI@EXAMPLE.IT",
        idCart="ec-42",
        unknownField={"ignored": True},
    )
    cart_id = cart_id_of(api.post(CART_V1, json=body).headers["Location"])
    got = api.get(f"/ecommerce/checkout/v1/carts/{cart_id}")
    assert got.status_code == 200
    assert got.json["paymentNotices"][0]["noticeNumber"] == "302012387654312384"
    assert got.json["emailNotice"] == "MARIO.ROSSI@EXAMPLE.IT"
    assert got.json["idCart"] == "ec-42"
    assert got.json["returnUrls"]["returnOkUrl"] == "https://ec.example/ok?id=1"


def test_v2_requires_the_waiting_url_and_v1_ignores_it(api: ApiClient) -> None:
    missing = api.post(CART_V2, json=cart_body())
    assert missing.status_code == 400
    assert missing.json == BAD_REQUEST
    assert "returnWaitingUrl" in missing.headers["X-Sandbox-Detail"]
    assert api.post(CART_V2, json=cart_body(waiting=True)).status_code == 302
    assert api.post(CART_V1, json=cart_body(waiting=True)).status_code == 302


def test_server_to_server_variant_answers_200_with_the_redirect_url_and_needs_a_key(api: ApiClient) -> None:
    for path, body in ((AUTH_V1, cart_body()), (AUTH_V2, cart_body(waiting=True))):
        response = api.post(path, json=body)
        assert response.status_code == 200
        assert response.json["checkoutRedirectUrl"].endswith("/redirect?clientId=CHECKOUT_CART")
        assert api.post(path, json=body, headers={"Ocp-Apim-Subscription-Key": ""}).status_code == 401


def test_the_body_of_a_bad_request_is_productions_byte_for_byte(api: ApiClient) -> None:
    response = api.post(CART_V1, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.get_data(as_text=True)) == BAD_REQUEST
    assert list(json.loads(response.get_data(as_text=True))) == ["title", "detail", "status"]


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("six notices", cart_body(*[notice(f"30201238765431238{i}") for i in range(6)])),
        ("no notices", cart_body(paymentNotices=[])),
        ("notices not a list", cart_body(paymentNotices="x")),
        ("short notice number", cart_body(notice(number="12345"))),
        ("long fiscal code", cart_body(notice(fiscal_code="777777777770"))),
        ("zero amount", cart_body(notice(amount=0))),
        ("negative amount", cart_body(notice(amount=-5))),
        ("amount not a number", cart_body(notice(amount="ten"))),
        ("missing description", cart_body({k: v for k, v in notice().items() if k != "description"})),
        ("company name over 140", cart_body(notice(companyName="x" * 141))),
        ("no return urls", {"paymentNotices": [notice()]}),
        (
            "javascript return url",
            cart_body(
                returnUrls={
                    "returnOkUrl": "javascript:alert(1)",
                    "returnCancelUrl": "https://a.example",
                    "returnErrorUrl": "https://a.example",
                }
            ),
        ),
        (
            "data return url",
            cart_body(
                returnUrls={
                    "returnOkUrl": "https://a.example",
                    "returnCancelUrl": "data:text/html,hi",
                    "returnErrorUrl": "https://a.example",
                }
            ),
        ),
        (
            "relative return url",
            cart_body(
                returnUrls={
                    "returnOkUrl": "/ok",
                    "returnCancelUrl": "https://a.example",
                    "returnErrorUrl": "https://a.example",
                }
            ),
        ),
        ("email not an email", cart_body(emailNotice="not-an-email")),
        ("body is a list", [1, 2]),
    ],
)
def test_invalid_carts_get_productions_400_and_store_nothing(
    app: Flask, api: ApiClient, label: str, body: Any
) -> None:
    response = api.post(CART_V1, json=body)
    assert response.status_code == 400, label
    assert response.json == BAD_REQUEST
    assert response.headers["X-Sandbox-Detail"]
    with app.extensions["sandbox"].database.engine.connect() as conn:
        from sqlalchemy import func, select

        from simulator.storage.tables import carts

        assert conn.execute(select(func.count()).select_from(carts)).scalar() == 0


def test_duplicate_notices_are_422(api: ApiClient) -> None:
    response = api.post(CART_V1, json=cart_body(notice(), notice()))
    assert response.status_code == 422
    assert response.json == {
        "title": "Invalid payment info",
        "detail": "Duplicate payment notice values found.",
        "status": 422,
    }


def test_check_position_does_not_ask_the_ec_about_its_notices(api: ApiClient) -> None:
    """The node's checkPosition knows only its own payments: an EC's unknown or invalidated
    notice makes a cart, refused later at verify (tests/functional/test_cart_fidelity.py)."""
    created = api.post(
        gpd_factories.positions_url() + "?toPublish=true", json=gpd_factories.position_body("P-1")
    )
    assert created.status_code == 201
    nav = created.json["paymentOption"][0]["nav"]
    assert api.post(CART_V1, json=cart_body(notice(nav, amount=10000))).status_code == 302
    assert api.post(CART_V1, json=cart_body(notice("301999999999999999"))).status_code == 302
    assert api.post(gpd_factories.position_url("P-1") + "/invalidate").status_code == 200
    assert api.post(CART_V1, json=cart_body(notice(nav))).status_code == 302


def test_notice_of_an_ec_the_sandbox_does_not_manage_is_synthetic_and_accepted(api: ApiClient) -> None:
    assert api.post(CART_V1, json=cart_body(notice("301999999999999999", "80078750587"))).status_code == 302


def test_cart_expires_after_ten_minutes_of_the_tenant_clock(api: ApiClient, clock: Any) -> None:
    cart_id = cart_id_of(api.post(CART_V1, json=cart_body()).headers["Location"])
    clock.advance(9 * 60 + 59)
    assert api.get(f"/ecommerce/checkout/v1/carts/{cart_id}").status_code == 200
    clock.advance(1)
    gone = api.get(f"/ecommerce/checkout/v1/carts/{cart_id}")
    assert gone.status_code == 404
    assert gone.json == {
        "title": "Cart not found",
        "detail": f"Cart with id {cart_id} not found",
        "status": 404,
    }


def test_carts_belong_to_their_tenant(app: Flask) -> None:
    one, other = ApiClient(app.test_client(), "one"), ApiClient(app.test_client(), "other")
    cart_id = cart_id_of(one.post(CART_V1, json=cart_body()).headers["Location"])
    assert one.get(f"/ecommerce/checkout/v1/carts/{cart_id}").status_code == 200
    assert other.get(f"/ecommerce/checkout/v1/carts/{cart_id}").status_code == 404
