"""The gateway and the sandbox's own dimensions around GPD: the subscription key, tenants that
never see each other, and the per-tenant clock moved through the sandbox API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from tests.conftest import START, ApiClient
from tests.functional.gpd_factories import (
    assert_problem,
    create,
    get,
    iso,
    iuv_for,
    listed,
    paid_url,
    position_body,
    position_url,
    positions_url,
)

DAY = 24 * 3600
MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when making"
    " requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an active"
    " subscription."
)


@pytest.fixture
def keyed_app(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    """A sandbox that accepts only the subscription key ``k1``."""
    application = create_app(
        settings.with_(api_keys=frozenset({"k1"}), database_url=f"sqlite:///{tmp_path / 'keyed.sqlite3'}"),
        clock=clock,
    )
    yield application
    application.extensions["sandbox"].close()


def as_tenant(api: ApiClient, tenant: str) -> ApiClient:
    return ApiClient(api.client, tenant=tenant)


def advance(api: ApiClient, seconds: int) -> dict[str, object]:
    response = api.post("/_sandbox/v1/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, object] = response.get_json()
    return body


# --- subscription key --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", positions_url()),
        ("post", positions_url()),
        ("get", position_url("IUPD-1")),
        ("put", position_url("IUPD-1")),
        ("delete", position_url("IUPD-1")),
        ("post", position_url("IUPD-1") + "/publish"),
        ("post", position_url("IUPD-1") + "/invalidate"),
        ("post", paid_url("301000000000000001")),
    ],
)
def test_a_call_without_subscription_key_is_401_in_apim_shape(app: Flask, method: str, path: str) -> None:
    client = ApiClient(app.test_client(), key=False)

    response = getattr(client, method)(path, json=position_body("IUPD-1"))

    assert response.status_code == 401
    assert response.get_json() == {"statusCode": 401, "message": MISSING_KEY}


def test_a_blank_subscription_key_counts_as_missing(api: ApiClient) -> None:
    response = api.get(positions_url(), headers={"Ocp-Apim-Subscription-Key": "  "})

    assert response.status_code == 401
    assert response.get_json()["message"] == MISSING_KEY


def test_a_refused_call_creates_nothing(app: Flask, api: ApiClient) -> None:
    ApiClient(app.test_client(), key=False).post(positions_url(), json=position_body("IUPD-1"))

    assert listed(api) == []


def test_without_configured_keys_any_key_is_accepted(api: ApiClient) -> None:
    response = api.get(positions_url(), headers={"Ocp-Apim-Subscription-Key": "whatever"})

    assert response.status_code == 200


def test_with_configured_keys_a_wrong_key_is_401(keyed_app: Flask) -> None:
    client = keyed_app.test_client()

    response = client.post(
        positions_url(), json=position_body("IUPD-1"), headers={"Ocp-Apim-Subscription-Key": "k2"}
    )

    assert response.status_code == 401
    assert response.get_json() == {"statusCode": 401, "message": INVALID_KEY}
    assert (
        client.get(positions_url(), headers={"Ocp-Apim-Subscription-Key": "k1"}).get_json()[
            "payment_position_list"
        ]
        == []
    )


def test_with_configured_keys_the_right_key_is_served(keyed_app: Flask) -> None:
    client = keyed_app.test_client()
    key = {"Ocp-Apim-Subscription-Key": "k1"}

    created = client.post(positions_url(), json=position_body("IUPD-1"), headers=key)

    assert created.status_code == 201
    assert client.get(position_url("IUPD-1"), headers=key).get_json()["status"] == "DRAFT"
    assert client.get(position_url("IUPD-1")).status_code == 401


# --- tenants -----------------------------------------------------------------------------


def test_tenants_never_see_each_others_positions(api: ApiClient) -> None:
    alice, bob = as_tenant(api, "alice"), as_tenant(api, "bob")
    create(alice, position_body("IUPD-A"), publish=True)

    assert listed(bob) == []
    assert bob.get(position_url("IUPD-A")).status_code == 404
    assert bob.delete(position_url("IUPD-A")).status_code == 404
    assert bob.post(position_url("IUPD-A") + "/invalidate").status_code == 404
    assert bob.post(paid_url("3" + iuv_for("IUPD-A"))).status_code == 404
    assert get(alice, "IUPD-A")["status"] == "VALID"
    assert listed(api) == []  # nor does the default tenant


def test_the_same_iupd_and_iuv_may_exist_in_two_tenants(any_db_api: ApiClient) -> None:
    alice, bob = as_tenant(any_db_api, "alice"), as_tenant(any_db_api, "bob")
    create(alice, position_body("IUPD-1", companyName="Comune di Alice"))

    create(bob, position_body("IUPD-1", companyName="Comune di Bob"), publish=True)

    assert (get(alice, "IUPD-1")["companyName"], get(alice, "IUPD-1")["status"]) == (
        "Comune di Alice",
        "DRAFT",
    )
    assert (get(bob, "IUPD-1")["companyName"], get(bob, "IUPD-1")["status"]) == ("Comune di Bob", "VALID")
    assert bob.delete(position_url("IUPD-1")).status_code == 200
    assert listed(alice) == ["IUPD-1"]


@pytest.mark.parametrize("tenant", ["bad tenant!", "a" * 65, "-starts-with-dash", "ünïcode"])
def test_an_invalid_tenant_header_is_400(api: ApiClient, tenant: str) -> None:
    response = api.post(positions_url(), json=position_body("IUPD-1"), headers={"X-Sandbox-Tenant": tenant})

    assert_problem(response, 400, title="Invalid tenant", detail="X-Sandbox-Tenant")
    assert listed(api) == []


def test_a_tenant_name_of_64_characters_is_accepted(api: ApiClient) -> None:
    tenant = as_tenant(api, "t" * 64)

    create(tenant, position_body("IUPD-1"))

    assert listed(tenant) == ["IUPD-1"]


# --- the tenant clock --------------------------------------------------------------------


def test_advancing_a_tenant_clock_leaves_other_tenants_alone(api: ApiClient) -> None:
    alice, bob = as_tenant(api, "alice"), as_tenant(api, "bob")

    moved = advance(alice, 3600)

    assert moved == {"tenant": "alice", "now": "2026-03-02T10:00:00.000Z", "offsetSeconds": 3600.0}
    assert bob.get("/_sandbox/v1/clock").get_json() == {
        "tenant": "bob",
        "now": iso(START),
        "offsetSeconds": 0.0,
    }
    assert advance(alice, 60)["offsetSeconds"] == 3660.0  # offsets add up


def test_the_clock_api_makes_a_published_position_valid_for_that_tenant_only(api: ApiClient) -> None:
    alice, bob = as_tenant(api, "alice"), as_tenant(api, "bob")
    for tenant in (alice, bob):
        create(tenant, position_body("IUPD-1", validityDate="2026-03-03T09:00:00Z"), publish=True)

    advance(alice, DAY)

    assert get(alice, "IUPD-1")["status"] == "VALID"
    assert listed(alice, "status=VALID") == ["IUPD-1"]
    assert get(bob, "IUPD-1")["status"] == "PUBLISHED"
    assert listed(bob, "status=VALID") == []


def test_the_clock_api_expires_a_position_with_switch_to_expired(api: ApiClient) -> None:
    create(api, position_body("EXPIRING", switchToExpired=True), publish=True)
    create(api, position_body("STAYING"), publish=True)

    advance(api, 31 * DAY)

    assert listed(api, "status=EXPIRED") == ["EXPIRING"]
    assert get(api, "EXPIRING")["status"] == "EXPIRED"
    assert get(api, "STAYING")["status"] == "VALID"
    assert listed(as_tenant(api, "other")) == []


def test_the_tenant_clock_adds_to_the_base_clock(api: ApiClient, clock: FixedClock) -> None:
    advance(api, 3600)
    clock.advance(60)

    assert api.get("/_sandbox/v1/clock").get_json()["now"] == "2026-03-02T10:01:00.000Z"
    assert create(api, position_body("IUPD-1"), publish=True)["validityDate"] == "2026-03-02T10:01:00.000Z"


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "soon"}, {}, [], {"seconds": 10**12}])
def test_the_clock_never_moves_backwards_or_by_nonsense(api: ApiClient, body: object) -> None:
    response = api.post("/_sandbox/v1/clock/advance", json=body)

    assert_problem(response, 400, title="Invalid request")
    assert api.get("/_sandbox/v1/clock").get_json()["offsetSeconds"] == 0.0


def test_the_database_file_and_the_secret_key_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    import stat

    from simulator.app import create_app
    from simulator.config import Settings

    settings = Settings(data_dir=str(tmp_path / "data"), log_requests=False)
    (tmp_path / "data").mkdir()
    app = create_app(settings)
    try:
        app.test_client().get("/_sandbox/v1/clock")
        settings.resolved_secret_key()
    finally:
        app.extensions["sandbox"].close()
    for name in ("sandbox.sqlite3", "secret_key"):
        mode = stat.S_IMODE((tmp_path / "data" / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
