"""Which recorded events become notifications, with what body, to whom. Called by
``services.events.record`` in the transaction of the event, so the outbox rows commit (or roll
back) with the change they announce.

A cart may hold notices of several ECs: an attempt's events go to the endpoints of every EC in it
(one message, one webhook-id), a receipt's to its notice's EC. The cart's own ``notifyUrl`` is the
cart's EC's (the first notice's) and is signed with that EC's secret.
"""

from __future__ import annotations

from typing import Any

from simulator.domain.cart import Cart
from simulator.domain.events import Event
from simulator.domain.payment import OutcomeCode, PaymentAttempt
from simulator.notify import outbox
from simulator.notify.outbox import NOTIFIED_EVENTS
from simulator.notify.signing import new_message_id
from simulator.services.notifications import targets_for
from simulator.storage.store import Delivery, Tx

__all__ = ["enqueue_for"]

RECEIPT = "receipt.created"
_FIXED_OUTCOME = {
    "attempt.pending": "PENDING",
    "attempt.cancelled": "CANCELLED",
    "attempt.expired": "EXPIRED",
}


def enqueue_for(tx: Tx, tenant: str, event: Event) -> list[Delivery]:
    """Write the notifications ``event`` calls for (none for most events); returns them."""
    kind = event.type.value
    if kind not in NOTIFIED_EVENTS:
        return []
    attempt = tx.attempt(tenant, event.attempt_id) if event.attempt_id else None
    cart = tx.cart(tenant, event.cart_id) if event.cart_id else None
    choice = (attempt.scenario if attempt else None) or (cart.scenario if cart else None)
    scenario_id = choice.scenario_id if choice is not None else None
    if kind == RECEIPT:
        fiscal_code = str(event.data.get("fiscalCode", ""))
        payload = _receipt_payload(tx, tenant, event, fiscal_code)
        recipients = [fiscal_code]
    elif attempt is not None:
        payload = _attempt_payload(kind, event, attempt, cart)
        recipients = list(dict.fromkeys(n.fiscal_code for n in attempt.notices))
    else:
        return []
    primary = cart.notices[0].fiscal_code if cart is not None and cart.notices else None
    message_id = new_message_id()
    written: list[Delivery] = []
    for fiscal_code in recipients:
        notify_url = _notify_url(cart) if fiscal_code == primary else None
        targets = targets_for(tx, tenant, fiscal_code, kind, notify_url)
        written += outbox.enqueue(
            tx,
            tenant,
            kind,
            payload,
            targets,
            fiscal_code=fiscal_code,
            now=event.at,
            cart_id=event.cart_id,
            webhook_id=message_id,
            scenario_id=scenario_id,
        )
    return written


def _notify_url(cart: Cart | None) -> str | None:
    return getattr(cart, "notify_url", None) if cart is not None else None


def _outcome(kind: str, code: Any) -> str:
    if kind in _FIXED_OUTCOME:
        return _FIXED_OUTCOME[kind]
    return "OK" if code == OutcomeCode.SUCCESS.value else "KO"


def _attempt_payload(kind: str, event: Event, attempt: PaymentAttempt, cart: Cart | None) -> dict[str, Any]:
    code = event.data.get("outcome")
    payload: dict[str, Any] = {
        "cartId": attempt.cart_id,
        "idCart": attempt.id_cart or (cart.id_cart if cart else None),
        "transactionId": attempt.id,
        "fiscalCode": (cart.notices[0].fiscal_code if cart else attempt.notices[0].fiscal_code),
        "outcome": _outcome(kind, code),
        "outcomeCode": code,
        "totalAmount": attempt.amount,
        "fees": attempt.fee if attempt.psp_id else None,
        "pspId": attempt.psp_id,
        "notices": [
            {"fiscalCode": n.fiscal_code, "noticeNumber": n.nav, "iuv": n.iuv, "amount": n.amount}
            for n in attempt.notices
        ],
    }
    if kind == "attempt.pending" and event.data.get("resolvesAt"):
        payload["resolvesAt"] = event.data["resolvesAt"]
    return {k: v for k, v in payload.items() if v is not None}


def _receipt_payload(tx: Tx, tenant: str, event: Event, fiscal_code: str) -> dict[str, Any]:
    from simulator.services.offline import OFFLINE_PREFIX

    nav = str(event.data.get("nav", ""))
    paid = tx.paid_notice(tenant, fiscal_code, nav) if nav else None
    notice = paid.document.get("notice", {}) if paid else {}
    facts = paid.document.get("facts", {}) if paid else {}
    offline = paid is not None and paid.attempt_id.startswith(OFFLINE_PREFIX)
    payload: dict[str, Any] = {
        "fiscalCode": fiscal_code,
        "noticeNumber": nav,
        "iuv": event.data.get("iuv"),
        "receiptId": event.data.get("receiptId"),
        "amount": notice.get("amount"),
        "fee": facts.get("fee"),
        "paymentDate": facts.get("paid_at"),
        "channel": "offline" if offline else "online",
        "pspId": facts.get("id_psp"),
        "cartId": event.cart_id,
        "transactionId": None if offline else event.attempt_id,
    }
    return {k: v for k, v in payload.items() if v is not None}
