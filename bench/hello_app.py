"""The baseline of the benchmark: a bare Flask app that answers ``GET /`` with a short text."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
