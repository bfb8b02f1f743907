"""The baselines of the benchmarks: a bare Flask app that answers ``GET /`` with a short text, and
``POST /checkout/ec/v1/carts`` as a bare cart creation (parse the JSON body, answer 302 with a
Location header, no storage)."""

from __future__ import annotations

import uuid

from flask import Flask, Response, abort, request

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"


@app.post("/checkout/ec/v1/carts")
def cart() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body.get("paymentNotices"):
        abort(422)
    response = Response(status=302)
    response.headers["Location"] = (
        f"{request.host_url}ecommerce/checkout/v1/carts/{uuid.uuid4()}/redirect?clientId=CHECKOUT_CART"
    )
    del response.headers["Content-Type"]
    return response
