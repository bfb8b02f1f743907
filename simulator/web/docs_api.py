"""The sandbox API's own description: its OpenAPI 3.1 document (``simulator/openapi/sandbox.yaml``,
kept by hand and checked against the URL map by the tests) and a reference page that renders it
with vendored Swagger UI, so it works offline like the rest of the sandbox."""

from __future__ import annotations

import copy
import functools
from importlib import resources
from typing import Any

import yaml
from flask import Blueprint, Response, jsonify, render_template

from simulator import __version__

bp = Blueprint("docs_api", __name__)

DOCUMENT = ("openapi", "sandbox.yaml")

# The reference page runs Swagger UI's script and fetches the document: both from this origin only.
# The payment pages keep their own, stricter policy (pages_setup).
DOCS_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none';"
        " base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@functools.cache
def _document() -> dict[str, Any]:
    text = resources.files("simulator").joinpath(*DOCUMENT).read_text(encoding="utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    document["info"]["version"] = __version__  # the document describes the running sandbox
    return document


def openapi_document() -> dict[str, Any]:
    """The sandbox API's OpenAPI document (a copy: callers may change it)."""
    return copy.deepcopy(_document())


@bp.get("/_sandbox/v1/openapi.json")
def openapi() -> Response:
    return jsonify(_document())


@bp.get("/_sandbox/docs")
def reference() -> Response:
    response = Response(render_template("sandbox_docs.html"), mimetype="text/html")
    response.headers.update(DOCS_SECURITY_HEADERS)
    return response
