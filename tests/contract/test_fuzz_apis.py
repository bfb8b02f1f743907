"""Schemathesis over every REST surface, in process (WSGI): the cart API, GPD's debt positions and
receipts (from the official specs) and the sandbox's own API (from its document). Whatever a
client sends, valid or not, no operation answers a 5xx; the sandbox API's answers also match its
document. Each example runs in a tenant of its own, so no state leaks between examples; the data
is derandomized, so a run is the same every time."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from simulator.app import create_app
from simulator.config import Settings
from simulator.services.clock import FixedClock
from simulator.web.docs_api import openapi_document
from tests.conftest import KEY, SPECS, START
from tests.functional.control_factories import SYNTHETIC_EC, cart_body, notice, synthetic_nav
from tests.functional.gpd_factories import ORG, position_body, positions_url

pytestmark = pytest.mark.contract

# Examples per operation: every field's edges within about a minute for all surfaces on two cores;
# FUZZ_EXAMPLES=200 digs deeper by hand.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# the official specs (found where the contract tests find them) and where the sandbox serves each
OFFICIAL = {
    "checkout-v1": (SPECS / "openapi" / "checkout_v1.json", "/checkout/ec/v1"),
    "checkout-v2": (SPECS / "openapi" / "checkout_v2.json", "/checkout/ec/v2"),
    # the server-to-server variant reads the same request body (it answers 200 with the URL instead)
    "carts-auth-v1": (SPECS / "openapi" / "checkout_v1.json", "/checkout/carts-auth/v1"),
    "carts-auth-v2": (SPECS / "openapi" / "checkout_v2.json", "/checkout/carts-auth/v2"),
    "gpd": (SPECS / "openapi" / "gpd.json", "/gpd/debt-positions-service/v1"),
    "gpd-receipts": (SPECS / "openapi" / "gpd_payments.json", "/gpd/payments-receipts-service/v1"),
}
SPECS_MISSING = "the official pagoPA specs are absent ({} not found): fuzzing of {} skipped"
tenants = itertools.count()


def official_spec(name: str) -> dict[str, Any] | None:
    path, base = OFFICIAL[name]
    if not path.is_file():
        return None
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": base}]
    return spec


def sandbox_spec() -> dict[str, Any]:
    return openapi_document()


def operations() -> Iterator[Any]:
    """One parameter per (surface, method, path): the pytest ids name each operation."""
    for name in OFFICIAL:
        spec = official_spec(name)
        if spec is None:
            reason = SPECS_MISSING.format(OFFICIAL[name][0], name)
            yield pytest.param(name, None, None, id=name, marks=pytest.mark.skip(reason=reason))
            continue
        yield from _operations_of(name, spec)
    yield from _operations_of("sandbox", sandbox_spec())


def _operations_of(name: str, spec: dict[str, Any]) -> Iterator[Any]:
    for path, item in spec["paths"].items():
        for method in item:
            if method in ("get", "put", "post", "delete", "patch"):
                yield pytest.param(name, method, path, id=f"{name} {method.upper()} {path}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One sandbox for the module (each example has its own tenant); no delivery worker, so
    webhooks the fuzzer subscribes are never called."""
    data = tmp_path_factory.mktemp("fuzz")
    application = create_app(
        Settings(
            data_dir=str(data),
            database_url=f"sqlite:///{data / 'sandbox.sqlite3'}",
            log_requests=False,
            delay_cap_seconds=0,
            notify_worker=False,
        ),
        clock=FixedClock(START),
    )
    yield application
    application.extensions["sandbox"].close()


