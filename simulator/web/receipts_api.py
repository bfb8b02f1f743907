"""GPD receipts under ``/gpd/payments-receipts-service/v1``: the paged list and one receipt as XML."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from simulator.domain.codes import parse_fiscal_code
from simulator.domain.errors import DebtPositionError, GpdReason
from simulator.web.pipeline import require_subscription_key, sandbox, tenant
from simulator.web.wire import parse_datetime, query_int

bp = Blueprint("receipts_api", __name__, url_prefix="/gpd/payments-receipts-service/v1")


@bp.before_request
def _gateway() -> None:
    require_subscription_key()


@bp.get("/payments/<org>/receipts")
def list_receipts(org: str) -> Response:
    org = parse_fiscal_code(org, "organizationfiscalcode")
    page = query_int("pageNum", 0, 0, 10**6)
    size = query_int("pageSize", 20, 1, 100)
    args = request.args
    date_from = parse_datetime(args["from"], "from") if args.get("from") else None
    date_to = parse_datetime(args["to"], "to") if args.get("to") else None
    with sandbox().store.transaction() as tx:
        found = tx.list_receipts(
            tenant(),
            org,
            page=page,
            size=size,
            debtor=args.get("debtor"),
            date_from=date_from,
            date_to=date_to,
            debtor_or_iuv=args.get("debtorOrIuv"),
        )
    total_pages = -(-found.total // size) if found.total else 0
    return jsonify(
        {
            "currentPageNumber": page,
            "length": len(found.items),
            "totalPages": total_pages,
            "results": [r.document for r in found.items],
        }
    )


@bp.get("/payments/<org>/receipts/<iuv>")
def get_receipt(org: str, iuv: str) -> Response:
    org = parse_fiscal_code(org, "organizationfiscalcode")
    with sandbox().store.transaction() as tx:
        row = tx.receipt(tenant(), org, iuv)
    if row is None:
        raise DebtPositionError(GpdReason.RECEIPT_NOT_FOUND, org=org, iuv=iuv)
    return Response(row.xml, mimetype="application/xml")
