"""The example EC portal (examples/ec_portal) end to end, headless, against the sandbox in-process:
the portal's HTTP calls go to the sandbox's Flask test client, the citizen pays on the checkout
pages, comes back with a signed return URL, and the sandbox's notifications reach the portal."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from examples.ec_portal import create_app
from examples.ec_portal.app import Store
from simulator.notify.transport import Request, Response
from simulator.services.clock import FixedClock
from simulator.services.delivery import Notifier
from simulator.testing.pages_client import Checkout, FlaskTransport, PagesClient, pay
from tests.conftest import ApiClient

SANDBOX = "http://localhost"  # the host the test clients use: Checkout links back to it
PORTAL = "http://portal.test"


@dataclass
class FlaskResponse:
    """The part of ``requests.Response`` the portal reads."""

    status_code: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class FlaskSession:
    """``requests``-style calls to absolute sandbox URLs, answered by its Flask test client."""

    client: FlaskClient
    calls: list[tuple[str, str]] = field(default_factory=list)

    def request(self, method: str, url: str, **kwargs: Any) -> FlaskResponse:
        assert url.startswith(SANDBOX + "/"), url
        self.calls.append((method, urlsplit(url).path))
        answer = self.client.open(
            url, method=method, json=kwargs.get("json"), headers=dict(kwargs.get("headers") or {})
        )
        return FlaskResponse(answer.status_code, dict(answer.headers), answer.get_data(as_text=True))

    def get(self, url: str, **kwargs: Any) -> FlaskResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> FlaskResponse:
        return self.request("POST", url, **kwargs)


class PortalTransport:
    """The sandbox's notification transport, delivering to the portal's test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.requests: list[Request] = []
        self.statuses: list[int] = []

    def send(self, request: Request) -> Response:
        assert request.url.startswith(PORTAL + "/"), request.url
        self.requests.append(request)
        answer = self.client.post(request.url, data=request.body, headers=dict(request.headers))
        self.statuses.append(answer.status_code)
        return Response(answer.status_code, answer.get_data())


@pytest.fixture
def clock() -> FixedClock:
    """The sandbox's clock at the real time: the portal checks the return URL's ``ts`` against its
    own clock, as a real EC does (the suite's fixed START would be months old)."""
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def session(app: Flask) -> FlaskSession:
    return FlaskSession(app.test_client())


@pytest.fixture
def portal(session: FlaskSession) -> Flask:
    return create_app(SANDBOX, PORTAL, http=session)


def store_of(portal: Flask) -> Store:
    store: Store = portal.extensions["ec_portal"]
    return store


def start_payment(portal: Flask, session: FlaskSession, due: str = "TARI-2026") -> tuple[FlaskClient, str]:
    """The citizen presses Paga: the portal answers with a redirect to Checkout."""
    citizen = portal.test_client()
    home = citizen.get("/")
    assert home.status_code == 200 and f'id="pay-{due}"' in home.get_data(as_text=True)
    answer = citizen.post(f"/paga/{due}")
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith(SANDBOX + "/ecommerce/checkout/v1/carts/")
    assert [path for _, path in session.calls[-2:]] == [
        "/gpd/debt-positions-service/v1/organizations/15376371009/debtpositions",
        "/checkout/ec/v2/carts",
    ]
    return citizen, location


def checkout(app: Flask, location: str) -> Checkout:
    """The browser on Checkout: the gateway's hop (a meta refresh), then every page, paying."""
    browser = PagesClient(FlaskTransport(app.test_client(), base_url=SANDBOX))
    hop = browser.get(location)
    [refresh] = [e for e in hop.all if e.tag == "meta" and e.attrs.get("http-equiv") == "refresh"]
    return pay(browser, refresh.attrs["content"].split("URL=", 1)[1])


def test_a_citizen_pays_and_the_portal_verifies_confirms_and_takes_the_notifications(
    app: Flask, api: ApiClient, portal: Flask, session: FlaskSession
) -> None:
    citizen, location = start_payment(portal, session)

    paid = checkout(app, location)

    assert paid.outcome == 0
    exit_url = paid.exit_url or ""
    assert exit_url.startswith(PORTAL + "/pagopa/esito/ok?outcome=OK&outcomeCode=0&")
    back = citizen.get(exit_url)
    assert back.status_code == 303
    assert ("GET", f"/_sandbox/v1/carts/{exit_url.split('cartId=')[1].split('&')[0]}") in session.calls
    result = citizen.get(back.headers["Location"])
    assert result.status_code == 200
    assert 'data-status="PAID"' in result.get_data(as_text=True)
    assert "pagato" in result.get_data(as_text=True)
    assert 'class="paid">pagato' in citizen.get("/").get_data(as_text=True)

    # The sandbox's delivery, driven explicitly: the outcome and the receipt reach the portal.
    transport = PortalTransport(portal.test_client())
    notifier = Notifier(app.extensions["sandbox"], transport)
    assert notifier.deliver_due() == 2
    assert transport.statuses == [204, 204]
    assert [json.loads(r.body)["type"] for r in transport.requests] == ["attempt.closed", "receipt.created"]
    processed = store_of(portal).notifications()
    assert [n["type"] for n in processed] == ["attempt.closed", "receipt.created"]

    # A redelivery of the same message (same webhook-id) is accepted and processed once.
    receipt = next(d for d in api.get("/_sandbox/v1/deliveries").get_json()["deliveries"])
    assert api.post(f"/_sandbox/v1/deliveries/{receipt['id']}/redeliver").status_code == 202
    assert notifier.deliver_due() == 1
    assert transport.statuses[-1] == 204
    assert transport.requests[-1].headers["webhook-id"] == receipt["webhookId"]
    assert len(store_of(portal).notifications()) == 2


def test_a_tampered_return_url_is_refused(app: Flask, portal: Flask, session: FlaskSession) -> None:
    citizen, location = start_payment(portal, session)
    exit_url = checkout(app, location).exit_url or ""
    before = len(session.calls)

    tampered = citizen.get(exit_url.replace("totalAmount=12050", "totalAmount=1"))

    assert tampered.status_code == 400
    assert "Link di ritorno non valido" in tampered.get_data(as_text=True)
    assert not [path for _, path in session.calls[before:] if "/carts/" in path]  # no status query
    assert citizen.get(exit_url).status_code == 303  # the genuine one is still fine


def test_a_notification_with_a_bad_signature_gets_401(
    app: Flask, portal: Flask, session: FlaskSession
) -> None:
    _citizen, location = start_payment(portal, session)
    checkout(app, location)
    captured = PortalTransport(portal.test_client())
    Notifier(app.extensions["sandbox"], captured).deliver_due()
    genuine = captured.requests[0]
    sender = portal.test_client()

    forged_body = genuine.body.replace(b'"OK"', b'"KO"')
    forged = sender.post("/pagopa/notify", data=forged_body, headers=dict(genuine.headers))
    unsigned = sender.post("/pagopa/notify", data=genuine.body, headers={"Content-Type": "application/json"})

    assert forged.status_code == 401 and unsigned.status_code == 401
    assert len(store_of(portal).notifications()) == 2  # only the genuine deliveries