class Seeds:
    """Things that exist in one example's tenant, made through the APIs as a client makes them, so
    that the fuzzer reaches past "not found": a published debt position and its receipt, a cart,
    a webhook and a delivery. Each is made when an operation's path first asks for it."""

    IUPD = "IUPD-FUZZ"
    IUV = "01000000000000077"

    def __init__(self, app: Flask, tenant: str) -> None:
        self.client = app.test_client()
        self.headers = {**KEY, "X-Sandbox-Tenant": tenant}
        self.made: dict[str, str] = {}

    def value(self, parameter: str) -> str | None:
        """The existing thing a path parameter can name, or None for one that names nothing made here."""
        make = {
            "organizationfiscalcode": lambda: ORG,
            "iupd": self._position,
            "iuv": self._receipt,
            "cartId": self._cart,
            "webhookId": self._webhook,
            "deliveryId": self._delivery,
        }.get(parameter)
        if make is None:
            return None
        if parameter not in self.made:
            self.made[parameter] = make()
        return self.made[parameter]

    def _send(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.open(path, method=method, json=body, headers=self.headers)
        assert response.status_code < 400, (path, response.get_data(as_text=True))
        return response

    def _position(self) -> str:
        self._send("POST", positions_url() + "?toPublish=true", position_body(self.IUPD, iuv=self.IUV))
        return self.IUPD

    def _receipt(self) -> str:
        self.value("iupd")
        managed = notice("3" + self.IUV, ORG, amount=10_000)
        cart = self._new_cart(managed)
        self._send("POST", f"/_sandbox/v1/carts/{cart}/complete")
        return self.IUV

    def _new_cart(self, *notices: dict[str, Any]) -> str:
        response = self._send("POST", "/checkout/ec/v2/carts", cart_body(*notices))
        return str(response.headers["Location"]).split("/carts/")[1].split("/")[0]

    def _cart(self) -> str:
        return self._new_cart(notice(synthetic_nav(1)))

    def _webhook(self) -> str:
        body = {"url": "https://receiver.example/hook", "fiscalCode": SYNTHETIC_EC}
        return str(self._send("POST", "/_sandbox/v1/webhooks", body).get_json()["id"])

    def _delivery(self) -> str:
        self.value("webhookId")
        self._send("POST", f"/_sandbox/v1/carts/{self._new_cart(notice(synthetic_nav(2)))}/complete")
        return str(self._send("GET", "/_sandbox/v1/deliveries").get_json()["deliveries"][0]["id"])


def strategy(schema: Any, method: str, path: str) -> Any:
    """Valid and invalid requests alike: a 5xx is a bug whatever was sent."""
    operation = schema[path][method.upper()]
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )


@pytest.mark.parametrize(("surface", "method", "path"), list(operations()))
def test_no_request_gets_a_server_error(app: Flask, surface: str, method: str, path: str) -> None:
    spec = sandbox_spec() if surface == "sandbox" else official_spec(surface)
    schema = schemathesis.openapi.from_dict(spec)
    checks = [not_a_server_error]
    if surface == "sandbox":
        checks.append(response_schema_conformance)

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        # these time and size the generator's own work on the specs' large bodies (a loaded CI machine
        # would fail them at random), not the sandbox
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(case=strategy(schema, method, path), existing=st.booleans())
    def run(case: Any, existing: bool) -> None:
        tenant = f"fuzz-{next(tenants)}"
        case.headers = {**(case.headers or {}), **KEY, "X-Sandbox-Tenant": tenant}
        if existing:  # half the examples name things that exist, the others whatever was generated
            seeds = Seeds(app, tenant)
            for name in case.path_parameters or {}:
                if (value := seeds.value(name)) is not None:
                    case.path_parameters[name] = value
        case.call_and_validate(app=app, checks=checks)

    run()


def test_every_surface_is_fuzzed() -> None:
    """The official specs are found (where they are shipped) and the sandbox's document is used."""
    names = {p.values[0] for p in operations() if not p.marks}
    assert "sandbox" in names
    missing = [name for name in OFFICIAL if not Path(OFFICIAL[name][0]).is_file()]
    if missing:
        pytest.skip(SPECS_MISSING.format(SPECS / "openapi", ", ".join(missing)))
    assert set(OFFICIAL) <= names
