"""The one place where errors become responses. Views never build an error body.

Each surface answers in its own format: the APIs speak ProblemJson (``{title, status, detail}``),
except the gateway's 401, which keeps API Management's shape; the checkout pages answer HTML
pages in their own style (``PAGE_FAULTS`` holds their verify/activate fault texts).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import BadRequest, HTTPException

from simulator.domain.errors import (
    AttemptReason,
    CheckoutError,
    CheckoutReason,
    DebtPositionError,
    DomainError,
    GpdReason,
    InvalidInput,
    PaymentAttemptError,
    PaymentFault,
    SandboxNotFound,
    TenantError,
    UnreadableNumber,
)
from simulator.domain.payment import FaultCategory
from simulator.scenario.model import ScenarioError, UnknownScenario
from simulator.scenario.profiles import ProfileError

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
    GpdReason.NOT_RECOVERABLE: 400,
    GpdReason.EXCLUSIVE_PARAMETERS: 400,
    GpdReason.OPTION_NOT_FOUND: 404,
    GpdReason.OPTION_NOT_PAYABLE: 422,
    GpdReason.OPTION_ALREADY_PAID: 409,
    GpdReason.RECEIPT_NOT_FOUND: 404,
    GpdReason.RECEIPT_DUPLICATED: 409,
    GpdReason.RECEIPTS_PAGE_TOO_BIG: 400,
    GpdReason.RECEIPTS_DATE_RANGE: 400,
}

# The HTTP status Checkout answers a failed verify/activate with, per faultCodeCategory.
FAULT_STATUS = {
    FaultCategory.PAYMENT_UNKNOWN: 404,
    FaultCategory.PAYMENT_DATA_ERROR: 404,
    FaultCategory.PAYMENT_ONGOING: 409,
    FaultCategory.PAYMENT_EXPIRED: 409,
    FaultCategory.PAYMENT_CANCELED: 409,
    FaultCategory.PAYMENT_DUPLICATED: 409,
    FaultCategory.PAYMENT_UNAVAILABLE: 502,
    FaultCategory.DOMAIN_UNKNOWN: 503,
    FaultCategory.GENERIC_ERROR: 502,
}

CHECKOUT_STATUS = {
    CheckoutReason.DUPLICATE_NOTICES: 422,
    CheckoutReason.INVALID_NOTICE: 422,
    CheckoutReason.CART_NOT_FOUND: 404,
    CheckoutReason.CART_CLOSED: 409,
}

# Checkout answers every schema violation with the same body; the sandbox keeps that body byte for
# byte and names the offending field in a header instead.
CHECKOUT_BAD_REQUEST = ("Request validation error", "The input request is invalid")
DETAIL_HEADER = "X-Sandbox-Detail"
# The detail may quote what the client sent: one printable ASCII line is all a header can carry.
NOT_HEADER_SAFE = re.compile(r"[^\x20-\x7e]")
NOTICES_API = "/_sandbox/v1/notices/"

BAD_REQUEST_TITLES = {
    "gpd": GpdReason.REQUEST_DATA_ERROR.title,
    "receipts": "Bad Request",
    "sandbox": "Invalid request",
}


class CsrfRejected(Exception):
    """A page form came without this browser's CSRF token (forged, stale or missing)."""


class SessionExpired(Exception):
    """A checkout page needs a session this browser does not have (any more)."""


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
        response.headers[DETAIL_HEADER] = NOT_HEADER_SAFE.sub("?", detail)[:500]
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
    if path.startswith(("/_sandbox/", "/gpd/")) or path == "/_sandbox":
        return "sandbox"
    return "pages"  # the checkout pages own every other path, so unknown ones get an HTML 404


# --- the checkout pages -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageFault:
    """How the pages word a verify/activate fault (reference §2). Its HTTP status and whether the
    detail code is shown ("Codice di errore per l'assistenza") come from ``FaultCategory``."""

    title: LazyString
    body: LazyString | None  # None where checkout shows the title and the code only


