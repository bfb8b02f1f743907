"""GPD v1 (the PT's debt-position API) under ``/gpd/debt-positions-service/v1``: parse, one
service call, serialize."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import BadRequest

from simulator.domain.codes import parse_fiscal_code
from simulator.domain.debt_position import PositionStatus
from simulator.domain.errors import DebtPositionError, GpdReason, InvalidInput
from simulator.domain.queries import PositionQuery, date_window
from simulator.services import gpd
from simulator.web import gpd_wire
from simulator.web.json_provider import too_deep
from simulator.web.pipeline import require_subscription_key, unit
from simulator.web.wire import check_text, parse_date, query_int

bp = Blueprint("gpd_api", __name__, url_prefix="/gpd/debt-positions-service/v1")
ORG = "/organizations/<org>"
MAX_LIMIT = 50
# GPD's answer to a deletion (its ``Constants.DEBT_POSITION_DELETED``), as a JSON string: the
# spec's ``application/json`` string schema (README, Fidelity: Spring sends it unquoted).
DELETED = "The debt position was successfully deleted"

# GPD refuses a list filtered by both (in the order its message names them)
DUE_DATES = ("due_date_to", "due_date_from")
PAYMENT_DATES = ("payment_date_from", "payment_date_to")


@bp.before_request
def _gateway() -> None:
    require_subscription_key()


def _org(org: str) -> str:
    return parse_fiscal_code(org, "organizationfiscalcode")


def _iupd(iupd: str) -> str:
    return check_text(iupd, "iupd")


# GPD reads toPublish with Spring's boolean converter: trimmed, any case, true/on/yes/1 or
# false/off/no/0, empty meaning the default. Python's requests sends True as "True".
_TRUE = ("true", "on", "yes", "1")
_FALSE = ("false", "off", "no", "0", "")


def _to_publish() -> bool:
    value = request.args.get("toPublish", "false").strip().lower()
    if value not in _TRUE + _FALSE:
        raise InvalidInput("toPublish", "must be true or false")
    return value in _TRUE


def _json_body() -> object:
    body = None
    if request.is_json:
        try:
            body = request.get_json()
        except BadRequest as exc:
            if too_deep(exc):  # 1 MiB of "[" exhausts the decoder's recursion
                raise InvalidInput("body", "is nested too deeply") from None
    if body is None:
        raise InvalidInput("body", "must be a JSON object (Content-Type: application/json)")
    return body


@bp.get(f"{ORG}/debtpositions")
def list_positions(org: str) -> Response:
    org = _org(org)
    query = _list_query()
    with unit(write=False) as u:
        page = gpd.list_positions(u, org, query)
    total_pages = -(-page.total // query.limit) if page.total else 0
    return jsonify(
        {
            "payment_position_list": [gpd_wire.position_response(p) for p in page.items],
            "page_info": {
                "page": query.page,
                "limit": query.limit,
                "items_found": len(page.items),
                "total_pages": total_pages,
            },
        }
    )


def _list_query() -> PositionQuery:
    args = request.args
    limit = query_int("limit", 10, 1, MAX_LIMIT)
    page = query_int("page", 0, 0, 10**6)
    dates = {
        key: parse_date(args[key], key) if args.get(key) else None
        for key in ("due_date_from", "due_date_to", "payment_date_from", "payment_date_to")
    }
    status = args.get("status")
    if status is not None and status not in PositionStatus.__members__:
        raise InvalidInput("status", "must be one of " + ", ".join(PositionStatus.__members__))
    orderby = args.get("orderby", "INSERTED_DATE")
    if orderby not in ("INSERTED_DATE", "IUPD", "STATUS", "COMPANY_NAME"):
        raise InvalidInput("orderby", "must be one of INSERTED_DATE, IUPD, STATUS, COMPANY_NAME")
    ordering = args.get("ordering", "DESC")
    if ordering not in ("ASC", "DESC"):
        raise InvalidInput("ordering", "must be ASC or DESC")
    if any(key in args for key in DUE_DATES) and any(key in args for key in PAYMENT_DATES):
        raise DebtPositionError(GpdReason.EXCLUSIVE_PARAMETERS)
    for low, high in (DUE_DATES[::-1], PAYMENT_DATES):
        dates[low], dates[high] = date_window(dates[low], dates[high])
    return PositionQuery(
        page=page,
        limit=limit,
        status=PositionStatus(status) if status else None,
        orderby=orderby,
        ordering=ordering,
        **dates,
    )


@bp.post(f"{ORG}/debtpositions")
def create_position(org: str) -> tuple[Response, int]:
    org = _org(org)
    to_publish = _to_publish()
    position = gpd_wire.parse_position(_json_body(), org)
    with unit() as u:
        created = gpd.create(u, position, to_publish)
    return jsonify(gpd_wire.position_model(created)), 201


@bp.get(f"{ORG}/debtpositions/<iupd>")
def get_position(org: str, iupd: str) -> Response:
    org, iupd = _org(org), _iupd(iupd)
    with unit(write=False) as u:
        position = gpd.get(u, org, iupd)
    return jsonify(gpd_wire.position_response(position))


@bp.put(f"{ORG}/debtpositions/<iupd>")
def update_position(org: str, iupd: str) -> Response:
    org, iupd = _org(org), _iupd(iupd)
    to_publish = _to_publish()
    position = gpd_wire.parse_position(_json_body(), org)
    if position.iupd != iupd:
        raise InvalidInput("iupd", "must equal the IUPD of the path")
    with unit() as u:
        updated = gpd.update(u, org, iupd, position, to_publish)
    return jsonify(gpd_wire.position_model(updated))


@bp.delete(f"{ORG}/debtpositions/<iupd>")
def delete_position(org: str, iupd: str) -> Response:
    org, iupd = _org(org), _iupd(iupd)
    with unit() as u:
        gpd.delete(u, org, iupd)
    return jsonify(DELETED)


@bp.post(f"{ORG}/debtpositions/<iupd>/publish")
def publish_position(org: str, iupd: str) -> Response:
    org, iupd = _org(org), _iupd(iupd)
    with unit() as u:
        published = gpd.publish(u, org, iupd)
    return jsonify(gpd_wire.position_model(published))


@bp.post(f"{ORG}/debtpositions/<iupd>/invalidate")
def invalidate_position(org: str, iupd: str) -> Response:
    org, iupd = _org(org), _iupd(iupd)
    with unit() as u:
        invalidated = gpd.invalidate(u, org, iupd)
    return jsonify(gpd_wire.position_model(invalidated))


@bp.post(f"{ORG}/paymentoptions/paids/<nav>")
def pay_option(org: str, nav: str) -> Response:
    org, nav = _org(org), check_text(nav, "nav")
    body = _json_body() if request.content_length else None
    report = gpd_wire.parse_payment(body)
    with unit() as u:
        paid = gpd.mark_paid(u, org, nav, report)
    option = paid.option_by_nav(nav)
    assert option is not None
    return jsonify(gpd_wire.option_response(paid, option))
