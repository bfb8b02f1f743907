"""The Checkout EC cart API, as production answers it (reference §1): the public start endpoints,
the server-to-server variant, the cart read-back and the gateway's redirect hop.

The sandbox's one addition: a scenario asked for by id, with the header ``X-Sandbox-Scenario`` or
``"sandbox": {"scenario": "<id>"}`` in the body (production ignores both). An id no scenario has
is the caller's mistake, answered 404 "Scenario not found" rather than silently ignored."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from flask.blueprints import BlueprintSetupState
from flask_cors import CORS

from simulator.domain.cart import CLIENT_ID, Cart, PaymentNotice, ReturnUrls, check_return_url
from simulator.domain.ec_settings import check_http_url
from simulator.domain.errors import CheckoutError, CheckoutReason, InvalidInput
from simulator.domain.money import MAX_CART_CENTS
from simulator.services import checkout
from simulator.services.checkout import CartRequest
from simulator.web.pages_redirect import cart_page_url, redirect_page
from simulator.web.pipeline import require_subscription_key, unit
from simulator.web.public_url import checkout_base, public_base
from simulator.web.wire import Fields, check_text, compact

bp = Blueprint("checkout_api", __name__)

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
TEXT_140 = 140
SCENARIO_HEADER = "X-Sandbox-Scenario"
SCENARIO_ID_MAX = 200  # longer than any id (64): refused as malformed rather than looked up
CART_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# The gateway's CORS policy of the public cart API (pagopa-infra, checkout_ec): any origin, POST,
# GET and OPTIONS, the Content-Type header; a preflight is answered by the gateway itself. Headers
# only when the browser sent an Origin, and "*" rather than the origin echoed back.
GATEWAY_CORS: dict[str | re.Pattern[str], dict[str, Any]] = {
    r"/checkout/ec/v[12]/carts": {
        "origins": "*",
        "send_wildcard": True,
        "methods": ["POST", "GET", "OPTIONS"],
        "allow_headers": ["Content-Type"],
        "always_send": False,
        "expose_headers": ["X-Sandbox-Detail"],  # the sandbox's own header, readable by a page
        "vary_header": False,
    }
}


@bp.record_once
def _gateway_cors(state: BlueprintSetupState) -> None:
    assert isinstance(state.app, Flask)
    CORS(state.app, resources=GATEWAY_CORS)


def redirect_url_of(cart: Cart, base: str | None = None) -> str:
    """Where the cart's payment starts (Checkout's checkoutRedirectUrl); ``base``: the public base
    when the caller already checked it, before anything was stored."""
    return f"{base or public_base()}/ecommerce/checkout/v1/carts/{cart.id}/redirect?clientId={CLIENT_ID}"


def parse_cart_request(body: Any, api_version: int) -> CartRequest:
    f = Fields(body)
    notices = tuple(
        PaymentNotice(
            notice_number=n.req_text("noticeNumber", min_len=18, max_len=18),
            fiscal_code=n.req_text("fiscalCode", min_len=11, max_len=11),
            amount=n.req_integer("amount", minimum=1, maximum=MAX_CART_CENTS),
            company_name=n.req_text("companyName", max_len=TEXT_140),
            description=n.req_text("description", max_len=TEXT_140),
        )
        for n in f.objects("paymentNotices", required=True, min_items=1, max_items=5)
    )
    urls = f.obj("returnUrls", required=True)
    assert urls is not None

    def url(key: str, required: bool = True) -> str | None:
        value = urls.text(key, required=required, max_len=2048)
        return None if value is None else check_return_url(value, urls.where(key))

    return_urls = ReturnUrls(
        ok=url("returnOkUrl") or "",
        cancel=url("returnCancelUrl") or "",
        error=url("returnErrorUrl") or "",
        # v1's schema has no waiting URL: production ignores the field, so 17 leads to the error URL
        waiting=url("returnWaitingUrl") if api_version >= 2 else None,
    )
    email = f.text("emailNotice", max_len=256)
    if email is not None and not EMAIL.match(email):
        raise InvalidInput("emailNotice", "must be an email address")
    all_ccp = f.data.get("allCCP")
    extension = f.obj("sandbox")
    return CartRequest(
        notices=notices,
        return_urls=return_urls,
        api_version=api_version,
        email=email,
        id_cart=f.text("idCart", max_len=256),
        all_ccp=f.boolean("allCCP") if all_ccp is not None else None,
        body_scenario=extension.text("scenario", max_len=SCENARIO_ID_MAX) if extension else None,
        notify_url=_notify_url(extension),
        append_outcome=_append_outcome(extension),
    )


def _notify_url(extension: Fields | None) -> str | None:
    """``sandbox.notifyUrl``: an absolute http(s) URL (the proposal's per-cart notifications)."""
    value = extension.text("notifyUrl", max_len=2048) if extension else None
    return None if value is None else check_http_url(value, "sandbox.notifyUrl")


def _append_outcome(extension: Fields | None) -> bool | None:
    if extension is None or extension.data.get("appendOutcome") is None:
        return None
    return extension.boolean("appendOutcome")


def _create(api_version: int) -> Cart:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("body", "must be a JSON object")
    cart_request = parse_cart_request(body, api_version)
    header = request.headers.get(SCENARIO_HEADER, "").strip()
    if len(header) > SCENARIO_ID_MAX:
        raise InvalidInput(SCENARIO_HEADER, f"must be at most {SCENARIO_ID_MAX} characters")
    if header:
        cart_request = replace(cart_request, header_scenario=check_text(header, SCENARIO_HEADER))
    cart_request = replace(cart_request, reached_at=request.host_url)
    with unit() as u:
        return checkout.create_cart(u, cart_request)


@bp.post("/checkout/ec/v<int:version>/carts")
def create_cart(version: int) -> Response:
    if version not in (1, 2):
        raise InvalidInput("version", "v1 or v2")
    base = public_base()  # a Host header that cannot make a URL is refused before anything is stored
    cart = _create(version)
    response = Response(status=302)
    response.headers["Location"] = redirect_url_of(cart, base)
    del response.headers["Content-Type"]  # production's 302 has no body
    return response


@bp.post("/checkout/carts-auth/v<int:version>/carts")
def create_cart_server_to_server(version: int) -> Response:
    require_subscription_key()
    if version not in (1, 2):
        raise InvalidInput("version", "v1 or v2")
    base = public_base()
    cart = _create(version)
    return jsonify({"checkoutRedirectUrl": redirect_url_of(cart, base)})


@bp.get("/ecommerce/checkout/v1/carts/<cart_id>")
def get_cart(cart_id: str) -> Response:
    if not CART_ID.fullmatch(cart_id):  # a cart id is a UUID: anything else names no cart
        raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart_id[:64].replace("\x00", ""))
    with unit(write=False) as u:
        cart = checkout.get_cart(u, cart_id)
    urls = cart.return_urls
    return jsonify(
        compact(
            {
                "paymentNotices": [
                    {
                        "noticeNumber": n.notice_number,
                        "fiscalCode": n.fiscal_code,
                        "amount": n.amount,
                        "companyName": n.company_name,
                        "description": n.description,
                    }
                    for n in cart.notices
                ],
                "returnUrls": compact(
                    {
                        "returnOkUrl": urls.ok,
                        "returnCancelUrl": urls.cancel,
                        "returnErrorUrl": urls.error,
                        "returnWaitingUrl": urls.waiting,
                    }
                ),
                "emailNotice": cart.email,
                "idCart": cart.id_cart,
                "allCCP": cart.all_ccp,
            }
        )
    )


@bp.get("/ecommerce/checkout/v1/carts/<cart_id>/redirect")
def redirect_hop(cart_id: str) -> Response:
    """Answered by the gateway itself in production: 200 HTML with a meta refresh."""
    client_id = request.args.get("clientId", CLIENT_ID)
    return redirect_page(cart_page_url(checkout_base(), cart_id, client_id))
