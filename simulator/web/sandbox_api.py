"""The sandbox's own API under ``/_sandbox/v1``: health, the tenant clock, fresh notice numbers."""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from simulator import __version__
from simulator.domain.codes import parse_fiscal_code
from simulator.domain.errors import InvalidInput
from simulator.domain.journal import JournalEntry, JournalQuery
from simulator.services import journal, tenant_clock
from simulator.services.notices import fresh_notice
from simulator.services.reset import reset_tenant
from simulator.services.unit import Unit
from simulator.web.pipeline import sandbox, tenant, unit
from simulator.web.wire import Fields, compact, format_datetime, parse_datetime, query_int

CART_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

bp = Blueprint("sandbox_api", __name__, url_prefix="/_sandbox/v1")

MAX_ADVANCE_SECONDS = 100 * 365 * 24 * 3600


@bp.get("/health")
def health() -> Response:
    sandbox().database.ping()
    return jsonify({"status": "ok", "version": __version__})


def _clock_body(u: Unit) -> Response:
    return jsonify({"tenant": u.tenant, "now": format_datetime(u.now), "offsetSeconds": u.offset})


@bp.get("/clock")
def get_clock() -> Response:
    with unit(write=False) as u:
        return _clock_body(u)


@bp.post("/clock/advance")
def advance_clock() -> Response:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("body", 'must be a JSON object like {"seconds": 60}')
    f = Fields(body)
    seconds = f.req_integer("seconds", minimum=0)
    if seconds > MAX_ADVANCE_SECONDS:
        raise InvalidInput("seconds", f"must be at most {MAX_ADVANCE_SECONDS} (100 years)")
    with unit() as u:
        now, offset = tenant_clock.advance(u, seconds)  # what comes due is applied by the next unit
    return jsonify({"tenant": tenant(), "now": format_datetime(now), "offsetSeconds": offset})


@bp.get("/organizations/<fiscal_code>/iuv")
def new_iuv(fiscal_code: str) -> Response:
    fiscal_code = parse_fiscal_code(fiscal_code)
    with unit() as u:
        notice = fresh_notice(u, fiscal_code)
    return jsonify(
        {
            "organizationFiscalCode": notice.fiscal_code,
            "segregationCode": notice.segregation_code,
            "iuv": notice.iuv,
            "nav": notice.nav.value,
            "rptId": notice.fiscal_code + notice.nav.value,
        }
    )


@bp.post("/reset")
def reset() -> tuple[str, int]:
    sandbox().journal.flush()  # what this process journaled before the reset goes with it
    with unit() as u:
        reset_tenant(u)
    return "", 204


@bp.get("/journal")
def read_journal() -> Response:
    args = request.args
    status = args.get("status")
    if status is not None and not (status.isdigit() and 100 <= int(status) <= 599):
        raise InvalidInput("status", "must be an HTTP status code")
    cart = args.get("cart")
    if cart is not None and not CART_ID.fullmatch(cart):
        raise InvalidInput("cart", "must be a cart id (a UUID)")
    query = JournalQuery(
        path=args.get("path") or None,
        status=int(status) if status is not None else None,
        cart_id=cart,
        since=parse_datetime(args["since"], "since") if args.get("since") else None,
        limit=query_int("limit", 100, 1, 1000),
    )
    sandbox().journal.flush()  # this process's entries first, so a reader sees its own requests
    with unit(write=False) as u:
        entries = journal.read(u, query)
    return jsonify({"entries": [_entry(e) for e in entries]})


@bp.delete("/journal")
def clear_journal() -> tuple[str, int]:
    sandbox().journal.flush()
    with unit() as u:
        journal.clear(u)
    return "", 204


def _entry(e: JournalEntry) -> dict[str, object]:
    return compact(
        {
            "id": e.id,
            "at": format_datetime(e.at),
            "direction": e.direction,
            "method": e.method,
            "url": e.url,
            "path": e.path,
            "status": e.status,
            "latencyMs": e.latency_ms,
            "cartId": e.cart_id,
            "requestBody": e.request_body,
            "responseBody": e.response_body,
        }
    )
