"""Steering from the dashboard: plain form posts (CSRF-checked by ``dashboard_frame``) that call the
same use cases as the sandbox API — a cart's scenario, completing or cancelling it, paying a
notice offline, the tenant's clock and reset, redelivering a notification — in the viewed tenant
only (another tenant's cart or delivery is not found there), then go back where they came from."""

from __future__ import annotations

from flask import Response, request

from simulator.domain.errors import InvalidInput, SandboxNotFound
from simulator.scenario.model import UserAction
from simulator.services import control, notifications, offline, tenant_clock
from simulator.services.control import CompleteRequest
from simulator.services.scenario_engine import parse_requested_outcome
from simulator.web.dashboard import cart_id_or_404
from simulator.web.dashboard_frame import PREFIX, blueprint, dashboard_unit
from simulator.web.errors import see_other
from simulator.web.pipeline import sandbox

bp = blueprint("dashboard_actions", __name__)

SCENARIO_ID_MAX = 200
MAX_ADVANCE_SECONDS = 100 * 365 * 24 * 3600


def _field(name: str, max_len: int = 64) -> str:
    value = request.form.get(name, "").strip()
    if not value:
        raise InvalidInput(name, "is required")
    if len(value) > max_len or "\x00" in value:
        raise InvalidInput(name, f"must be at most {max_len} characters")
    return value


def _back_to_cart(cart_id: str, done: str) -> Response:
    return see_other(f"{PREFIX}/carts/{cart_id}?done={done}")


@bp.post("/carts/<cart_id>/scenario")
def choose_scenario(cart_id: str) -> Response:
    cart_id = cart_id_or_404(cart_id)
    scenario_id = _field("scenario", SCENARIO_ID_MAX)
    with dashboard_unit(write=True) as u:
        control.choose_scenario(u, cart_id, scenario_id)
    return _back_to_cart(cart_id, "scenario")


@bp.post("/carts/<cart_id>/complete")
def complete(cart_id: str) -> Response:
    cart_id = cart_id_or_404(cart_id)
    outcome = request.form.get("outcome", "").strip()
    run = CompleteRequest(outcome=parse_requested_outcome(outcome) if outcome else None)
    with dashboard_unit(write=True) as u:
        control.complete(u, cart_id, run)
    return _back_to_cart(cart_id, "complete")


@bp.post("/carts/<cart_id>/cancel")
def cancel(cart_id: str) -> Response:
    cart_id = cart_id_or_404(cart_id)
    with dashboard_unit(write=True) as u:
        control.complete(u, cart_id, CompleteRequest(user=UserAction.CANCELS))
    return _back_to_cart(cart_id, "cancel")


@bp.post("/deliveries/<delivery_id>/redeliver")
def redeliver(delivery_id: str) -> Response:
    if len(delivery_id) > 64:
        raise SandboxNotFound("delivery", delivery_id[:64])
    with dashboard_unit(write=True) as u:
        copy = notifications.redeliver(u, delivery_id)
    if copy.cart_id is not None:
        return _back_to_cart(copy.cart_id, "redeliver")
    return see_other(f"{PREFIX}/notifications?done=redeliver")


@bp.post("/notices/pay")
def pay_offline() -> Response:
    fiscal_code, nav = _field("fiscalCode", 11), _field("noticeNumber", 18)
    with dashboard_unit(write=True) as u:
        offline.pay_offline(u, fiscal_code, nav)
    return see_other(f"{PREFIX}/?done=paid")


@bp.post("/clock/advance")
def advance_clock() -> Response:
    raw = _field("seconds", 12)
    if not raw.isdigit() or int(raw) > MAX_ADVANCE_SECONDS:
        raise InvalidInput("seconds", f"must be a whole number from 0 to {MAX_ADVANCE_SECONDS}")
    with dashboard_unit(write=True) as u:
        tenant_clock.advance(u, int(raw))
    return see_other(f"{PREFIX}/?done=clock")


@bp.post("/reset")
def reset() -> Response:
    if request.form.get("confirm") != "yes":
        raise InvalidInput("confirm", "tick the box to confirm the reset")
    sandbox().journal.flush()  # what this process journaled before the reset goes with it
    with dashboard_unit(write=True) as u:
        u.tenants.reset()
    return see_other(f"{PREFIX}/?done=reset")