PAGE_FAULTS: dict[str, PageFault] = {
    "PAYMENT_UNKNOWN": PageFault(
        _l("Non riusciamo a trovare l'avviso"),
        _l("Verifica che il codice avviso e il codice fiscale dell'Ente Creditore siano corretti."),
    ),
    "PAYMENT_DATA_ERROR": PageFault(
        _l("I dati dell'avviso non sono corretti"),
        _l("Contatta l'Ente Creditore che ha emesso l'avviso."),
    ),
    "PAYMENT_ONGOING": PageFault(
        _l("C'è già un pagamento in corso, riprova più tardi"),
        _l("Se il pagamento non va a buon fine, potrai riprovare tra qualche minuto."),
    ),
    "PAYMENT_EXPIRED": PageFault(
        _l("L'avviso è scaduto e non è più possibile pagarlo"),
        _l("Contatta l'Ente Creditore per maggiori informazioni."),
    ),
    "PAYMENT_CANCELED": PageFault(
        _l("L'Ente Creditore ha revocato questo avviso"),
        _l("Contatta l'Ente Creditore per maggiori informazioni."),
    ),
    "PAYMENT_DUPLICATED": PageFault(
        _l("Questo avviso è stato già pagato!"),
        _l("La ricevuta è stata inviata all'indirizzo email indicato durante il pagamento."),
    ),
    "PAYMENT_UNAVAILABLE": PageFault(
        _l("C'è un problema tecnico con questo avviso"),
        _l("Contatta l'assistenza indicando il codice di errore."),
    ),
    "DOMAIN_UNKNOWN": PageFault(_l("L'Ente Creditore sta avendo problemi nella risposta"), None),
    "GENERIC_ERROR": PageFault(
        _l("Si è verificato un errore imprevisto"),
        _l("Riprova tra qualche minuto."),
    ),
}

PAGE_HTTP_TITLES: dict[int, LazyString] = {
    400: _l("La richiesta non è valida"),
    404: _l("Pagina non trovata"),
    405: _l("Operazione non consentita"),
    413: _l("La richiesta è troppo grande"),
}


def page_fault(error: PaymentFault) -> Response:
    """A verify/activate fault as the pages show it; the button goes back to where one can retry."""
    category: FaultCategory = error.category
    fault = PAGE_FAULTS.get(category.value, PAGE_FAULTS["GENERIC_ERROR"])
    current = g.get("checkout")
    in_cart = current is not None and current.state.origin == "cart"
    return _page(
        "pages/fault.html",
        FAULT_STATUS[category],
        heading=fault.title,
        body=fault.body,
        category=category.value,
        code=error.fault_code if category.shows_detail else None,
        # a cart's notice cannot be re-entered: its way out is the error page and its return URL
        back_url="/errore" if in_cart else g.get("fault_back_url", "/inserisci-dati-avviso"),
    )


def see_other(url: str) -> Response:
    response = Response(status=303, mimetype="text/html")
    response.headers["Location"] = url
    return response


def page_error(status: int, heading: LazyString | str, body: LazyString | str) -> Response:
    return _page("pages/http_error.html", status, heading=heading, body=body)


def _page(template: str, status: int, **context: Any) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    return response


