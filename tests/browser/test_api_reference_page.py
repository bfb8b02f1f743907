"""The API reference page in Chromium: Swagger UI renders every operation of the sandbox's document
under the page's own Content-Security-Policy (no violation reported), and the browser asks nothing
of any other site."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from simulator.web.docs_api import openapi_document
from tests.browser.conftest import LiveServer


def test_the_reference_page_renders_every_operation_offline_within_its_policy(
    live_server: LiveServer, page: Any
) -> None:
    problems: list[str] = []
    hosts: set[str] = set()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc) if r.url.startswith("http") else None)
    page.goto(f"{live_server.url}/_sandbox/docs")
    page.wait_for_selector(".opblock")
    shown = page.locator(".opblock").count()
    expected = sum(
        1
        for item in openapi_document()["paths"].values()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    )
    assert shown == expected
    assert "pagoPA Checkout Sandbox API" in page.locator(".info .title").inner_text()
    assert problems == []
    assert hosts == {urlsplit(live_server.url).netloc}
