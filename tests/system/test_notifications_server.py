"""Notifications from a real ``pagopa-sandbox serve --workers 2`` to a local receiver: each
delivery made exactly once across the two worker processes, and a pending delivery that survives
a restart and completes with the same webhook-id."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook

from simulator.storage.engine import make_disposable_engine
from tests.conftest import _database_url
from tests.notify_receiver import black_hole, receiver
from tests.system.conftest import Server, start_server
from tests.system.test_server import GPD, KEY, position_body

pytestmark = pytest.mark.slow
EC = "77777777777"
ENV = {"PAGOPA_SANDBOX_NOTIFY_POLL_SECONDS": "0.05", "PAGOPA_SANDBOX_NOTIFY_RETRY_SCHEDULE": "0s,30s,2m"}


def enqueue_directly(database_url: str, server: Server, url: str, count: int) -> None:
    """Write ``count`` notifications to the outbox as a service's transaction would (the server's
    own event hooks are not what is under test here: its delivery is)."""
    now = requests.get(server.url + "/_sandbox/v1/clock").json()["now"]
    from datetime import datetime

    at = datetime.fromisoformat(now.replace("Z", "+00:00"))
    from simulator.config import Settings
    from simulator.services import outbound
    from simulator.services.context import Sandbox
    from simulator.storage.database import Database

    sandbox = Sandbox(Settings(), Database(make_disposable_engine(database_url)))
    with sandbox.unit("default") as unit:
        for n in range(count):
            outbound.enqueue(
                unit, "receipt.created", {"n": n}, [outbound.Target(url)], fiscal_code=EC, now=at
            )
    sandbox.close()


def wait_for(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def deliveries(server: Server, **params: str) -> list[dict[str, Any]]:
    answer = requests.get(server.url + "/_sandbox/v1/deliveries", params={"limit": "1000", **params})
    assert answer.status_code == 200
    return answer.json()["deliveries"]  # type: ignore[no-any-return]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    gen = _database_url(request.param, tmp_path)
    yield next(gen)
    next(gen, None)


def test_two_workers_deliver_each_notification_exactly_once(
    tmp_path: Path, database_url: str, server_factory: list[Server]
) -> None:
    with receiver() as endpoint:
        server = start_server("--database-url", database_url, "--workers", "2", env=ENV)
        server_factory.append(server)
        enqueue_directly(database_url, server, endpoint.url + "/hook", 120)

        wait_for(lambda: len(deliveries(server, status="delivered")) == 120)
        time.sleep(0.5)  # a second delivery by the other worker would show up by now

        ids = endpoint.ids()
        assert len(ids) == len(set(ids)) == 120
        attempts = [
            requests.get(f"{server.url}/_sandbox/v1/deliveries/{d['id']}").json()["attempts"]
            for d in deliveries(server)
        ]
        assert all(len(a) == 1 for a in attempts)
        processes = {a[0]["worker"].split(":")[1] for a in attempts}
        assert len(processes) == 2  # both worker processes took part


def test_a_pending_delivery_survives_a_restart_and_completes_with_the_same_webhook_id(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    with receiver() as endpoint:
        endpoint.status = 500
        server = start_server("--data-dir", str(tmp_path), "--workers", "2", env=ENV)
        server_factory.append(server)
        # a real offline payment of a GPD notice, notified to the EC's subscription
        subscribed = requests.post(
            server.url + "/_sandbox/v1/webhooks", json={"url": endpoint.url + "/hook", "fiscalCode": EC}
        )
        assert subscribed.status_code == 201
        body = position_body("IUPD-DURABLE")
        created = requests.post(server.url + GPD + "?toPublish=true", json=body, headers=KEY)
        assert created.status_code == 201
        nav = created.json()["paymentOption"][0]["nav"]
        assert requests.post(f"{server.url}/_sandbox/v1/notices/{EC}/{nav}/pay").status_code == 201
        [pending] = wait_for(lambda: [d for d in deliveries(server) if d["attemptCount"] == 1])
        assert pending["status"] == "pending" and pending["lastStatus"] == 500
        server.stop()

        endpoint.status = 204
        again = start_server("--data-dir", str(tmp_path), "--workers", "2", env=ENV)
        server_factory.append(again)
        assert len(endpoint.ids()) == 1  # not due yet: its retry waits 30 s on the tenant clock
        requests.post(again.url + "/_sandbox/v1/clock/advance", json={"seconds": 30})

        [done] = wait_for(lambda: deliveries(again, status="delivered"))
        assert done["id"] == pending["id"] and done["webhookId"] == pending["webhookId"]
        assert done["event"] == "receipt.created"
        first, second = endpoint.ids()
        assert first == second == pending["webhookId"]
        log = requests.get(f"{again.url}/_sandbox/v1/deliveries/{done['id']}").json()
        assert [a["statusCode"] for a in log["attempts"]] == [500, 204]
        # a served sandbox runs on the real clock: the package's own verifier accepts what arrived
        last = endpoint.received[-1]
        event = Webhook(subscribed.json()["secret"]).verify(last.body, last.headers)
        assert event["type"] == "receipt.created" and event["data"]["channel"] == "offline"


def pay_a_notice_offline(server: Server, tenant: str, iupd: str) -> None:
    """A real offline payment of a fresh GPD notice in ``tenant``: a receipt.created notification
    to each of the EC's subscriptions."""
    headers = {**KEY, "X-Sandbox-Tenant": tenant}
    created = requests.post(server.url + GPD + "?toPublish=true", json=position_body(iupd), headers=headers)
    assert created.status_code == 201
    nav = created.json()["paymentOption"][0]["nav"]
    paid = requests.post(f"{server.url}/_sandbox/v1/notices/{EC}/{nav}/pay", headers=headers)
    assert paid.status_code == 201


