"""The Postman collection (docs/postman): a v2.1 collection whose every request, run in order
against a live sandbox with requests, answers the status its test script expects, twice in a row.

Postman's JavaScript does not run here: the runner reads the two kinds of line the collection's
scripts are made of (``pm.response.to.have.status(N)`` and ``pm.collectionVariables.set`` from a
JSON field or a header match) and refuses any other, so the collection cannot grow a script that
this test would silently skip."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow
COLLECTION = (
    Path(__file__).resolve().parents[2] / "docs" / "postman" / "pagopa-sandbox.postman_collection.json"
)
SCHEMA_V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
STATUS = re.compile(r'^pm\.test\("[^"]*", function \(\) \{ pm\.response\.to\.have\.status\((\d{3})\); \}\);$')
SET_FROM_JSON = re.compile(r'^pm\.collectionVariables\.set\("(\w+)", pm\.response\.json\(\)((?:\.\w+)+)\);$')
SET_FROM_HEADER = re.compile(
    r'^pm\.collectionVariables\.set\("(\w+)", '
    r'pm\.response\.headers\.get\("([\w-]+)"\)\.match\(/(.+)/\)\[1\]\);$'
)
VARIABLE = re.compile(r"\{\{(\w+)\}\}")


def load() -> dict[str, Any]:
    collection = json.loads(COLLECTION.read_text(encoding="utf-8"))
    assert isinstance(collection, dict)
    return collection


def requests_in_order(collection: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in collection["item"]:
        found += requests_in_order(item) if "item" in item else [item]
    return found


def test_the_collection_is_v2_1_and_covers_every_surface() -> None:
    collection = load()
    assert collection["info"]["schema"] == SCHEMA_V21
    items = requests_in_order(collection)
    assert len({item["name"] for item in items}) == len(items)
    paths = " ".join(item["request"]["url"]["raw"] for item in items)
    for surface in (
        "/_sandbox/v1/",
        "/gpd/debt-positions-service/v1/",
        "/checkout/ec/v2/carts",
        "/gpd/payments-receipts-service/v1/",
        "/ecommerce/checkout/v1/carts/",
    ):
        assert surface in paths
    for item in items:
        assert item["request"]["method"] in ("GET", "POST", "PUT", "DELETE")
        assert item["request"]["url"]["raw"].startswith("{{baseUrl}}/")
        assert any(STATUS.match(line) for line in item["event"][0]["script"]["exec"]), item["name"]


def run(collection: dict[str, Any], base_url: str) -> list[tuple[str, int]]:
    variables = {v["key"]: v["value"] for v in collection["variable"]} | {"baseUrl": base_url}

    def fill(text: str) -> str:
        return VARIABLE.sub(lambda m: variables[m.group(1)], text)

    answered: list[tuple[str, int]] = []
    for item in requests_in_order(collection):
        request = item["request"]
        response = requests.request(
            request["method"],
            fill(request["url"]["raw"]),
            headers={h["key"]: fill(h["value"]) for h in request["header"]},
            data=fill(request["body"]["raw"]).encode() if "body" in request else None,
            allow_redirects=item.get("protocolProfileBehavior", {}).get("followRedirects", True),
            timeout=30,
        )
        answered.append((item["name"], response.status_code))
        for line in item["event"][0]["script"]["exec"]:
            if status := STATUS.match(line):
                assert response.status_code == int(status.group(1)), (item["name"], response.text[:500])
            elif setting := SET_FROM_JSON.match(line):
                value: Any = response.json()
                for key in setting.group(2).strip(".").split("."):
                    value = value[key]
                variables[setting.group(1)] = str(value)
            elif setting := SET_FROM_HEADER.match(line):
                pattern = setting.group(3).replace("\\/", "/")
                match = re.search(pattern, response.headers[setting.group(2)])
                assert match is not None, (item["name"], response.headers)
                variables[setting.group(1)] = match.group(1)
            else:
                raise AssertionError(f"{item['name']}: a script line this runner does not know: {line}")
    return answered


@pytest.fixture
def server(tmp_path: Path, server_factory: list[Server]) -> Server:
    started = start_server("--ephemeral", "--workers", "1", cwd=tmp_path)
    server_factory.append(started)
    return started


def test_every_request_answers_as_its_test_expects_twice(server: Server) -> None:
    collection = load()
    first = run(collection, server.url)
    assert run(collection, server.url) == first
    status = dict(first)
    assert status["Create a cart (v2)"] == 302
    assert status["Complete the payment"] == 200
    assert status["One receipt (XML)"] == 200
