"""The sandbox's control and inspection API under ``/_sandbox/v1``, per tenant: a cart's status
(the proposal's status query) with its ordered timeline, the scenario per cart, headless
completion, and the scenario library (list, JSON Schema, reload)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import force_locale

from simulator.domain import psps
from simulator.domain.cart_status import CartState
from simulator.domain.errors import CheckoutError, CheckoutReason, InvalidInput
from simulator.domain.events import Event
from simulator.domain.money import format_euro_it
from simulator.domain.payment import shown_outcome
from simulator.scenario.model import StationStep, format_duration
from simulator.services import control
from simulator.services.control import CartStatus, CompleteRequest
from simulator.services.scenario_engine import parse_requested_outcome
from simulator.services.scenario_reload import ScenarioWatcher
from simulator.services.scenarios import ScenarioCatalog, ScenarioEntry, schema_bytes
from simulator.web.errors import PAGE_FAULTS
from simulator.web.pages_text import outcome_text
from simulator.web.pipeline import sandbox, tenant, unit
from simulator.web.wire import Fields, compact, format_datetime

bp = Blueprint("control_api", __name__, url_prefix="/_sandbox/v1")

RECEIPT_URL = "/gpd/payments-receipts-service/v1/payments/{org}/receipts/{iuv}"
RETURN_URL_SLOT = ""  # keeps returnUrl's place in the answer through ``compact``
SCENARIO_ID_MAX = 200
CART_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _cart(cart_id: str) -> str:
    """A cart id is a UUID: anything else names no cart (and never reaches the database)."""
    if not CART_ID.fullmatch(cart_id):
        raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=cart_id[:64])
    return cart_id


def _catalog() -> ScenarioCatalog:
    watcher: ScenarioWatcher | None = current_app.extensions.get("scenario_watcher")
    return ScenarioCatalog(sandbox(), watcher)


# --- carts -------------------------------------------------------------------------------------------


@bp.get("/carts/<cart_id>")
def cart_status(cart_id: str) -> Response:
    with unit(write=False) as u:
        found = control.status(u, _cart(cart_id))
    return jsonify(status_body(found))


@bp.put("/carts/<cart_id>/scenario")
def choose_scenario(cart_id: str) -> Response:
    tenant()  # a malformed tenant is the first thing refused
    cart_id = _cart(cart_id)
    f = Fields(_json_body(required=True))
    scenario_id = f.req_text("scenario", max_len=SCENARIO_ID_MAX)
    with unit() as u:
        chosen = control.choose_scenario(u, cart_id, scenario_id)
    return jsonify(status_body(chosen))


@bp.post("/carts/<cart_id>/complete")
def complete(cart_id: str) -> Response:
    tenant()  # a malformed tenant is the first thing refused
    cart_id = _cart(cart_id)
    f = Fields(_json_body(required=False) or {})
    outcome = f.data.get("outcome")
    method = f.text("method", max_len=10)
    run = CompleteRequest(
        outcome=parse_requested_outcome(outcome) if outcome is not None else None,
        method=psps.parse_method(method, "method") if method is not None else None,
        psp_id=f.text("psp", max_len=64),
    )
    with unit() as u:
        completed = control.complete(u, cart_id, run)
    return jsonify(status_body(completed))


def _json_body(*, required: bool) -> Any:
    if not request.get_data(cache=True):
        if required:
            raise InvalidInput("body", "must be a JSON object")
        return None
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("body", "must be a JSON object")
    return body


def status_body(status: CartStatus) -> dict[str, Any]:
    """The status query's answer: where the cart stands, what the payer was shown, the scenario
    and why, the notices, the receipts (with their GPD URL), the return URL and the timeline."""
    cart, attempt = status.cart, status.attempt
    answer = compact(
        {
            "id": cart.id,
            "idCart": cart.id_cart,
            "state": status.state.value,
            "outcome": status.outcome.value if status.outcome is not None else None,
            "message": payer_message(status),
            "fault": (
                {"faultCodeCategory": status.fault[0].value, "faultCode": status.fault[1]}
                if status.fault is not None
                else None
            ),
            "scenario": {
                "id": status.scenario.scenario_id,
                "title": status.scenario_title,
                "source": status.scenario.source.value,
                "reason": status.scenario.reason,
            },
            "totalAmount": cart.total_amount,
            "notices": [
                {
                    "noticeNumber": n.notice_number,
                    "fiscalCode": n.fiscal_code,
                    "amount": n.amount,
                    "companyName": n.company_name,
                    "description": n.description,
                }
                for n in cart.notices
            ],
            "payment": compact(
                {
                    "transactionId": attempt.id,
                    "state": attempt.state.value,
                    "method": attempt.method.value if attempt.method else None,
                    "pspId": attempt.psp_id,
                    "pspName": attempt.psp_name,
                    "fees": attempt.fee,
                    "totalAmount": attempt.total,
                    "paymentTokens": list(attempt.payment_tokens),
                    "resolvesAt": format_datetime(attempt.resolves_at) if attempt.pending else None,
                }
            )
            if attempt is not None
            else None,
            "receipts": [
                {
                    "organizationFiscalCode": r.organization,
                    "iuv": r.iuv,
                    "receiptId": r.receipt_id,
                    "paymentDateTime": r.document.get("paymentDateTime"),
                    "url": RECEIPT_URL.format(org=r.organization, iuv=r.iuv),
                }
                for r in status.receipts
            ],
            "returnUrl": RETURN_URL_SLOT,
            "createdAt": format_datetime(cart.created_at),
            "expiresAt": format_datetime(cart.expires_at),
            "timeline": [_event(e) for e in status.timeline],
        }
    )
    answer["returnUrl"] = status.return_url  # always present: null until the browser's landing is known
    return answer


def _event(event: Event) -> dict[str, Any]:
    return compact(
        {
            "id": event.id,
            "type": event.type.value,
            "at": format_datetime(event.at),
            "attemptId": event.attempt_id,
            "data": dict(event.data),
        }
    )


def payer_message(status: CartStatus) -> str | None:
    """The heading of the last page the payer read (in Italian, the pages' default): the
    outcome page's, the fault's, the cancelled or expired page's; None while still paying."""
    with force_locale("it"):
        if status.fault is not None:
            return str(PAGE_FAULTS.get(status.fault[0].value, PAGE_FAULTS["GENERIC_ERROR"]).title)
        if status.state in (CartState.OPEN, CartState.IN_PROGRESS) or status.outcome is None:
            return "La sessione è scaduta" if status.state is CartState.EXPIRED else None
        code = shown_outcome(status.outcome).value
        total = status.attempt.total if status.attempt is not None else status.cart.total_amount
        return str(outcome_text(code).title) % {"amount": format_euro_it(total)}


# --- the scenario library -----------------------------------------------------------------------------


@bp.get("/scenarios")
def list_scenarios() -> Response:
    catalog = _catalog()
    return jsonify(
        compact(
            {
                "scenarios": [scenario_json(e) for e in catalog.entries()],
                "problems": [str(p) for p in catalog.problems] or None,
            }
        )
    )


@bp.get("/scenarios/schema")
def scenario_schema() -> Response:
    return Response(schema_bytes(), mimetype="application/schema+json")


@bp.post("/scenarios/reload")
def reload_scenarios() -> Response:
    count = _catalog().reload()
    return jsonify({"status": "reloaded", "scenarios": count})


def _station_script(step: StationStep) -> dict[str, Any] | None:
    """What the scenario answers in an EC station's place, by operation (None: nothing)."""
    script: dict[str, Any] = {}
    for name, call in (("verify", step.verify), ("activate", step.activate)):
        if call is not None:
            delay = format_duration(call.delay) if call.delay else None
            script[name] = compact({"answer": call.answer, "delay": delay})
    if step.receipt is not None:
        script["receipt"] = {"answer": step.receipt.answer, "times": step.receipt.times}
    return script or None


def scenario_json(entry: ScenarioEntry) -> dict[str, Any]:
    scenario, steps = entry.scenario, entry.scenario.steps
    fault = steps.fault
    final = steps.final_outcome
    return compact(
        {
            "id": scenario.id,
            "title": scenario.title,
            "description": scenario.description,
            "builtin": scenario.builtin,
            "overrides": scenario.overrides,
            "outcome": final.value if final is not None else None,
            "fault": fault.fault if fault is not None else None,
            "challenge": steps.authorize.challenge or None,
            "receipt": steps.receipt.mode.value,
            "receiptDelay": format_duration(steps.receipt.delay) if steps.receipt.delay else None,
            "user": steps.user.value,
            "station": _station_script(steps.station),
            "triggers": [{"kind": t.kind.value, "text": t.text} for t in entry.triggers],
        }
    )
