"""A JSON body nested too deeply for the decoder (100,000 ``[``) is malformed input on every surface
that reads JSON: a 400 in that surface's format, never a 500, and nothing changes."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.functional.control_factories import new_cart, notice

DEEP = "[" * 100_000 + "]" * 100_000
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/checkout/ec/v1/carts"),
        ("post", "/checkout/ec/v2/carts"),
        ("post", "/checkout/carts-auth/v2/carts"),
        ("post", "/_sandbox/v1/webhooks"),
        ("post", "/_sandbox/v1/clock/advance"),
        ("put", "/_sandbox/v1/organizations/77777777777"),
        ("post", "/_sandbox/v1/notices/77777777777/302000000000000017/pay"),
        ("post", "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions"),
    ],
)
def test_a_body_nested_too_deeply_is_a_400(api: ApiClient, method: str, path: str) -> None:
    answer = getattr(api, method)(path, data=DEEP, headers=JSON)
    assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert answer.is_json and answer.get_json()["status"] == 400


def test_deep_json_on_a_carts_scenario_or_completion_is_a_400_and_changes_nothing(api: ApiClient) -> None:
    cart_id = new_cart(api, notice("302000000000000017"))
    for method, path in (("put", "scenario"), ("post", "complete")):
        answer = getattr(api, method)(f"/_sandbox/v1/carts/{cart_id}/{path}", data=DEEP, headers=JSON)
        assert answer.status_code == 400, answer.get_data(as_text=True)[:300]
    assert api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["state"] == "OPEN"
