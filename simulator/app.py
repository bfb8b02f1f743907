"""The application factory: builds one Sandbox (settings, store, clock, scenarios) and registers
the surfaces."""

from __future__ import annotations

from flask import Flask

from simulator.config import Settings
from simulator.domain.ids import RandomIds
from simulator.scenario.library import ScenarioLibrary
from simulator.scenario.loader import load_library
from simulator.services import due
from simulator.services.clock import Clock
from simulator.services.context import Sandbox
from simulator.services.journal import JournalWriter
from simulator.services.scenario_reload import ScenarioWatcher
from simulator.storage import migrate
from simulator.storage.database import Database
from simulator.storage.engine import make_engine
from simulator.web.json_provider import SandboxJSONProvider
from simulator.web.json_request import SandboxRequest


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    ids: RandomIds | None = None,
    create_schema: bool = True,
    scenarios: ScenarioLibrary | None = None,
) -> Flask:
    """The sandbox app. ``scenarios`` defaults to the built-ins plus ``settings.scenario_dirs``;
    a bad scenario file raises ``ScenarioError`` here, before anything is served."""
    settings = settings or Settings.from_env()
    if scenarios is None:
        scenarios = load_library(settings.scenario_dirs)
    database = Database(make_engine(settings.resolved_database_url))
    if create_schema:
        migrate.upgrade(database.engine)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json = SandboxJSONProvider(app)
    app.request_class = SandboxRequest
    sandbox = Sandbox(settings, database, clock, scenarios, ids=ids, settle=due.settle)
    sandbox.journal = JournalWriter(database, settings.journal_size)
    app.extensions["sandbox"] = sandbox
    app.extensions["scenario_watcher"] = ScenarioWatcher(sandbox)

    from simulator.web import (
        certification_api,
        checkout_api,
        control_api,
        docs_api,
        errors,
        gpd_api,
        nodo_api,
        notify_api,
        pages,
        pages_setup,
        pipeline,
        receipts_api,
        sandbox_api,
    )

    pipeline.init_app(app)
    errors.init_app(app)
    pages_setup.init_app(app)
    for blueprint in (
        checkout_api.bp,
        gpd_api.bp,
        receipts_api.bp,
        sandbox_api.bp,
        control_api.bp,
        notify_api.bp,
        nodo_api.bp,
        docs_api.bp,
        certification_api.bp,
        pages.bp,
    ):
        app.register_blueprint(blueprint)
    from simulator.web import dashboard_setup

    dashboard_setup.init_app(app)  # /_sandbox/: the dashboard for developers and trainers
    pipeline.wrap_views(app)
    if settings.notify_worker:  # one delivery thread per (gunicorn worker) process
        from simulator.services.delivery_worker import start_worker

        app.extensions["notify_worker"] = start_worker(sandbox)
    return app
