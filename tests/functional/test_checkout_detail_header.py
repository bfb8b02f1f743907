"""The cart API names the offending field in the ``X-Sandbox-Detail`` header: whatever the client
sent (a control character, a line break, any script), the header stays one printable line, and
the answer a 400, not a 500 from a header that cannot be written."""

from __future__ import annotations

import pytest

from tests.conftest import ApiClient

DETAIL = "X-Sandbox-Detail"


@pytest.mark.parametrize("query", ["a%00%0D%0Ab=1", "%00%0D=x", "caff%C3%A8%00=1"])
def test_a_refused_query_name_with_a_control_character_is_a_one_line_detail(
    api: ApiClient, query: str
) -> None:
    response = api.post(f"/checkout/ec/v2/carts?{query}", json={})
    assert response.status_code == 400
    assert response.get_json() == {
        "title": "Request validation error",
        "detail": "The input request is invalid",
        "status": 400,
    }
    detail = response.headers[DETAIL]
    assert detail.endswith("must not contain a NUL character (%00)")
    assert all(" " <= c <= "~" for c in detail), detail
