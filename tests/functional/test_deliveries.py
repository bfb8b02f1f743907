"""Delivering notifications from the outbox with a mock transport: signatures, retries on the
tenant clock, giving up, redelivery, the delivery log, leases and tenant isolation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from standardwebhooks import Webhook

from simulator.config import Settings
from simulator.notify.transport import ConnectionFailed, Request, Response, Timeout
from simulator.services.clock import FixedClock
from simulator.services.delivery import EXCERPT_LIMIT, Notifier
from tests.conftest import START, ApiClient
from tests.functional.notify_factories import EC, RECEIVER, announce, answering, notifier, sandbox_of

CART = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def subscribe(api: ApiClient, url: str = RECEIVER, **body: object) -> dict[str, str]:
    answer = api.post("/_sandbox/v1/webhooks", json={"url": url, "fiscalCode": EC, **body})
    assert answer.status_code == 201
    return answer.get_json()  # type: ignore[no-any-return]


def advance(api: ApiClient, seconds: int) -> None:
    assert api.post("/_sandbox/v1/clock/advance", json={"seconds": seconds}).status_code == 200


def delivery(api: ApiClient, delivery_id: str) -> dict[str, Any]:
    answer = api.get(f"/_sandbox/v1/deliveries/{delivery_id}")
    assert answer.status_code == 200
    return answer.get_json()  # type: ignore[no-any-return]


def assert_signed(request: Request, secret: str) -> None:
    """The Standard Webhooks signature of ``request`` under ``secret`` (the timestamp is the
    tests' fixed clock, so it is recomputed rather than checked against the real time)."""
    headers = request.headers
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]))
    expected = Webhook(secret).sign(headers["webhook-id"], at, request.body.decode())
    assert headers["webhook-signature"] == expected


def test_a_notification_is_posted_signed_to_the_subscription_and_logged(app: Flask, api: ApiClient) -> None:
    hook = subscribe(api)
    [delivery_id] = announce(app, cart_id=CART, data={"outcome": "OK", "outcomeCode": 0, "cartId": CART})
    worker, transport = notifier(app)

    assert worker.deliver_due() == 1

    [request] = transport.requests
    assert request.url == RECEIVER
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["webhook-timestamp"] == str(int(START.timestamp()))
    assert_signed(request, hook["secret"])
    log = delivery(api, delivery_id)
    assert log["status"] == "delivered"
    assert log["webhookId"] == request.headers["webhook-id"]
    assert log["payload"] == {
        "type": "attempt.closed",
        "timestamp": "2026-03-02T09:00:00.000Z",
        "data": {"outcome": "OK", "outcomeCode": 0, "cartId": CART},
    }
    [attempt] = log["attempts"]
    assert attempt["number"] == 1 and attempt["statusCode"] == 204 and attempt["simulated"] is False
    assert attempt["latencyMs"] >= 0
    assert worker.deliver_due() == 0