def test_a_webhook_to_the_servers_own_api_is_refused(tmp_path: Path, server_factory: list[Server]) -> None:
    server = start_server("--data-dir", str(tmp_path), "--workers", "1", env=ENV)
    server_factory.append(server)

    for url in (server.url, server.url.replace("127.0.0.1", "localhost")):
        answer = requests.post(
            server.url + "/_sandbox/v1/webhooks", json={"url": url + "/_sandbox/v1/reset", "fiscalCode": EC}
        )
        assert answer.status_code == 400 and "the sandbox itself" in answer.json()["detail"]


def test_a_black_hole_receiver_does_not_delay_another_tenants_notification(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    with black_hole() as hole, receiver() as healthy:
        server = start_server("--data-dir", str(tmp_path), "--workers", "2", env=ENV)
        server_factory.append(server)
        noisy = {"X-Sandbox-Tenant": "aaa-noisy"}
        for n in range(20):
            requests.post(
                server.url + "/_sandbox/v1/webhooks",
                json={"url": f"{hole.url}/hook/{n}", "fiscalCode": EC},
                headers=noisy,
            ).raise_for_status()
        pay_a_notice_offline(server, "aaa-noisy", "IUPD-NOISY")
        assert wait_for(lambda: hole.connections, timeout=10)  # the black hole holds attempts now
        requests.post(
            server.url + "/_sandbox/v1/webhooks",
            json={"url": healthy.url + "/hook", "fiscalCode": EC},
            headers={"X-Sandbox-Tenant": "zzz-quiet"},
        ).raise_for_status()

        pay_a_notice_offline(server, "zzz-quiet", "IUPD-QUIET")

        assert wait_for(lambda: healthy.received, timeout=10)
        pending = requests.get(
            server.url + "/_sandbox/v1/deliveries", params={"status": "pending"}, headers=noisy
        ).json()["deliveries"]
        assert len(pending) == 20
        assert hole.most_at_once <= 2 * 4  # two worker processes, four per destination each
        for conn in hole.connections:
            conn.close()
