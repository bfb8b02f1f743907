"""Tenants share one sandbox safely: two CI jobs running opposite scenarios on the same notice
numbers, at the same time, each see only their own carts, events, receipts and journal."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask

from tests.conftest import ApiClient
from tests.functional.control_factories import (
    SYNTHETIC_EC,
    complete,
    gpd_receipts,
    new_cart,
    notice,
    status,
    synthetic_nav,
)

CARTS = 8


def run_job(
    app: Flask, tenant: str, scenario: str, results: dict[str, Any], barrier: threading.Barrier
) -> None:
    api = ApiClient(app.test_client(), tenant=tenant)  # a client of its own, as a separate job has
    barrier.wait()
    try:
        finished = []
        for n in range(CARTS):
            cart_id = new_cart(api, notice(synthetic_nav(n)), scenario=scenario)
            finished.append(complete(api, cart_id))
        results[tenant] = finished
    except BaseException as exc:  # reported by the main thread
        results[tenant] = exc


def test_two_tenants_running_opposite_scenarios_in_parallel_threads_never_see_each_other(
    any_db_app: Flask,
) -> None:
    jobs = {"job-paying": "happy-path", "job-declined": "card-declined"}
    results: dict[str, Any] = {}
    barrier = threading.Barrier(len(jobs))
    threads = [
        threading.Thread(target=run_job, args=(any_db_app, tenant, scenario, results, barrier))
        for tenant, scenario in jobs.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    for tenant in jobs:
        assert not isinstance(results.get(tenant), BaseException), results.get(tenant)
    paying, declined = results["job-paying"], results["job-declined"]
    assert {(r["state"], r["outcome"]) for r in paying} == {("PAID", 0)}
    assert {(r["state"], r["outcome"]) for r in declined} == {("FAILED", 2)}

    apis = {tenant: ApiClient(any_db_app.test_client(), tenant=tenant) for tenant in jobs}
    own = {tenant: {r["id"] for r in results[tenant]} for tenant in jobs}
    for tenant, api in apis.items():
        other = next(t for t in jobs if t != tenant)
        journal = api.get("/_sandbox/v1/journal?limit=1000").get_json()["entries"]
        assert {e["cartId"] for e in journal if "cartId" in e} == own[tenant]
        for cart_id in own[other]:
            assert api.get(f"/_sandbox/v1/carts/{cart_id}").status_code == 404
        for cart_id in own[tenant]:
            assert {e.get("attemptId") for e in status(api, cart_id)["timeline"]} <= {
                None,
                status(api, cart_id).get("payment", {}).get("transactionId"),
            }
    assert len(gpd_receipts(apis["job-paying"], SYNTHETIC_EC)) == CARTS
    assert gpd_receipts(apis["job-declined"], SYNTHETIC_EC) == []
    assert {r["iuv"] for r in gpd_receipts(apis["job-paying"], SYNTHETIC_EC)} == {
        synthetic_nav(n)[1:] for n in range(CARTS)
    }


def test_header_less_page_requests_are_journaled_in_their_carts_tenant(app: Flask) -> None:
    """A browser sends no X-Sandbox-Tenant: its page requests go to the journal of the tenant whose
    cart it opened, never to ``default`` where anyone could read the cart ids (an id is enough to
    open and pay a cart)."""
    from tests.conftest import ApiClient
    from tests.functional.pages_factories import browser, create_cart

    carts = {t: create_cart(ApiClient(app.test_client(), t)) for t in ("first", "second")}
    for cart_id in carts.values():
        pages = browser(app)  # no tenant header, as a browser
        page = pages.get(f"/c/{cart_id}")
        assert page.path == "/inserisci-email"
        pages.get("/scegli-metodo")

    def journaled(tenant: str) -> set[str]:
        client = ApiClient(app.test_client(), tenant)
        entries = client.get("/_sandbox/v1/journal?limit=1000").get_json()["entries"]
        return {e["path"] for e in entries if not e["path"].startswith(("/checkout/", "/ecommerce/"))}

    assert journaled("default") == set()
    for tenant, cart_id in carts.items():
        assert {f"/c/{cart_id}", "/inserisci-email", "/scegli-metodo"} <= journaled(tenant)
        other = carts["second" if tenant == "first" else "first"]
        assert f"/c/{other}" not in journaled(tenant)
