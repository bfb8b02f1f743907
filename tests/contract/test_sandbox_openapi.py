"""The sandbox API's own OpenAPI document: a valid OpenAPI 3.1 document, served as packaged, that
names every ``/_sandbox/v1`` route of the application (and nothing it does not serve), and its
reference page, which loads only assets served by the sandbox itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from flask import Flask
from openapi_spec_validator import validate

from simulator.web.docs_api import openapi_document
from simulator.web.pages_setup import CONTENT_SECURITY_POLICY
from tests.conftest import ApiClient

PREFIX = "/_sandbox/v1"
STATIC = Path(__file__).resolve().parents[2] / "simulator" / "static"


def routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path template) of every sandbox API route, parameters written ``{}``."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX):
            template = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", rule.rule)
            found |= {(m.lower(), template) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return found


def documented() -> set[tuple[str, str]]:
    found = set()
    for path, item in openapi_document()["paths"].items():
        template = re.sub(r"\{[^}]+\}", "{}", path)
        found |= {(m, template) for m in item if m in ("get", "put", "post", "delete", "patch")}
    return found


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_sandbox_route_is_documented_and_every_documented_operation_exists(app: Flask) -> None:
    served, described = routes(app), documented()
    assert served, "no /_sandbox/v1 route found"
    assert served - described == set(), "routes missing from simulator/openapi/sandbox.yaml"
    assert described - served == set(), "operations documented that the sandbox does not serve"


def test_every_documented_path_parameter_is_declared() -> None:
    """A ``{name}`` in a path without its parameter would make the document useless to clients."""
    document = openapi_document()
    components = document["components"]["parameters"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = {
                (components[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p)["name"]
                for p in operation.get("parameters", [])
            }
            assert set(re.findall(r"\{([^}]+)\}", path)) <= declared, (method, path)


def test_the_document_is_served_as_packaged(api: ApiClient) -> None:
    response = api.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == openapi_document()


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(str(values[name]))
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1


def test_the_reference_page_loads_only_the_sandboxs_own_assets(api: ApiClient) -> None:
    response = api.get("/_sandbox/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = Assets()
    page.feed(response.get_data(as_text=True))
    assert page.inline_scripts == 0
    assert any(url.endswith("swagger-ui-bundle.js") for url in page.urls)
    for url in page.urls:
        if url == "data:,":  # the empty icon: no request for /favicon.ico
            continue
        assert url.startswith("/") and not url.startswith("//"), url
        asset = api.get(url)
        asset.close()  # a static file is streamed: closing it releases the file
        assert asset.status_code == 200, url
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert "default-src 'self'" in policy


def test_the_vendored_swagger_ui_keeps_its_licence_and_starts_without_the_online_validator() -> None:
    vendor = STATIC / "vendor" / "swagger-ui"
    assert "Apache License" in (vendor / "LICENSE").read_text(encoding="utf-8")
    assert "validatorUrl: null" in (STATIC / "js" / "sandbox-docs.js").read_text(encoding="utf-8")


def test_the_payment_pages_keep_their_own_policy(api: ApiClient) -> None:
    assert api.get("/").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
