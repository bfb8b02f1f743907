"""Malformed requests that used to end in a 500: a NUL in the path or the query (PostgreSQL cannot
compare text holding one), a return URL that does not parse or carries a line break, and a tenant
clock pushed past the last year a date can hold. Each is a 400 in its surface's format and changes
nothing."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient
from tests.functional.control_factories import cart_body, notice

NUL_PATHS = [  # (method, path, status): names no resource (404) or a malformed field (400)
    ("get", "/ecommerce/checkout/v1/carts/a%00b", 404),
    ("get", "/_sandbox/v1/carts/a%00b", 404),
    ("get", "/_sandbox/v1/deliveries/dlv_%00", 404),
    ("post", "/_sandbox/v1/deliveries/dlv_%00/redeliver", 404),
    ("delete", "/_sandbox/v1/webhooks/wh_%00", 404),
    ("get", "/_sandbox/v1/notices/77777777777/3020%0000000000017", 400),
    ("get", "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions/IUPD%001", 400),
    ("get", "/gpd/payments-receipts-service/v1/payments/77777777777/receipts/0200%00", 400),
    ("get", "/_sandbox/v1/journal?path=/c/%00", 400),
    ("get", "/gpd/debt-positions-service/v1/organizations/77777777777/debtpositions?status=VA%00LID", 400),
    ("get", "/_sandbox/v1/deliveries?webhookId=wh_%00", 400),
]


@pytest.mark.parametrize(("method", "path", "status"), NUL_PATHS)
def test_a_nul_in_the_path_or_query_is_a_4xx_on_every_database(
    any_db_api: ApiClient, method: str, path: str, status: int
) -> None:
    answer = getattr(any_db_api, method)(path)
    assert answer.status_code == status, (path, answer.get_data(as_text=True)[:300])
    assert answer.is_json


@pytest.mark.parametrize(
    "url", ["http://[::1", "https://ec.example/ok\r\nSet-Cookie: x=1", "https://ec .example/"]
)
def test_a_return_url_that_does_not_parse_or_breaks_a_line_is_refused(api: ApiClient, url: str) -> None:
    body = cart_body(notice("302000000000000017"))
    body["returnUrls"]["returnOkUrl"] = url
    answer = api.post("/checkout/ec/v2/carts", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["title"] == "Request validation error"
    assert answer.headers["X-Sandbox-Detail"].startswith("returnUrls.returnOkUrl")


def test_the_clock_cannot_pass_the_last_year_a_date_holds_and_the_tenant_keeps_working(
    api: ApiClient,
) -> None:
    hundred_years = 100 * 365 * 24 * 3600
    refused = None
    for _ in range(90):
        answer = api.post("/_sandbox/v1/clock/advance", json={"seconds": hundred_years})
        if answer.status_code != 200:
            refused = answer
            break
    assert refused is not None and refused.status_code == 400
    assert "9998" in refused.get_json()["detail"]
    now = api.get("/_sandbox/v1/clock").get_json()["now"]
    assert now.startswith("99")  # the last accepted advance stands, nothing of the refused one
    created = api.post("/checkout/ec/v2/carts", json=cart_body(notice("302000000000000017")))
    assert created.status_code == 302  # the tenant still answers