def test_nothing_is_sent_inside_the_request_that_enqueues(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    announce(app)
    _, transport = notifier(app)

    assert transport.requests == []
    assert api.get("/_sandbox/v1/deliveries?status=pending").get_json()["deliveries"][0]["attemptCount"] == 0


def test_a_500_is_retried_once_the_tenant_clock_reaches_the_next_attempt(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    [delivery_id] = announce(app)
    worker, transport = notifier(app, answering(500, 200))

    assert worker.deliver_due() == 1
    pending = delivery(api, delivery_id)
    assert pending["status"] == "pending"
    assert pending["lastStatus"] == 500 and pending["lastError"] == "HTTP 500"
    assert pending["nextAttemptAt"] == "2026-03-02T09:00:30.000Z"
    assert worker.deliver_due() == 0
    advance(api, 29)
    assert worker.deliver_due() == 0
    advance(api, 1)
    assert worker.deliver_due() == 1

    done = delivery(api, delivery_id)
    assert done["status"] == "delivered" and done["deliveredAt"] == "2026-03-02T09:00:30.000Z"
    assert [a["statusCode"] for a in done["attempts"]] == [500, 200]
    assert len({r.headers["webhook-id"] for r in transport.requests}) == 1
    assert transport.requests[0].body == transport.requests[1].body


def test_delivery_gives_up_after_the_last_step_of_the_schedule(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    [delivery_id] = announce(app)
    worker, transport = notifier(app, answering(503))

    for wait in (0, 30, 120, 600, 3600, 21600):
        advance(api, wait)
        assert worker.deliver_due() == 1
    advance(api, 10 * 86400)
    assert worker.deliver_due() == 0

    failed = delivery(api, delivery_id)
    assert failed["status"] == "failed" and "nextAttemptAt" not in failed
    assert len(failed["attempts"]) == 6 == len(transport.requests)


def test_the_retry_schedule_comes_from_the_settings(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    from simulator.app import create_app

    app = create_app(
        settings.with_(database_url=f"sqlite:///{tmp_path}/s.sqlite3", notify_retry_schedule=(0, 5)),
        clock=clock,
    )
    api = ApiClient(app.test_client())
    subscribe(api)
    [delivery_id] = announce(app)
    worker, _ = notifier(app, answering(500))

    worker.deliver_due()
    advance(api, 5)
    worker.deliver_due()

    assert delivery(api, delivery_id)["status"] == "failed"
    app.extensions["sandbox"].close()


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (Timeout("no answer within 10s"), "timeout: no answer within 10s"),
        (ConnectionFailed("refused"), "connectionfailed: refused"),
    ],
)
def test_an_endpoint_that_hangs_or_refuses_is_a_failed_attempt(
    app: Flask, api: ApiClient, raised: Exception, error: str
) -> None:
    subscribe(api)
    [delivery_id] = announce(app)

    def handler(_request: Request) -> Response:
        raise raised

    worker, _ = notifier(app, handler)
    worker.deliver_due()

    log = delivery(api, delivery_id)
    assert log["status"] == "pending" and log["lastError"] == error
    assert "statusCode" not in log["attempts"][0]


def test_a_redirect_is_not_followed_and_counts_as_a_failure(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    [delivery_id] = announce(app)
    worker, transport = notifier(
        app, lambda _r: Response(302, b"", {"Location": "https://elsewhere.example/"})
    )

    worker.deliver_due()

    log = delivery(api, delivery_id)
    assert log["status"] == "pending" and log["lastStatus"] == 302
    assert log["lastError"] == "HTTP 302: redirect to https://elsewhere.example/ not followed"
    assert len(transport.requests) == 1


def test_a_huge_response_body_is_kept_as_a_bounded_excerpt(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    [delivery_id] = announce(app)
    worker, _ = notifier(app, lambda _r: Response(200, b"x" * (5 * 1024 * 1024)))

    worker.deliver_due()

    log = delivery(api, delivery_id)
    assert log["status"] == "delivered"
    excerpt = log["attempts"][0]["responseExcerpt"]
    assert excerpt == "x" * EXCERPT_LIMIT + "…[truncated]"


def test_redelivery_sends_the_same_message_again_with_the_same_webhook_id(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    [delivery_id] = announce(app)
    worker, transport = notifier(app)
    worker.deliver_due()

    answer = api.post(f"/_sandbox/v1/deliveries/{delivery_id}/redeliver")

    assert answer.status_code == 202
    again = answer.get_json()
    assert again["id"] != delivery_id and again["redeliveryOf"] == delivery_id
    assert again["status"] == "pending" and again["webhookId"] == delivery(api, delivery_id)["webhookId"]
    assert worker.deliver_due() == 1
    first, second = transport.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert delivery(api, again["id"])["status"] == "delivered"


def test_redelivering_an_unknown_delivery_is_a_404(api: ApiClient) -> None:
    answer = api.post("/_sandbox/v1/deliveries/dlv_nope/redeliver")

    assert answer.status_code == 404 and answer.get_json()["title"] == "Delivery not found"
    assert api.get("/_sandbox/v1/deliveries/dlv_nope").status_code == 404


def test_a_carts_notify_url_is_signed_with_the_ecs_secret(app: Flask, api: ApiClient) -> None:
    [delivery_id] = announce(app, notify_url="https://ec.example/cart-hook")
    worker, transport = notifier(app)
    worker.deliver_due()

    secret = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["secret"]
    [request] = transport.requests
    assert request.url == "https://ec.example/cart-hook"
    assert_signed(request, secret)
    assert "subscriptionId" not in delivery(api, delivery_id)


def test_the_ecs_registered_endpoint_and_the_subscriptions_each_get_one_copy(
    app: Flask, api: ApiClient
) -> None:
    api.put(f"/_sandbox/v1/organizations/{EC}", json={"notificationUrl": "https://ec.example/registered"})
    subscribe(api)
    subscribe(api, url="https://ec.example/receipts-only", events=["receipt.created"])

    ids = announce(app, "attempt.closed", notify_url="https://ec.example/registered")

    urls = sorted(d["url"] for d in api.get("/_sandbox/v1/deliveries").get_json()["deliveries"])
    assert len(ids) == 2 and urls == ["https://ec.example/pagopa/notify", "https://ec.example/registered"]


def test_an_event_of_an_ec_without_endpoints_enqueues_nothing(app: Flask, api: ApiClient) -> None:
    assert announce(app) == []
    assert api.get("/_sandbox/v1/deliveries").get_json()["deliveries"] == []


def test_a_duplicate_is_two_deliveries_of_one_webhook_id(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    announce(app, copies=2)
    worker, transport = notifier(app)

    assert worker.deliver_due() == 2
    assert transport.requests[0].headers["webhook-id"] == transport.requests[1].headers["webhook-id"]


def test_a_delayed_notification_is_not_due_before_its_time(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    announce(app, delay=timedelta(seconds=30))
    worker, _ = notifier(app)

    assert worker.deliver_due() == 0
    advance(api, 30)
    assert worker.deliver_due() == 1


def test_a_scenarios_simulated_failures_call_nobody_and_follow_the_schedule(
    app: Flask, api: ApiClient
) -> None:
    subscribe(api)
    [delivery_id] = announce(app, fail_first=2)
    worker, transport = notifier(app)

    worker.deliver_due()
    advance(api, 30)
    worker.deliver_due()
    assert transport.requests == []
    advance(api, 120)
    worker.deliver_due()

    log = delivery(api, delivery_id)
    assert log["status"] == "delivered" and len(transport.requests) == 1
    assert [(a["statusCode"], a["simulated"]) for a in log["attempts"]] == [
        (503, True),
        (503, True),
        (204, False),
    ]


def test_simulated_failures_beyond_the_schedule_still_end_in_one_real_attempt(
    app: Flask, api: ApiClient
) -> None:
    subscribe(api)
    [delivery_id] = announce(app, fail_first=8)
    worker, transport = notifier(app)

    for _ in range(9):
        worker.deliver_due()
        advance(api, 21600)

    assert delivery(api, delivery_id)["status"] == "delivered" and len(transport.requests) == 1


def test_the_delivery_log_filters_by_status_event_and_cart(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    announce(app, "attempt.closed", cart_id=CART)
    announce(app, "receipt.created")
    notifier(app, answering(200))[0].deliver_due(limit=1)

    def ids(query: str) -> list[str]:
        answer = api.get(f"/_sandbox/v1/deliveries{query}")
        assert answer.status_code == 200
        return [d["event"] for d in answer.get_json()["deliveries"]]

    assert ids("") == ["receipt.created", "attempt.closed"]
    assert ids("?status=delivered") == ["attempt.closed"]
    assert ids("?status=pending") == ["receipt.created"]
    assert ids("?event=receipt.created") == ["receipt.created"]
    assert ids(f"?cart={CART}") == ["attempt.closed"]
    assert ids("?limit=1") == ["receipt.created"]


@pytest.mark.parametrize("query", ["status=late", "event=payment.made", "cart=123", "limit=0"])
def test_a_bad_delivery_filter_is_a_400(api: ApiClient, query: str) -> None:
    assert api.get(f"/_sandbox/v1/deliveries?{query}").status_code == 400


def test_deliveries_and_clocks_of_tenants_are_separate(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    [delivery_id] = announce(app)
    other = ApiClient(api.client, tenant="other")
    worker, _ = notifier(app, answering(500))
    worker.deliver_due()

    assert other.get("/_sandbox/v1/deliveries").get_json()["deliveries"] == []
    assert other.get(f"/_sandbox/v1/deliveries/{delivery_id}").status_code == 404
    assert other.post(f"/_sandbox/v1/deliveries/{delivery_id}/redeliver").status_code == 404
    advance(other, 3600)
    assert worker.deliver_due() == 0  # the other tenant's clock moved, not this one's


def test_a_claimed_delivery_is_leased_to_one_worker_until_the_lease_ends(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    subscribe(api)
    announce(app)
    first = Notifier(sandbox_of(app), notifier(app)[1], worker_id="first")
    second = Notifier(sandbox_of(app), notifier(app)[1], worker_id="second")

    [claim] = first.claim()
    assert second.claim() == []
    clock.advance(first.lease.total_seconds() + 1)  # the first worker died holding it
    assert [c.delivery.id for c in second.claim()] == [claim.delivery.id]


def test_an_attempt_by_a_worker_that_lost_its_lease_is_not_recorded(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    subscribe(api)
    [delivery_id] = announce(app)
    first, _ = notifier(app)
    [claim] = first.claim()
    api.post("/_sandbox/v1/reset")

    first.attempt(claim)

    assert api.get(f"/_sandbox/v1/deliveries/{delivery_id}").status_code == 404


def test_deleting_a_subscription_fails_its_pending_deliveries(app: Flask, api: ApiClient) -> None:
    hook = subscribe(api)
    [delivery_id] = announce(app)

    api.delete(f"/_sandbox/v1/webhooks/{hook['id']}")

    log = delivery(api, delivery_id)
    assert log["status"] == "failed" and log["lastError"] == "the webhook subscription was deleted"
    assert notifier(app)[0].deliver_due() == 0


def test_every_real_attempt_is_in_the_journal_as_a_call_out(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    announce(app, cart_id=CART)
    notifier(app, answering(500))[0].deliver_due()

    entries = api.get("/_sandbox/v1/journal").get_json()["entries"]
    out = [e for e in entries if e["direction"] == "out"]
    assert len(out) == 1
    assert out[0]["method"] == "POST" and out[0]["url"] == RECEIVER and out[0]["status"] == 500
    assert out[0]["cartId"] == CART


def test_workers_claiming_at_once_never_share_a_delivery(any_db_app: Flask, any_db_api: ApiClient) -> None:
    """Claims race on both backends (PostgreSQL: SKIP LOCKED; SQLite: the conditional UPDATE)."""
    import threading

    subscribe(any_db_api)
    for _ in range(40):
        announce(any_db_app)
    workers = [Notifier(sandbox_of(any_db_app), notifier(any_db_app)[1], worker_id=f"w{i}") for i in range(4)]
    claimed: dict[str, list[str]] = {w.worker_id: [] for w in workers}

    def run(worker: Notifier) -> None:
        while batch := worker.claim(limit=3):
            claimed[worker.worker_id] += [c.delivery.id for c in batch]

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    every = [d for ids in claimed.values() for d in ids]
    assert len(every) == len(set(every)) == 40


def test_the_notify_retried_scenario_fails_three_times_before_the_real_delivery(
    app: Flask, api: ApiClient
) -> None:
    subscribe(api)
    [delivery_id] = announce(app, scenario_id="notify-retried")
    worker, transport = notifier(app)

    for wait in (0, 30, 120, 600):
        advance(api, wait)
        assert worker.deliver_due() == 1

    log = delivery(api, delivery_id)
    assert [a["simulated"] for a in log["attempts"]] == [True, True, True, False]
    assert log["status"] == "delivered" and len(transport.requests) == 1


def test_the_notify_delayed_scenario_holds_the_notification_30_seconds(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    [delivery_id] = announce(app, scenario_id="notify-delayed")
    worker, transport = notifier(app)

    assert worker.deliver_due() == 0
    assert delivery(api, delivery_id)["nextAttemptAt"] == "2026-03-02T09:00:30.000Z"
    advance(api, 29)
    assert worker.deliver_due() == 0
    advance(api, 1)
    assert worker.deliver_due() == 1 and len(transport.requests) == 1


def test_the_notify_duplicated_scenario_delivers_the_same_webhook_id_twice(
    app: Flask, api: ApiClient
) -> None:
    subscribe(api)
    announce(app, scenario_id="notify-duplicated")
    worker, transport = notifier(app)

    worker.deliver_due()
    worker.deliver_due()

    first, second = transport.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert len(api.get("/_sandbox/v1/deliveries?status=delivered").get_json()["deliveries"]) == 2
    assert worker.deliver_due() == 0


def test_the_notify_out_of_order_scenario_sends_the_receipt_before_the_outcome(
    app: Flask, api: ApiClient
) -> None:
    subscribe(api)
    announce(app, "attempt.closed", cart_id=CART, scenario_id="notify-out-of-order")
    announce(app, "receipt.created", cart_id=CART, scenario_id="notify-out-of-order")
    worker, transport = notifier(app)

    assert worker.deliver_due() == 1
    advance(api, 1)
    assert worker.deliver_due() == 1

    types = [json.loads(r.body)["type"] for r in transport.requests]
    assert types == ["receipt.created", "attempt.closed"]


def test_an_outcome_without_a_receipt_is_not_held_back_by_out_of_order(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    announce(app, "attempt.closed", cart_id=CART, scenario_id="notify-out-of-order")
    worker, _ = notifier(app)

    assert worker.deliver_due() == 1


def test_an_unknown_scenario_id_delivers_as_happy_path(app: Flask, api: ApiClient) -> None:
    subscribe(api)
    announce(app, scenario_id="gone-since")

    assert notifier(app)[0].deliver_due() == 1
