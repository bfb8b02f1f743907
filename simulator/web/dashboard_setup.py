"""The dashboard's blueprints, registered together (the app factory calls ``init_app``)."""

from __future__ import annotations

from flask import Flask

from simulator.web import dashboard, dashboard_actions, dashboard_inspect, dashboard_stream, dashboard_trainer


def init_app(app: Flask) -> None:
    dashboard_stream.init_app(app)
    for module in (dashboard, dashboard_actions, dashboard_inspect, dashboard_stream, dashboard_trainer):
        app.register_blueprint(module.bp)
