"""The dashboard's errors as HTML pages in its own frame (the sandbox API beside it answers
ProblemJson, ``errors``): installed on each dashboard blueprint, so they apply to its views only.
Nothing was changed when one of these pages is shown: each use case raises before it writes, and
the unit rolls back whole."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, render_template
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import HTTPException

from simulator.domain.errors import (
    CheckoutError,
    CheckoutReason,
    DomainError,
    PaymentFault,
    SandboxNotFound,
    TenantError,
)
from simulator.scenario.model import UnknownScenario
from simulator.web.errors import FAULT_STATUS, CsrfRejected

log = logging.getLogger("simulator.dashboard")


def error_page(
    status: int, heading: LazyString | str, body: LazyString | str, detail: str | None = None
) -> Response:
    html = render_template(
        "dashboard/error.html",
        heading=heading,
        body=body,
        detail=detail,
        status=status,
        tenant=g.get("dashboard_tenant", ""),  # unknown when the tenant itself was refused
    )
    return Response(html, status=status, mimetype="text/html")


def _csrf(error: CsrfRejected) -> Response:
    return error_page(
        400,
        _l("Modulo scaduto"),
        _l(
            "Il modulo inviato è scaduto o non proviene da questa pagina, quindi non è stato cambiato"
            " nulla. Ricarica la pagina e riprova."
        ),
    )


def _checkout(error: CheckoutError) -> Response:
    if error.reason is CheckoutReason.CART_CLOSED:
        return error_page(
            409,
            _l("Il carrello è concluso"),
            _l("Un carrello concluso non cambia più: nessuna azione è stata eseguita."),
            error.detail,
        )
    return error_page(
        404,
        _l("Carrello non trovato"),
        _l("Nessun carrello con questo identificativo nel tenant che stai guardando."),
        error.detail,
    )


def _fault(error: PaymentFault) -> Response:
    return error_page(
        FAULT_STATUS[error.category],
        _l("Il nodo ha rifiutato l'operazione"),
        _l("Nessun pagamento è stato registrato."),
        error.message,
    )


def _not_found(error: SandboxNotFound | UnknownScenario) -> Response:
    return error_page(404, _l("Non trovato"), _l("Non esiste nel tenant che stai guardando."), str(error))


def _tenant(error: TenantError) -> Response:
    return error_page(400, _l("Tenant non valido"), _l("Scegli un altro nome di tenant."), error.message)


def _invalid(error: DomainError) -> Response:
    return error_page(400, _l("Dati non validi"), _l("Correggi i dati e riprova."), error.message)


def _http(error: HTTPException) -> Response:
    return error_page(error.code or 500, _l("La richiesta non è valida"), _l("Torna al cruscotto e riprova."))


def _unexpected(error: Exception) -> Response:
    log.exception("unexpected error in the dashboard")
    return error_page(500, _l("Si è verificato un errore imprevisto"), _l("Nulla è stato cambiato. Riprova."))


def install(bp: Blueprint) -> None:
    bp.register_error_handler(CsrfRejected, _csrf)
    bp.register_error_handler(CheckoutError, _checkout)
    bp.register_error_handler(PaymentFault, _fault)
    bp.register_error_handler(SandboxNotFound, _not_found)
    bp.register_error_handler(UnknownScenario, _not_found)
    bp.register_error_handler(TenantError, _tenant)
    bp.register_error_handler(DomainError, _invalid)
    bp.register_error_handler(HTTPException, _http)
    bp.register_error_handler(Exception, _unexpected)
