"""The node's SOAP port for creditors' stations (modello 1), ``/nodo/nodo-per-pa/v1`` and, behind
the subscription key, ``/nodo-auth/nodo-per-pa/v1``: ``nodoInviaRPT``, ``nodoInviaCarrelloRPT``
and ``nodoChiediCopiaRT``, SOAP 1.1 with ``SOAPAction`` naming the operation; and the WISP-shaped
address the answer's ``url`` points at, which leads the citizen into the checkout pages.

A request that is not a SOAP envelope of a known operation gets a SOAP Fault (HTTP 500, as SOAP
1.1 says); a well-formed request the node refuses gets its ``esito`` KO with the faultBean."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, redirect, request

from simulator.services import wisp
from simulator.soap import nodo_per_pa as nodo
from simulator.soap.envelope import (
    CONTENT_TYPE,
    NotSoap,
    SoapFaultReceived,
    local_name,
    open_envelope,
    soap_fault,
)
from simulator.web.checkout_api import redirect_url_of
from simulator.web.pipeline import require_subscription_key, sandbox, tenant, unit

bp = Blueprint("nodo_api", __name__)


@bp.post("/nodo/nodo-per-pa/v1")
def nodo_per_pa() -> Response:
    return _serve()


@bp.post("/nodo-auth/nodo-per-pa/v1")
def nodo_per_pa_auth() -> Response:
    require_subscription_key()
    return _serve()


@bp.get(wisp.REDIRECT_PATH)
def wisp_redirect() -> Response:
    """The WISP address of a session: on to the cart's checkout, as the converter redirects."""
    session_id = request.args.get("sessionId", "")[:200]
    with sandbox().cart_unit(session_id.rpartition("_")[2], tenant(), write=False) as u:
        cart = wisp.session_cart(u, session_id)
    return redirect(redirect_url_of(cart), code=302)  # type: ignore[return-value]


def _serve() -> Response:
    action = request.headers.get("SOAPAction", "").strip().strip('"')
    try:
        envelope, message = open_envelope(request.get_data(cache=True))
    except (NotSoap, SoapFaultReceived) as exc:
        return _fault("soapenv:Client", f"not a SOAP 1.1 request: {exc}")
    if action not in nodo.OPERATIONS:
        return _fault(
            "soapenv:Client", f"unknown SOAPAction {action[:60]!r}; known: {', '.join(nodo.OPERATIONS)}"
        )
    if message.tag != f"{{{nodo.PPT}}}{action}":
        return _fault(
            "soapenv:Client", f"the Body holds {local_name(message.tag)[:60]}, SOAPAction says {action}"
        )
    if action == nodo.COPY_RT:
        return _copy_rt(message)
    try:
        submission = nodo.read_submission(action, envelope, message)
        with unit() as u:
            url = wisp.start(u, submission, request.host_url.rstrip("/"))
    except nodo.Refusal as refusal:
        return _xml(nodo.answer(action, refusal=refusal))
    return _xml(nodo.answer(action, url=url))


def _copy_rt(message: ET.Element) -> Response:
    try:
        copy = nodo.read_copy_request(message)
        with unit(write=False) as u:
            rt = wisp.copy_rt(u, copy)
    except nodo.Refusal as refusal:
        return _xml(nodo.copy_answer(refusal=refusal))
    return _xml(nodo.copy_answer(rt=rt))


def _fault(code: str, text: str) -> Response:
    return Response(soap_fault(code, text), status=500, content_type=CONTENT_TYPE)


def _xml(body: bytes) -> Response:
    return Response(body, status=200, content_type=CONTENT_TYPE)
