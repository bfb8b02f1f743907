"""The journal: every request a tenant made, newest first, filterable, bounded, and clearable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from simulator.app import create_app
from simulator.config import Settings
from simulator.domain.journal import BODY_LIMIT, TRUNCATED
from simulator.services.clock import FixedClock
from simulator.storage.tables import journal
from tests.conftest import ApiClient
from tests.functional import gpd_factories
from tests.functional.test_checkout_cart_api import CART_V1, cart_body, cart_id_of

JOURNAL = "/_sandbox/v1/journal"


def entries(api: ApiClient, **query: Any) -> list[dict[str, Any]]:
    response = api.get(JOURNAL, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.json["entries"])


def test_a_gpd_create_is_journaled_with_its_bodies_and_latency(api: ApiClient) -> None:
    created = api.post(gpd_factories.positions_url(), json=gpd_factories.position_body("J-1"))
    assert created.status_code == 201

    (entry,) = entries(api)
    assert entry["direction"] == "in"
    assert entry["method"] == "POST"
    assert entry["path"] == gpd_factories.positions_url()
    assert entry["status"] == 201
    assert entry["latencyMs"] >= 0
    assert '"iupd": "J-1"' in entry["requestBody"] or '"iupd":"J-1"' in entry["requestBody"]
    assert '"status":"DRAFT"' in entry["responseBody"].replace(" ", "")
    assert entry["at"].endswith("Z")


def test_entries_are_newest_first_and_filter_by_path_status_and_since(
    api: ApiClient, clock: FixedClock
) -> None:
    api.get(gpd_factories.position_url("missing"))
    clock.advance(60)
    api.post(gpd_factories.positions_url(), json=gpd_factories.position_body("J-2"))

    assert [e["status"] for e in entries(api)] == [201, 404]
    assert [e["status"] for e in entries(api, status=404)] == [404]
    assert len(entries(api, path="/gpd/")) == 2
    assert entries(api, path="/checkout/") == []
    later = entries(api)[0]["at"]
    assert [e["status"] for e in entries(api, since=later)] == [201]
    assert len(entries(api, limit=1)) == 1


def test_cart_requests_carry_the_cart_id_and_filter_by_it(api: ApiClient) -> None:
    cart_id = cart_id_of(api.post(CART_V1, json=cart_body()).headers["Location"])
    api.get(f"/ecommerce/checkout/v1/carts/{cart_id}")
    api.post(CART_V1, json=cart_body())  # another cart

    for_cart = entries(api, cart=cart_id)
    assert [e["method"] for e in for_cart] == ["GET", "POST"]
    assert all(e["cartId"] == cart_id for e in for_cart)


def test_long_bodies_are_cut(api: ApiClient) -> None:
    api.post(CART_V1, json=cart_body(idCart="x" * 5000))
    (entry,) = entries(api)
    assert entry["requestBody"].endswith(TRUNCATED)
    assert len(entry["requestBody"]) == BODY_LIMIT + len(TRUNCATED)


def test_the_journal_itself_and_health_probes_are_not_journaled(api: ApiClient) -> None:
    api.get("/_sandbox/v1/health")
    entries(api)
    assert entries(api) == []


def test_each_tenant_sees_and_clears_only_its_own_journal(app: Flask) -> None:
    one, other = ApiClient(app.test_client(), "one"), ApiClient(app.test_client(), "other")
    one.get("/_sandbox/v1/clock")
    other.get("/_sandbox/v1/clock")

    assert len(entries(one)) == 1
    assert one.delete(JOURNAL).status_code == 204
    assert entries(one) == []
    assert len(entries(other)) == 1


def test_the_journal_keeps_only_the_newest_entries(tmp_path: Path, clock: FixedClock) -> None:
    settings = Settings(
        data_dir=str(tmp_path),
        database_url=f"sqlite:///{tmp_path / 'j.db'}",
        log_requests=False,
        journal_size=5,
    )
    app = create_app(settings, clock=clock)
    api = ApiClient(app.test_client())
    for _ in range(120):
        api.get("/_sandbox/v1/clock")
    api.get(gpd_factories.position_url("newest"))

    kept = entries(api, limit=1000)
    assert len(kept) == 5
    assert kept[0]["status"] == 404  # the newest is there
    app.extensions["sandbox"].close()


def test_each_tenant_keeps_its_newest_entries_counted_in_the_table(tmp_path: Path, clock: FixedClock) -> None:
    """Two tenants alternating: each keeps ``journal_size`` rows in the table itself (not only in
    what the API shows), whatever the ids, and the newest are the ones kept."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}", log_requests=False, journal_size=7)
    app = create_app(settings, clock=clock)
    one, two = ApiClient(app.test_client(), "one"), ApiClient(app.test_client(), "two")
    for n in range(60):
        one.get(f"/_sandbox/v1/clock?n={n}")
        two.get(f"/_sandbox/v1/clock?n={n}")
        if n % 9 == 0:
            app.extensions["sandbox"].journal.flush()  # trims happen at every batch, any size
    app.extensions["sandbox"].journal.flush()
    with app.extensions["sandbox"].database.engine.connect() as conn:
        counts = dict(conn.execute(select(journal.c.tenant, func.count()).group_by(journal.c.tenant)).all())
        newest = conn.execute(select(journal.c.url).where(journal.c.tenant == "one")).scalars().all()
    assert counts == {"one": 7, "two": 7}
    assert sorted(newest) == sorted(f"http://localhost/_sandbox/v1/clock?n={n}" for n in range(53, 60))
    app.extensions["sandbox"].close()


def test_bad_filters_are_400_problem_json(api: ApiClient) -> None:
    for query in (
        {"status": "abc"},
        {"status": "99"},
        {"cart": "not-a-uuid"},
        {"since": "yesterday"},
        {"limit": "0"},
        {"limit": "1001"},
    ):
        response = api.get(JOURNAL, query_string=query)
        assert response.status_code == 400, query
        assert response.json["title"] == "Invalid request"


def test_secrets_and_card_data_never_reach_the_journal(app: Flask, api: ApiClient) -> None:
    """The webhook secret is shown once, in the creation response: the journal keeps the response
    without it; an EC's secret and a card's number, expiry and CVV are redacted too."""
    from tests.functional.control_factories import to_summary
    from tests.functional.pages_factories import browser, create_cart

    created = api.post(
        "/_sandbox/v1/webhooks", json={"url": "https://ec.example/hook", "fiscalCode": "77777777777"}
    )
    secret = created.get_json()["secret"]
    api.put("/_sandbox/v1/organizations/77777777777", json={"secret": "whsec_" + "A" * 32})
    to_summary(browser(app), f"/c/{create_cart(api)}", card="4242424242424242")

    journaled = entries(api, limit=1000)
    everything = " ".join(f"{e.get('requestBody')} {e.get('responseBody')}" for e in journaled)
    assert secret not in everything and "A" * 32 not in everything
    assert "4242424242424242" not in everything and "cvv=123" not in everything
    assert '"secret":"[redacted]"' in everything  # the response is kept, its secret is not
