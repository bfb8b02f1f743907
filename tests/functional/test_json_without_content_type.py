"""A JSON body sent without a JSON Content-Type (``curl -d``: form-urlencoded; scripts: none) is
read as JSON on the APIs; a body that does not parse keeps its surface's 400; the pages' own form
posts are still forms."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ApiClient
from tests.functional import gpd_factories
from tests.functional.test_checkout_cart_api import BAD_REQUEST, CART_V2, cart_body

FORM = "application/x-www-form-urlencoded"
UNLABELLED = [pytest.param(FORM, id="form-urlencoded"), pytest.param(None, id="no-content-type")]


def _send(api: ApiClient, method: str, path: str, payload: object, content_type: str | None) -> object:
    data = json.dumps(payload).encode()
    kwargs = {"content_type": content_type} if content_type else {}
    return getattr(api, method)(path, data=data, **kwargs)


@pytest.mark.parametrize("content_type", UNLABELLED)
def test_the_cart_api_reads_an_unlabelled_json_body(api: ApiClient, content_type: str | None) -> None:
    response = _send(api, "post", CART_V2, cart_body(waiting=True), content_type)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "/carts/" in response.headers["Location"]


@pytest.mark.parametrize("content_type", UNLABELLED)
def test_gpd_creates_a_position_from_an_unlabelled_json_body(
    api: ApiClient, content_type: str | None
) -> None:
    response = _send(api, "post", gpd_factories.positions_url(), gpd_factories.position_body(), content_type)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["iupd"] == "IUPD-0001"


@pytest.mark.parametrize("content_type", UNLABELLED)
def test_the_sandbox_api_reads_an_unlabelled_json_body(api: ApiClient, content_type: str | None) -> None:
    response = _send(api, "post", "/_sandbox/v1/clock/advance", {"seconds": 60}, content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["offsetSeconds"] == 60


def test_a_real_form_body_on_an_api_is_still_a_clear_400(api: ApiClient) -> None:
    response = api.post("/_sandbox/v1/clock/advance", data="seconds=60", content_type=FORM)
    assert response.status_code == 400
    assert "must be a JSON object" in response.get_json()["detail"]
    cart = api.post(CART_V2, data="paymentNotices=1", content_type=FORM)
    assert cart.status_code == 400
    assert cart.get_json() == BAD_REQUEST
    gpd = api.post(gpd_factories.positions_url(), data="iupd=x", content_type=FORM)
    assert gpd.status_code == 400
    assert "must be a JSON object" in gpd.get_json()["detail"]
    assert api.get(gpd_factories.positions_url()).get_json()["payment_position_list"] == []


def test_the_pages_form_posts_stay_forms(api: ApiClient) -> None:
    """The notice form posted as a browser does reaches its form handler (a field error, not a
    JSON error), and a JSON-looking body posted there is not read as JSON."""
    page = api.post("/inserisci-dati-avviso", data={"noticeNumber": "123", "fiscalCode": "1"})
    assert page.status_code in (200, 400, 422)
    assert "text/html" in page.headers["Content-Type"]
    looks_like_json = api.post("/inserisci-dati-avviso", data='{"noticeNumber": "1"}', content_type=FORM)
    assert "text/html" in looks_like_json.headers["Content-Type"]
