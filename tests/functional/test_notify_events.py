"""Which events become notifications and what their bodies say: an attempt's final outcome to the
endpoints of every EC in it, a receipt to its EC, other events to nobody."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import Flask

from simulator.domain.events import Event, EventType
from simulator.domain.psps import PaymentMethod
from simulator.services import outbound, payments
from simulator.services.payments import NoticeRequest
from tests.conftest import START, ApiClient, Calls
from tests.functional.notify_factories import sandbox_of

EC_A, EC_B = "80078750587", "01234567890"  # no positions: synthetic notices
HOOK_A, HOOK_B = "https://a.example/hook", "https://b.example/hook"


def subscribe(api: ApiClient, fiscal_code: str, url: str) -> None:
    assert api.post("/_sandbox/v1/webhooks", json={"url": url, "fiscalCode": fiscal_code}).status_code == 201


def paid_attempt(app: Flask, nav_a: str = "302000000000000017", nav_b: str = "302000000000000025") -> str:
    svc = Calls(sandbox_of(app), payments)
    attempt = svc.start_attempt(
        "default",
        [NoticeRequest(EC_A, nav_a, 2500, "Mensa"), NoticeRequest(EC_B, nav_b, 1000, "Tassa")],
    )
    svc.choose_method("default", attempt.id, PaymentMethod.CP)
    svc.authorize("default", attempt.id, 0)
    return attempt.id


def notify(app: Flask, event: Event) -> list[dict[str, object]]:
    sb = sandbox_of(app)
    with sb.unit("default") as unit:
        attempt = unit.checkout.attempt(event.attempt_id) if event.attempt_id else None
        cart = unit.checkout.cart(event.cart_id) if event.cart_id else None
        if event.type is EventType.RECEIPT_CREATED:
            paid = unit.receipts.paid_notice(str(event.data["fiscalCode"]), str(event.data["nav"]))
            assert paid is not None
            rows = outbound.receipt_created(unit, event, paid, attempt, cart)
        else:
            assert attempt is not None
            rows = outbound.attempt_ended(unit, event, attempt, cart)
    return [
        {"url": r.url, "fiscalCode": r.fiscal_code, "webhookId": r.webhook_id, **json.loads(r.body)}
        for r in rows
    ]


def test_an_attempts_outcome_goes_to_every_ec_of_it_as_one_message(app: Flask, api: ApiClient) -> None:
    subscribe(api, EC_A, HOOK_A)
    subscribe(api, EC_B, HOOK_B)
    attempt_id = paid_attempt(app)

    sent = notify(
        app, Event(EventType.ATTEMPT_CLOSED, START, None, attempt_id, {"outcome": 0, "state": "NOTIFIED_OK"})
    )

    assert sorted(m["url"] for m in sent) == [HOOK_A, HOOK_B]  # type: ignore[type-var]
    assert len({m["webhookId"] for m in sent}) == 1
    data = sent[0]["data"]
    assert data["outcome"] == "OK" and data["outcomeCode"] == 0  # type: ignore[index]
    assert data["transactionId"] == attempt_id and data["totalAmount"] == 3500  # type: ignore[index]
    assert data["fees"] > 0 and data["pspId"]  # type: ignore[index]
    assert [n["noticeNumber"] for n in data["notices"]] == ["302000000000000017", "302000000000000025"]  # type: ignore[index]
    assert sent[0]["type"] == "attempt.closed" and sent[0]["timestamp"] == "2026-03-02T09:00:00.000Z"


def test_a_refused_payment_is_a_ko_with_its_code(app: Flask, api: ApiClient) -> None:
    subscribe(api, EC_A, HOOK_A)
    attempt_id = paid_attempt(app)

    [sent] = [
        m
        for m in notify(app, Event(EventType.ATTEMPT_CLOSED, START, None, attempt_id, {"outcome": 2}))
        if m["url"] == HOOK_A
    ]

    assert sent["data"]["outcome"] == "KO" and sent["data"]["outcomeCode"] == 2  # type: ignore[index]


def test_pending_cancelled_and_expired_say_so(app: Flask, api: ApiClient) -> None:
    subscribe(api, EC_A, HOOK_A)
    attempt_id = paid_attempt(app)
    later = START + timedelta(minutes=1)

    for kind, outcome in (
        (EventType.ATTEMPT_PENDING, "PENDING"),
        (EventType.ATTEMPT_CANCELLED, "CANCELLED"),
        (EventType.ATTEMPT_EXPIRED, "EXPIRED"),
        (EventType.ATTEMPT_RESOLVED, "OK"),
    ):
        [sent] = notify(app, Event(kind, later, None, attempt_id, {"outcome": 0}))
        assert sent["type"] == kind.value and sent["data"]["outcome"] == outcome  # type: ignore[index]


def test_a_receipt_goes_to_its_own_ec_only(app: Flask, api: ApiClient) -> None:
    subscribe(api, EC_A, HOOK_A)
    subscribe(api, EC_B, HOOK_B)
    attempt_id = paid_attempt(app)
    event = Event(
        EventType.RECEIPT_CREATED,
        START,
        None,
        attempt_id,
        {"fiscalCode": EC_B, "nav": "302000000000000025", "iuv": "02000000000000025", "receiptId": "r1"},
    )

    [sent] = notify(app, event)

    assert sent["url"] == HOOK_B and sent["fiscalCode"] == EC_B
    data = sent["data"]
    assert data["noticeNumber"] == "302000000000000025" and data["amount"] == 1000  # type: ignore[index]
    assert data["channel"] == "online" and data["transactionId"] == attempt_id  # type: ignore[index]
    assert data["receiptId"] == "r1" and data["paymentDate"].startswith("2026-03-02")  # type: ignore[index]


def test_other_events_and_ecs_without_endpoints_notify_nobody(app: Flask, api: ApiClient) -> None:
    attempt_id = paid_attempt(app)

    assert notify(app, Event(EventType.ATTEMPT_CLOSED, START, None, attempt_id, {"outcome": 0})) == []
    subscribe(api, EC_A, HOOK_A)
    paid_attempt(app, nav_a="302000000000000033", nav_b="302000000000000041")
    kinds = {d["event"] for d in api.get("/_sandbox/v1/deliveries").get_json()["deliveries"]}
    assert kinds == {"attempt.closed", "receipt.created"}  # method, PSP, authorization...: nobody


def test_a_subscription_to_receipts_only_gets_no_outcomes(app: Flask, api: ApiClient) -> None:
    api.post("/_sandbox/v1/webhooks", json={"url": HOOK_A, "fiscalCode": EC_A, "events": ["receipt.created"]})
    attempt_id = paid_attempt(app)

    assert notify(app, Event(EventType.ATTEMPT_CLOSED, START, None, attempt_id, {"outcome": 0})) == []