def _page_http(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 404:
        body = _l("L'indirizzo non corrisponde a nessuna pagina. Controlla di averlo scritto correttamente.")
    elif status == 400:
        body = _l("Torna alla pagina precedente e riprova.")
    else:
        body = _l("Torna alla pagina iniziale e riprova.")
    response = page_error(
        status, PAGE_HTTP_TITLES.get(status, _l("Si è verificato un errore imprevisto")), body
    )
    if status == 405 and error.get_response().headers.get("Allow"):
        response.headers["Allow"] = error.get_response().headers["Allow"]
    return response


def _page_unexpected() -> Response:
    return page_error(
        500,
        _l("Si è verificato un errore imprevisto"),
        _l("Riprova tra qualche minuto. Nessun pagamento è stato eseguito a causa di questo errore."),
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(DebtPositionError)
    def _gpd(error: DebtPositionError) -> Response:
        return problem(GPD_STATUS[error.reason], error.reason.title, error.detail)

    @app.errorhandler(CheckoutError)
    def _checkout(error: CheckoutError) -> Response:
        if surface() == "pages":
            return page_error(
                404,
                _l("Il carrello non è stato trovato"),
                _l("Il link di pagamento è scaduto o non è valido. Torna al sito dell'Ente e riprova."),
            )
        return problem(CHECKOUT_STATUS[error.reason], error.title, error.detail)

    @app.errorhandler(PaymentFault)
    def _fault(error: PaymentFault) -> Response:
        if surface() == "pages":
            return page_fault(error)
        if request.path.startswith(NOTICES_API):  # the proposal's offline payment: the fault itself
            return problem(
                FAULT_STATUS[error.category],
                "Payment fault",
                error.message,
                faultCodeCategory=error.category.value,
                faultCodeDetail=error.fault_code,
            )
        return bad_request(error.message)  # the API surfaces' own mapping is not the pages' business

    @app.errorhandler(PaymentAttemptError)
    def _attempt(error: PaymentAttemptError) -> Response:
        if surface() == "pages":
            if error.reason is AttemptReason.NOT_FOUND:  # gone (a tenant reset): nothing to resume
                return see_other("/errore")
            return see_other("/esito")  # a step out of order (a second "Paga"): where things stand
        return bad_request(error.message)

    @app.errorhandler(CsrfRejected)
    def _csrf(error: CsrfRejected) -> Response:
        return page_error(
            400,
            _l("La richiesta non è valida"),
            _l(
                "Il modulo inviato è scaduto o non proviene da questo sito, quindi non è stato eseguito"
                " nulla. Torna alla pagina precedente, ricaricala e riprova."
            ),
        )

    @app.errorhandler(SessionExpired)
    def _expired(error: SessionExpired) -> Response:
        return see_other("/sessione-scaduta")

    @app.errorhandler(UnknownScenario)
    def _unknown_scenario(error: UnknownScenario) -> Response:
        """An explicit scenario id (header, body, sandbox API) no scenario has: never ignored."""
        if surface() == "pages":
            return _page_http(BadRequest())
        return problem(404, "Scenario not found", f"No scenario has the id {error.scenario_id[:100]!r}")

    @app.errorhandler(ScenarioError)
    def _bad_scenarios(error: ScenarioError) -> Response:
        """A reload refused: every problem as ``file:line: message``; the previous library stays."""
        count = len(error.problems)
        return problem(
            422,
            "Invalid scenarios",
            f"{count} problem{'s' if count != 1 else ''} found; the previous scenarios stay active",
            problems=[str(p) for p in error.problems],
        )

    @app.errorhandler(ProfileError)
    def _bad_profile(error: ProfileError) -> Response:
        """A certification profile refused: every problem, one line each; nothing was started."""
        count = len(error.problems)
        return problem(
            422,
            "Invalid certification profile",
            f"{count} problem{'s' if count != 1 else ''} found; no run was started",
            problems=error.problems,
        )

    @app.errorhandler(SandboxNotFound)
    def _sandbox_not_found(error: SandboxNotFound) -> Response:
        return problem(404, f"{error.what[:1].upper()}{error.what[1:]} not found", error.message)

    @app.errorhandler(UnreadableNumber)
    def _unreadable(error: UnreadableNumber) -> Response:
        """GPD's reader refuses the body with its own title and message; elsewhere a 400 as usual."""
        if surface() == "gpd":
            return problem(400, "BAD REQUEST", error.parser_message)
        return _invalid(error)

    @app.errorhandler(InvalidInput)
    def _invalid(error: InvalidInput) -> Response:
        if surface() == "pages":
            return _page_http(BadRequest())
        return bad_request(error.message)

    @app.errorhandler(TenantError)
    def _tenant(error: TenantError) -> Response:
        if surface() == "pages":
            return page_error(400, _l("La richiesta non è valida"), f"X-Sandbox-Tenant: {error.message}")
        return problem(400, "Invalid tenant", f"X-Sandbox-Tenant: {error.message}")

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        if surface() == "pages":
            return _page_http(BadRequest())
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
        if surface() == "pages":
            return _page_http(error)
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
        if surface() == "pages":
            try:
                return _page_unexpected()
            except Exception:  # the error page itself failed: a plain text answer, still no trace
                log.exception("the error page failed too")
                return Response("Errore imprevisto / Unexpected error", status=500, mimetype="text/plain")
        return problem(500, "Internal Server Error", "An unexpected error occurred; see the sandbox log.")
