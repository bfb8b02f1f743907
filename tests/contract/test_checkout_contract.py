"""The cart API against the official ``checkout_v1.json`` / ``checkout_v2.json``: the spec's own
example request is accepted, and every documented answer (302 with its Location, 400 ProblemJson)
conforms, validated with openapi-core."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.testing import MockRequest

from tests.conftest import SPECS, ApiClient

SPEC_FILES = {1: SPECS / "openapi" / "checkout_v1.json", 2: SPECS / "openapi" / "checkout_v2.json"}
pytestmark = pytest.mark.contract
HOST = "http://localhost"


def load(version: int) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_FILES[version].read_text(encoding="utf-8"))
    spec["servers"] = [{"url": f"{HOST}/checkout/ec/v{version}"}]
    # The spec lists a subscription key that the deployed API does not ask for (reference §1).
    spec.pop("security", None)
    return spec


def example_body(spec: dict[str, Any], version: int) -> dict[str, Any]:
    """A request built only from the spec's own examples."""
    schemas = spec["components"]["schemas"]
    request = schemas["CartRequestV2" if version == 2 else "CartRequest"]
    urls = {
        key: "https://" + value["example"]
        for key, value in request["properties"]["returnUrls"]["properties"].items()
    }
    return {
        "emailNotice": request["properties"]["emailNotice"]["example"],
        "paymentNotices": copy.deepcopy(request["properties"]["paymentNotices"]["example"]),
        "returnUrls": urls,
        "idCart": request["properties"]["idCart"]["example"],
    }


def send(api: ApiClient, version: int, body: Any) -> tuple[MockRequest, Any]:
    path = f"/checkout/ec/v{version}/carts"
    response = api.post(path, json=body)
    request = MockRequest(
        HOST, "post", path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    return request, response


@pytest.mark.parametrize("version", [1, 2])
def test_the_specs_example_cart_is_valid_and_answered_302_as_documented(api: ApiClient, version: int) -> None:
    spec = load(version)
    openapi = OpenAPI.from_dict(copy.deepcopy(spec))
    body = example_body(spec, version)
    request, response = send(api, version, body)
    openapi.validate_request(request)
    assert response.status_code == 302
    openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
    assert "/ecommerce/checkout/v1/carts/" in response.headers["Location"]


@pytest.mark.parametrize("version", [1, 2])
def test_a_schema_violation_answers_the_documented_problem_json(api: ApiClient, version: int) -> None:
    spec = load(version)
    openapi = OpenAPI.from_dict(copy.deepcopy(spec))
    body = example_body(spec, version)
    body["paymentNotices"] = body["paymentNotices"] * 3  # six notices: over maxItems 5
    request, response = send(api, version, body)
    assert response.status_code == 400
    openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
    assert response.get_json() == {
        "title": "Request validation error",
        "detail": "The input request is invalid",
        "status": 400,
    }


def test_v2_without_waiting_url_is_a_documented_400(api: ApiClient) -> None:
    spec = load(2)
    openapi = OpenAPI.from_dict(copy.deepcopy(spec))
    body = example_body(spec, 2)
    del body["returnUrls"]["returnWaitingUrl"]
    request, response = send(api, 2, body)
    assert response.status_code == 400
    openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
