"""The one place where errors become responses. Views never build an error body.

Each surface answers in its own format; today every surface here speaks ProblemJson
(``{title, status, detail}``), except the gateway's 401, which keeps API Management's shape.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from simulator.domain.errors import (
    CheckoutError,
    CheckoutReason,
    DebtPositionError,
    DomainError,
    GpdReason,
    InvalidInput,
    TenantError,
)

log = logging.getLogger("simulator.errors")

GPD_STATUS = {
    GpdReason.REQUEST_DATA_ERROR: 400,
    GpdReason.UNIQUE_VIOLATION: 409,
    GpdReason.NOT_FOUND: 404,
    GpdReason.PAYMENT_FOUND: 409,
    GpdReason.NOT_UPDATABLE: 409,
    GpdReason.NOT_PUBLISHABLE: 409,
    GpdReason.PUBLISH_VALIDITY_DATE_MISMATCH: 409,
    GpdReason.PUBLISH_DUE_DATE_MISMATCH: 409,
    GpdReason.NOT_INVALIDABLE: 409,
    GpdReason.OPTION_NOT_FOUND: 404,
    GpdReason.OPTION_NOT_PAYABLE: 422,
    GpdReason.OPTION_ALREADY_PAID: 409,
    GpdReason.RECEIPT_NOT_FOUND: 404,
    GpdReason.RECEIPT_DUPLICATED: 409,
}

CHECKOUT_STATUS = {
    CheckoutReason.DUPLICATE_NOTICES: 422,
    CheckoutReason.INVALID_NOTICE: 422,
    CheckoutReason.CART_NOT_FOUND: 404,
}

# Checkout answers every schema violation with the same body; the sandbox keeps that body byte for
# byte and names the offending field in a header instead.
CHECKOUT_BAD_REQUEST = ("Request validation error", "The input request is invalid")
DETAIL_HEADER = "X-Sandbox-Detail"

BAD_REQUEST_TITLES = {
    "gpd": GpdReason.REQUEST_DATA_ERROR.title,
    "receipts": "Bad Request",
    "sandbox": "Invalid request",
}


class Unauthorized(Exception):
    """The gateway refused the subscription key."""

    def __init__(self, missing: bool) -> None:
        super().__init__("missing" if missing else "invalid")
        self.missing = missing


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if surface() == "checkout":  # Checkout's own field order: title, detail, status
        body = {"title": title, **({"detail": detail} if detail is not None else {}), "status": status}
    body.update(extra)
    response = jsonify(body)
    response.status_code = status  # upstream pagoPA services answer ProblemJson as application/json
    return response


def bad_request(detail: str) -> Response:
    """A 400 in the surface's own words."""
    if surface() == "checkout":
        response = problem(400, *CHECKOUT_BAD_REQUEST)
        response.headers[DETAIL_HEADER] = detail.encode("ascii", "replace").decode()[:500]
        return response
    return problem(400, BAD_REQUEST_TITLES[surface()], detail)


def surface() -> str:
    path = request.path
    if path.startswith("/gpd/debt-positions-service/"):
        return "gpd"
    if path.startswith("/gpd/payments-receipts-service/"):
        return "receipts"
    if path.startswith(("/checkout/", "/ecommerce/")):
        return "checkout"
    return "sandbox"


def init_app(app: Flask) -> None:
    @app.errorhandler(DebtPositionError)
    def _gpd(error: DebtPositionError) -> Response:
        return problem(GPD_STATUS[error.reason], error.reason.title, error.detail)

    @app.errorhandler(CheckoutError)
    def _checkout(error: CheckoutError) -> Response:
        return problem(CHECKOUT_STATUS[error.reason], error.title, error.detail)

    @app.errorhandler(InvalidInput)
    def _invalid(error: InvalidInput) -> Response:
        return bad_request(error.message)

    @app.errorhandler(TenantError)
    def _tenant(error: TenantError) -> Response:
        return problem(400, "Invalid tenant", f"X-Sandbox-Tenant: {error.message}")

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return bad_request(error.message)

    @app.errorhandler(Unauthorized)
    def _unauthorized(error: Unauthorized) -> Response:
        message = (
            "Access denied due to missing subscription key. Make sure to include subscription key when"
            " making requests to an API."
            if error.missing
            else "Access denied due to invalid subscription key. Make sure to provide a valid key for an"
            " active subscription."
        )
        response = jsonify({"statusCode": 401, "message": message})
        response.status_code = 401
        return response

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 400:
            return bad_request(error.description or "Bad Request")
        response = problem(status, error.name, error.description)
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem(500, "Internal Server Error", "An unexpected error occurred; see the sandbox log.")
