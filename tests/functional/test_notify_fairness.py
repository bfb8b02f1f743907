"""One tenant's unreachable receiver must not delay another tenant's notifications: the delivery
thread of a worker process runs attempts concurrently, a few at most per destination (host:port)
and per tenant, and hands free slots to the tenant with the fewest attempts in flight."""

from __future__ import annotations

import time
from pathlib import Path

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.services.delivery_worker import start_worker
from tests.conftest import ApiClient
from tests.functional.notify_factories import EC, announce, sandbox_of
from tests.notify_receiver import black_hole, receiver

NOISY, QUIET = "aaa-noisy", "zzz-quiet"  # the noisy tenant sorts first, as it would be claimed first


def wait_for(check: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_a_black_hole_receiver_does_not_delay_another_tenants_notification(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    app = create_app(settings.with_(database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}"), clock=clock)
    noisy, quiet = ApiClient(app.test_client(), NOISY), ApiClient(app.test_client(), QUIET)
    with black_hole() as hole, receiver() as healthy:
        for n in range(20):  # 20 webhooks on a port that never answers: 20 deliveries of one event
            answer = noisy.post(
                "/_sandbox/v1/webhooks", json={"url": f"{hole.url}/hook/{n}", "fiscalCode": EC}
            )
            assert answer.status_code == 201
        assert len(announce(app, tenant=NOISY)) == 20
        quiet.post("/_sandbox/v1/webhooks", json={"url": healthy.url + "/hook", "fiscalCode": EC})
        [quiet_delivery] = announce(app, tenant=QUIET)
        worker = start_worker(sandbox_of(app))
        try:
            arrived = wait_for(lambda: healthy.received, timeout=10)

            pending = noisy.get("/_sandbox/v1/deliveries?status=pending").get_json()["deliveries"]
            assert arrived, f"the healthy tenant's notification waited behind {len(pending)} to a black hole"
            assert len(pending) == 20  # the black hole still holds every one of its deliveries
            assert 1 <= hole.most_at_once <= settings.notify_per_destination
            assert wait_for(
                lambda: (
                    quiet.get(f"/_sandbox/v1/deliveries/{quiet_delivery}").get_json()["status"] == "delivered"
                ),
                timeout=10,
            )
        finally:
            for conn in hole.connections:  # the hung attempts fail now rather than at their timeout
                conn.close()
            worker.stop(timeout=15)
            sandbox_of(app).close()


def test_the_black_holes_attempts_time_out_and_are_retried_on_the_schedule(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    app = create_app(
        settings.with_(
            database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
            notify_timeout_seconds=0.5,
            notify_connect_timeout_seconds=0.5,
        ),
        clock=clock,
    )
    noisy = ApiClient(app.test_client(), NOISY)
    with black_hole() as hole:
        for n in range(6):
            noisy.post("/_sandbox/v1/webhooks", json={"url": f"{hole.url}/hook/{n}", "fiscalCode": EC})
        ids = announce(app, tenant=NOISY)
        worker = start_worker(sandbox_of(app))
        try:

            def all_tried() -> bool:
                rows = noisy.get("/_sandbox/v1/deliveries").get_json()["deliveries"]
                return all(r["attemptCount"] == 1 for r in rows)

            assert wait_for(all_tried, timeout=30)
        finally:
            worker.stop(timeout=5)
        for delivery_id in ids:
            log = noisy.get(f"/_sandbox/v1/deliveries/{delivery_id}").get_json()
            assert log["status"] == "pending" and log["lastError"].startswith("timeout: ")
            assert log["nextAttemptAt"] == "2026-03-02T09:00:30.000Z"  # 30 s later by the tenant clock
        assert hole.most_at_once <= settings.notify_per_destination
    sandbox_of(app).close()
