"""The proposal's sandbox API under ``/_sandbox/v1``: webhook subscriptions, the delivery log and
redelivery, and an EC's notification settings (endpoint, secret, return-URL allowlist)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from simulator.domain.ec_settings import EcSettings
from simulator.domain.errors import InvalidInput, SandboxNotFound
from simulator.domain.notification import Delivery, DeliveryAttempt, DeliveryQuery, WebhookRow
from simulator.domain.station import Station
from simulator.services import notifications, offline
from simulator.services.notifications import OrganizationView
from simulator.services.offline import NoticeStatus
from simulator.services.outbound import NOTIFIED_EVENTS, STATUSES
from simulator.services.station import RECEIPT_OPERATIONS
from simulator.web.pipeline import unit
from simulator.web.wire import Fields, compact, format_datetime, query_int

bp = Blueprint("notify_api", __name__, url_prefix="/_sandbox/v1")

CART_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _body() -> Fields:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput("body", "must be a JSON object")
    return Fields(body)


# --- webhooks ------------------------------------------------------------------------------------


@bp.post("/webhooks")
def create_webhook() -> tuple[Response, int]:
    f = _body()
    events = None
    if f.data.get("events") is not None:
        raw = f.items("events", max_items=len(NOTIFIED_EVENTS))
        if not all(isinstance(e, str) for e in raw):
            raise InvalidInput("events", "must be a list of event type names")
        events = raw
    url, fiscal_code = f.req_text("url", max_len=2048), f.req_text("fiscalCode", max_len=11)
    with unit() as u:
        row = notifications.subscribe(u, url, fiscal_code, events, request.host_url)
    return jsonify({**_webhook(row), "secret": row.secret}), 201


@bp.get("/webhooks")
def list_webhooks() -> Response:
    with unit(write=False) as u:
        rows = notifications.webhooks(u, request.args.get("fiscalCode") or None)
    return jsonify({"webhooks": [_webhook(r) for r in rows]})


@bp.delete("/webhooks/<webhook_id>")
def delete_webhook(webhook_id: str) -> tuple[str, int]:
    webhook_id = _known_id("webhook", webhook_id)
    with unit() as u:
        notifications.unsubscribe(u, webhook_id)
    return "", 204


def _webhook(row: WebhookRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "fiscalCode": row.fiscal_code,
        "events": list(row.events) if row.events is not None else list(NOTIFIED_EVENTS),
    }


# --- deliveries ----------------------------------------------------------------------------------


@bp.get("/deliveries")
def list_deliveries() -> Response:
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        raise InvalidInput("status", f"must be one of {', '.join(STATUSES)}")
    event = args.get("event") or None
    known = NOTIFIED_EVENTS + RECEIPT_OPERATIONS  # and what goes to a creditor's station
    if event is not None and event not in known:
        raise InvalidInput("event", f"must be one of {', '.join(known)}")
    cart = args.get("cart") or None
    if cart is not None and not _is_cart_id(cart):
        raise InvalidInput("cart", "must be a cart id (a UUID)")
    query = DeliveryQuery(
        status=status,
        event_type=event,
        cart_id=cart,
        webhook_id=(args.get("webhookId") or None),
        limit=query_int("limit", 100, 1, 1000),
    )
    with unit(write=False) as u:
        rows = notifications.deliveries(u, query)
    return jsonify({"deliveries": [_delivery(d) for d in rows]})


@bp.get("/deliveries/<delivery_id>")
def get_delivery(delivery_id: str) -> Response:
    delivery_id = _known_id("delivery", delivery_id)
    with unit(write=False) as u:
        detail = notifications.delivery(u, delivery_id)
    return jsonify(
        {
            **_delivery(detail.delivery),
            **_body_of(detail.delivery),
            "attempts": [_attempt(a) for a in detail.attempts],
        }
    )


@bp.post("/deliveries/<delivery_id>/redeliver")
def redeliver(delivery_id: str) -> tuple[Response, int]:
    delivery_id = _known_id("delivery", delivery_id)
    with unit() as u:
        copy = notifications.redeliver(u, delivery_id)
    return jsonify(_delivery(copy)), 202


def _known_id(kind: str, value: str) -> str:
    """A webhook or delivery id as given: one no id could be (a NUL, too long) names nothing."""
    if "\x00" in value or len(value) > 64:
        raise SandboxNotFound(kind, value[:64].replace("\x00", ""))
    return value


def _is_cart_id(text: str) -> bool:
    import re

    return re.fullmatch(CART_ID, text) is not None


def _delivery(d: Delivery) -> dict[str, Any]:
    return compact(
        {
            "id": d.id,
            "webhookId": d.webhook_id,
            "event": d.event_type,
            "status": d.status,
            "url": d.url,
            "fiscalCode": d.fiscal_code,
            "cartId": d.cart_id,
            "subscriptionId": d.subscription_id,
            "attemptCount": d.attempts,
            "createdAt": format_datetime(d.created_at),
            "nextAttemptAt": format_datetime(d.next_attempt_at),
            "deliveredAt": format_datetime(d.delivered_at),
            "lastStatus": d.last_status,
            "lastError": d.last_error,
            "redeliveryOf": d.redelivery_of,
        }
    )


def _body_of(d: Delivery) -> dict[str, Any]:
    """A webhook's JSON payload, or the SOAP envelope sent to a creditor's station."""
    if d.body.startswith("<"):
        return {"soapBody": d.body}
    return {"payload": json.loads(d.body)}


def _attempt(a: DeliveryAttempt) -> dict[str, Any]:
    return compact(
        {
            "number": a.number,
            "at": format_datetime(a.at),
            "statusCode": a.status,
            "error": a.error,
            "latencyMs": a.latency_ms,
            "responseExcerpt": a.response_excerpt,
            "simulated": a.simulated,
            "worker": a.worker,
        }
    )


# --- an EC's notification settings ----------------------------------------------------------------


@bp.get("/organizations/<fiscal_code>")
def get_organization(fiscal_code: str) -> Response:
    with unit() as u:  # the EC (and its secret) are created on first use
        view = notifications.organization(u, fiscal_code)
    return jsonify(_organization(view))


@bp.put("/organizations/<fiscal_code>")
def put_organization(fiscal_code: str) -> Response:
    f = _body()
    prefixes = f.items("returnUrlAllowlist")
    if not all(isinstance(p, str) for p in prefixes):
        raise InvalidInput("returnUrlAllowlist", "must be a list of URL prefixes")
    new = EcSettings(
        notification_url=f.text("notificationUrl", max_len=2048),
        return_url_allowlist=tuple(prefixes),
        append_outcome=f.boolean("appendOutcome"),
        secret=f.text("secret", max_len=120),
    )
    station: Station | object | None = notifications.KEEP_STATION
    if "station" in f.data:
        station = _station(f.obj("station"))
    with unit() as u:
        view = notifications.set_organization(u, fiscal_code, new, station, reached_at=request.host_url)
    return jsonify(_organization(view))


def _station(f: Fields | None) -> Station | None:
    """The EC's own station (``null`` removes it)."""
    if f is None:
        return None
    version = f.integer("version")
    return Station(
        url=f.req_text("url", max_len=2048),
        id_broker_pa=f.req_text("idBrokerPA", max_len=35),
        id_station=f.req_text("idStation", max_len=35),
        version=2 if version is None else version,
        redirect_url=f.text("redirectUrl", max_len=2048),
        password=f.text("password", max_len=15),
    )


