"""Certification runs under ``/_sandbox/v1/certifications``: start one, follow its progress, close
it, and read its report as JSON, JUnit XML or a printable page — any time, marked incomplete until
every case is decided."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from simulator.domain.certification import CaseState
from simulator.domain.errors import InvalidInput, SandboxNotFound
from simulator.services import certifications
from simulator.services.certifications import RunView
from simulator.web.certification_report import junit_xml
from simulator.web.pipeline import sandbox, unit
from simulator.web.sandbox_api import CART_ID as UUID
from simulator.web.wire import Fields, format_datetime

bp = Blueprint("certification_api", __name__, url_prefix="/_sandbox/v1/certifications")


@bp.post("")
def start() -> tuple[Response, int, dict[str, str]]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            "body", 'must be a JSON object like {"fiscalCode": "15376371009", "profile": "checkout-full"}'
        )
    f = Fields(body)
    fiscal_code = f.req_text("fiscalCode", max_len=32)
    if "profile" not in body:
        raise InvalidInput("profile", "is required")
    with unit() as u:
        profile = certifications.profile_of(u, body["profile"])
        run = certifications.start(u, fiscal_code, profile)
    view = _observe(run)
    location = url_for(".progress", run_id=run.id)
    return jsonify(progress_body(view)), 201, {"Location": location}


@bp.get("/<run_id>")
def progress(run_id: str) -> Response:
    return jsonify(progress_body(_view(run_id)))


@bp.post("/<run_id>/close")
def close(run_id: str) -> Response:
    with unit() as u:
        run = certifications.close(u, _run_id(run_id))
    return jsonify(progress_body(_observe(run)))


@bp.get("/<run_id>/report.xml")
def report_xml(run_id: str) -> Response:
    return Response(junit_xml(_view(run_id)), mimetype="application/xml")


@bp.get("/<run_id>/report.html")
def report_html(run_id: str) -> str:
    view = _view(run_id)
    return render_template("certification/report.html", view=view, body=progress_body(view))


def _run_id(run_id: str) -> str:
    if not UUID.fullmatch(run_id):
        raise SandboxNotFound("certification run", run_id)
    return run_id


def _view(run_id: str) -> RunView:
    with unit(write=False) as u:
        run = certifications.get(u, _run_id(run_id))
    return _observe(run)


def _observe(run: certifications.RunRecord) -> RunView:
    """The run's progress, read in the run's own tenant (its carts, notifications and journal)."""
    sb = sandbox()
    sb.journal.flush()  # the integrator's latest requests count
    with sb.unit(run.run_tenant, write=False) as ru:
        return certifications.observe(ru, run)


def progress_body(view: RunView) -> dict[str, Any]:
    run, p = view.run, view.progress
    return {
        "id": run.id,
        "tenant": run.run_tenant,
        "fiscalCode": run.fiscal_code,
        "profile": run.profile.id,
        "title": run.profile.title,
        "createdAt": format_datetime(run.created_at),
        "closedAt": format_datetime(run.closed_at) if run.closed_at else None,
        "complete": p.complete,
        "passed": p.complete and p.passed,
        "counts": p.counts,
        "cases": [
            {
                "id": c.case.id,
                "title": c.case.title,
                "scenario": c.case.scenario,
                "state": c.state.value,
                "cartId": c.facts.cart_id if c.facts else None,
                "checks": [
                    {"id": r.check.value, "verdict": r.verdict.value, "message": r.message} for r in c.results
                ]
                or [
                    {"id": k.value, "verdict": _unrun(c.state), "message": _unrun_message(c.state)}
                    for k in c.case.checks
                ],
                "timeline": [
                    {"at": format_datetime(at), "what": what}
                    for at, what in (c.facts.timeline if c.facts else ())
                ],
            }
            for c in p.cases
        ],
        "reports": {
            "junit": url_for(".report_xml", run_id=run.id),
            "html": url_for(".report_html", run_id=run.id),
        },
    }


def _unrun(state: CaseState) -> str:
    return "never ran" if state is CaseState.NEVER_RAN else "pending"


def _unrun_message(state: CaseState) -> str:
    if state is CaseState.NEVER_RAN:
        return "never ran: the run was closed before a cart took this case"
    return "waiting for a cart to take this case"
