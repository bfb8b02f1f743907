"""The path an integrator probably meant, from the URL map alone: typos in constant parts, the
wrong method, versions and ids kept as typed; nothing offered when nothing is close."""

from __future__ import annotations

import pytest
from werkzeug.routing import Map, Rule

from simulator.web.closest_path import closest, matches_nothing

URLS = Map(
    [
        Rule("/checkout/ec/v<int:version>/carts", endpoint="carts", methods=["POST"]),
        Rule("/_sandbox/v1/carts/<cart_id>", endpoint="status", methods=["GET"]),
        Rule("/_sandbox/v1/clock/advance", endpoint="advance", methods=["POST"]),
        Rule("/gpd/v1/organizations/<org>/debtpositions", endpoint="positions", methods=["GET", "POST"]),
        Rule("/static/<path:filename>", endpoint="static"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "suggested"),
    [
        ("POST", "/checkout/ec/v2/cart", "POST /checkout/ec/v<int:version>/carts"),
        ("GET", "/_sandbox/v1/cart/abc", "GET /_sandbox/v1/carts/<cart_id>"),
        ("PUT", "/_sandbox/v1/clock/advance", "POST /_sandbox/v1/clock/advance"),
        (
            "POST",
            "/gpd/v1/organizations/77777777777/debtposition",
            "GET|POST /gpd/v1/organizations/<org>/debtpositions",
        ),
    ],
)
def test_the_closest_rule_is_offered(method: str, path: str, suggested: str) -> None:
    found = closest(URLS, method, path)

    assert matches_nothing(URLS, method, path)
    assert found is not None and f"{'|'.join(found.methods)} {found.rule}" == suggested


def test_nothing_is_offered_for_a_path_like_no_other_and_static_files_are_never_offered() -> None:
    assert closest(URLS, "GET", "/completely/different") is None
    offered = closest(URLS, "GET", "/static/app.cs")
    assert offered is None or offered.rule != "/static/<path:filename>"


def test_a_path_that_exists_matches_something() -> None:
    assert not matches_nothing(URLS, "POST", "/checkout/ec/v2/carts")
    assert not matches_nothing(URLS, "GET", "/_sandbox/v1/carts/anything")
