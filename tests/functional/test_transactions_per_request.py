"""One database transaction per request, counted with SQLAlchemy's ``begin`` event, on every API
path and every page of a payment; and reads never take SQLite's write lock (they begin deferred).

The two documented exceptions are not on these paths: a read that finds something the tenant's
clock made due applies it first in a write transaction (then serves the read from it), and a
scenario's delay ends the transaction before sleeping and begins another after it. Journal
entries are written by a background writer, many requests per transaction, never by the request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from threading import get_ident
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from tests.conftest import KEY, ApiClient, _database_url
from tests.functional.control_factories import cart_body, notice
from tests.functional.gpd_factories import position_body, position_url, positions_url
from tests.functional.pages_factories import EMAIL


@dataclass(eq=False)
class Begins:
    """The transactions begun by this thread (the request's), with whether each was a write."""

    thread: int = field(default_factory=get_ident)
    seen: list[bool] = field(default_factory=list)

    def __call__(self, conn: Any) -> None:
        if get_ident() == self.thread:
            self.seen.append(bool(conn.info.get("write", True)))

    def take(self) -> list[bool]:
        taken, self.seen = self.seen, []
        return taken


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def counted(
    request: pytest.FixtureRequest, settings: Settings, clock: FixedClock, tmp_path: Path
) -> Iterator[tuple[Flask, Begins]]:
    urls = _database_url(request.param, tmp_path)
    # the scenario watcher looks at the library's generation at most once an hour here
    app = create_app(settings.with_(database_url=next(urls), scenario_watch_seconds=3600), clock=clock)
    begins = Begins()
    engine = app.extensions["sandbox"].database.engine
    event.listen(engine, "begin", begins)
    try:
        yield app, begins
    finally:
        event.remove(engine, "begin", begins)
        app.extensions["sandbox"].close()
        next(urls, None)


WRITE, READ = [True], [False]


def test_the_cart_api_opens_one_transaction_per_request_and_reads_take_no_write_lock(
    counted: tuple[Flask, Begins],
) -> None:
    app, begins = counted
    api = ApiClient(app.test_client())

    created = api.post("/checkout/ec/v2/carts", json=cart_body(notice("302000000000000017")))
    assert created.status_code == 302
    assert begins.take() == WRITE
    cart_id = created.headers["Location"].split("/carts/")[1].split("/")[0]

    assert api.get(f"/ecommerce/checkout/v1/carts/{cart_id}").status_code == 200
    assert begins.take() == READ

    assert api.get(f"/_sandbox/v1/carts/{cart_id}").status_code == 200
    assert begins.take() == READ

    done = api.post(f"/_sandbox/v1/carts/{cart_id}/complete", json={})
    assert done.status_code == 200 and done.get_json()["state"] == "PAID"
    assert begins.take() == WRITE  # verify, activate, method, PSP, authorize, receipt, return: one unit


def test_gpd_create_and_get_open_one_transaction_each(counted: tuple[Flask, Begins]) -> None:
    app, begins = counted
    api = ApiClient(app.test_client())

    assert api.post(positions_url() + "?toPublish=true", json=position_body("IUPD-TX-1")).status_code == 201
    assert begins.take() == WRITE
    assert api.get(position_url("IUPD-TX-1")).status_code == 200
    assert begins.take() == READ
    assert api.get(positions_url()).status_code == 200
    assert begins.take() == READ


def _csrf(client: FlaskClient) -> str:
    with client.session_transaction() as cookie:
        return str(cookie["csrf"])


def test_every_page_of_a_payment_opens_one_transaction(counted: tuple[Flask, Begins]) -> None:
    app, begins = counted
    api = ApiClient(app.test_client())
    created = api.post("/checkout/ec/v2/carts", json=cart_body(notice("302000000000000025")))
    cart_id = created.headers["Location"].split("/carts/")[1].split("/")[0]
    begins.take()
    browser = app.test_client()

    def step(verb: str, path: str, expected: list[bool], **form: str) -> Any:
        if verb == "POST":
            form["csrf_token"] = _csrf(browser)
            response = browser.post(path, data=form)
        else:
            response = browser.get(path)
        assert response.status_code in (200, 303), (path, response.status_code)
        assert begins.take() == expected, path
        return response

    step("GET", f"/c/{cart_id}", WRITE)  # the page session starts
    step("GET", "/inserisci-email", READ)
    step("POST", "/inserisci-email", WRITE, email=EMAIL, confirmEmail=EMAIL)
    step("GET", "/scegli-metodo", READ)
    step("POST", "/scegli-metodo", WRITE, method="CP")
    step("GET", "/inserisci-carta", READ)
    step(
        "POST",
        "/inserisci-carta",
        WRITE,  # verify + activate + method + PSP + the session: one unit (it was nine)
        number="4242424242424242",
        expirationDate="12/30",
        cvv="123",
        name="Mario Rossi",
    )
    step("GET", "/lista-psp", READ)
    psp = browser.get("/lista-psp").get_data(as_text=True).split('name="psp" value="')[1].split('"')[0]
    begins.take()
    step("POST", "/lista-psp", WRITE, psp=psp)
    step("GET", "/riepilogo-pagamento", READ)
    paid = step("POST", "/riepilogo-pagamento", WRITE)
    assert paid.headers["Location"].endswith("/esito")
    step("GET", "/esito", READ)  # "Paga" recorded the outcome in the session: /esito only reads it
    assert api.get(f"/_sandbox/v1/carts/{cart_id}", headers=KEY).get_json()["state"] == "PAID"


def test_a_read_that_finds_something_due_settles_it_in_one_write_first(
    counted: tuple[Flask, Begins], clock: FixedClock
) -> None:
    """The documented exception: the tenant's clock made a pending payment's result due."""
    app, begins = counted
    api = ApiClient(app.test_client())
    created = api.post(
        "/checkout/ec/v2/carts",
        json=cart_body(notice("302000000000000033")),
        headers={"X-Sandbox-Scenario": "pending-then-ok"},
    )
    cart_id = created.headers["Location"].split("/carts/")[1].split("/")[0]
    assert api.post(f"/_sandbox/v1/carts/{cart_id}/complete", json={}).get_json()["state"] == "PENDING"
    begins.take()

    clock.advance(24 * 3600)
    assert api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["state"] == "PAID"
    assert begins.take() == [False, True]  # the read found it due, the write settled and answered
    assert api.get(f"/_sandbox/v1/carts/{cart_id}").get_json()["state"] == "PAID"
    assert begins.take() == READ
