"""GPD receipts under ``/gpd/payments-receipts-service/v1``: the paged list and one receipt as XML."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify, request

from simulator.domain.codes import parse_fiscal_code
from simulator.domain.italian_time import italian_date
from simulator.services import gpd_receipts as receipts
from simulator.web.pipeline import require_subscription_key, unit
from simulator.web.wire import check_text, parse_date, parse_datetime, query_int

bp = Blueprint("receipts_api", __name__, url_prefix="/gpd/payments-receipts-service/v1")


@bp.before_request
def _gateway() -> None:
    require_subscription_key()


@bp.get("/payments/<org>/receipts")
def list_receipts(org: str) -> Response:
    org = parse_fiscal_code(org, "organizationfiscalcode")
    query = receipts.ReceiptQuery(
        page=query_int("pageNum", 0, 0, 10**6),
        size=query_int("pageSize", 20, 1, 100),
        debtor=_text_arg("debtor"),
        date_from=_day_arg("from"),
        date_to=_day_arg("to"),
        debtor_or_iuv=_text_arg("debtorOrIuv"),
    )
    with unit(write=False) as u:
        found = receipts.find_receipts(u, org, query)
    return jsonify(
        {
            "currentPageNumber": found.page,
            "length": len(found.items),
            "totalPages": found.total_pages,
            "results": found.items,
        }
    )


@bp.get("/payments/<org>/receipts/<iuv>")
def get_receipt(org: str, iuv: str) -> Response:
    org = parse_fiscal_code(org, "organizationfiscalcode")
    iuv = check_text(iuv, "iuv")
    with unit(write=False) as u:
        xml = receipts.receipt_xml(u, org, iuv)
    return Response(xml, mimetype="application/xml")


def _day_arg(name: str) -> date | None:
    """A day (``2026-03-02``, as production reads it); a date-time is taken as its Italian day."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if len(value) == len("2026-03-02"):
        return parse_date(value, name)
    return italian_date(parse_datetime(value, name))


def _text_arg(name: str) -> str | None:
    value = request.args.get(name)
    return check_text(value, name) if value else None