def _organization(view: OrganizationView) -> dict[str, Any]:
    s = view.settings
    return {
        "fiscalCode": view.organization.fiscal_code,
        "companyName": view.organization.company_name,
        "notificationUrl": s.notification_url,
        "returnUrlAllowlist": list(s.return_url_allowlist),
        "appendOutcome": s.append_outcome,
        "secret": s.secret,
        "station": None
        if view.station is None
        else {  # the password is never shown again
            "url": view.station.url,
            "idBrokerPA": view.station.id_broker_pa,
            "idStation": view.station.id_station,
            "version": view.station.version,
            "redirectUrl": view.station.redirect_url,
            "hasPassword": view.station.password is not None,
        },
    }


# --- the status query and offline payment ---------------------------------------------------------


@bp.get("/notices/<fiscal_code>/<nav>")
def notice_status(fiscal_code: str, nav: str) -> Response:
    with unit(write=False) as u:
        status = offline.notice_status(u, fiscal_code, nav)
    return jsonify(_notice(status))


@bp.post("/notices/<fiscal_code>/<nav>/pay")
def pay_offline(fiscal_code: str, nav: str) -> tuple[Response, int]:
    raw = request.get_data(cache=True)
    f = _body() if raw.strip() else Fields({})
    channel, psp_id = f.text("channel", max_len=35), f.text("psp", max_len=35)
    fee = f.integer("fee", minimum=0) or 0
    with unit() as u:
        status = offline.pay_offline(u, fiscal_code, nav, channel=channel, psp_id=psp_id, fee=fee)
    return jsonify(_notice(status)), 201


def _notice(status: NoticeStatus) -> dict[str, Any]:
    summary = status.summary
    return {
        "fiscalCode": status.fiscal_code,
        "noticeNumber": status.nav,
        "iuv": status.iuv,
        "status": status.status,
        "paid": status.status == "PAID",
        "receipt": None
        if summary is None
        else compact(
            {
                "receiptId": summary.receipt_id,
                "paymentDate": format_datetime(summary.payment_date),
                "amount": summary.amount,
                "fee": summary.fee,
                "pspId": summary.psp_id,
                "channel": summary.channel,
            }
        ),
    }
