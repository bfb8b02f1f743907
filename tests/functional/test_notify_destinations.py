"""Where notifications may go: never to the sandbox itself (its configured address and port, the
address a request reached it at, a name that resolves to it at delivery time), never a scheme
other than http(s), and only inside ``PAGOPA_SANDBOX_NOTIFY_ALLOW`` when that is set. Refused at
registration with the surface's 400; refused at delivery time as a failed attempt that sent
nothing. A receiver's reply is never shown beyond its status and a short excerpt."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from simulator.app import create_app
from simulator.config import Settings
from simulator.notify.transport import Request, RequestsTransport, Response
from simulator.services.clock import FixedClock
from simulator.services.delivery import EXCERPT_LIMIT, Notifier
from tests.conftest import ApiClient
from tests.functional.notify_factories import EC, announce, notifier, sandbox_of
from tests.notify_receiver import Receiver, receiver

CART_V2 = "/checkout/ec/v2/carts"
BAD_REQUEST = {"title": "Request validation error", "detail": "The input request is invalid", "status": 400}

# The functional tests' sandbox is configured on 127.0.0.1:8080; the test client reaches it as
# http://localhost/ (port 80).
OWN = [
    "http://127.0.0.1:8080/_sandbox/v1/reset",
    "http://localhost:8080/_sandbox/v1/reset",
    "http://LOCALHOST.:8080/_sandbox/v1/reset",
    "http://[::1]:8080/_sandbox/v1/reset",
    "http://0.0.0.0:8080/_sandbox/v1/reset",
    "http://127.0.0.2:8080/_sandbox/v1/reset",
    "http://localhost/_sandbox/v1/reset",
    "http://127.0.0.1:80/_sandbox/v1/reset",
]
NOT_HTTP = ["file:///etc/passwd", "gopher://127.0.0.1:6379/_FLUSHALL", "ftp://ec.example/x"]


def app_with(settings: Settings, clock: FixedClock, tmp_path: Path, **changes: Any) -> Flask:
    return create_app(
        settings.with_(database_url=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}", **changes), clock=clock
    )


@pytest.fixture
def receiving() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


# --- at registration ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", OWN + NOT_HTTP)
def test_a_webhook_to_the_sandbox_itself_or_not_http_is_a_400_and_stores_nothing(
    api: ApiClient, url: str
) -> None:
    answer = api.post("/_sandbox/v1/webhooks", json={"url": url, "fiscalCode": EC})

    assert answer.status_code == 400
    problem = answer.get_json()
    assert problem["status"] == 400 and problem["detail"].startswith("url")
    assert api.get("/_sandbox/v1/webhooks").get_json()["webhooks"] == []


def test_the_address_a_request_reached_the_sandbox_at_is_refused(api: ApiClient) -> None:
    answer = api.post(
        "/_sandbox/v1/webhooks",
        json={"url": "http://sandbox.example:9000/_sandbox/v1/reset", "fiscalCode": EC},
        headers={"Host": "sandbox.example:9000"},
    )

    assert answer.status_code == 400
    assert "the sandbox itself" in answer.get_json()["detail"]


def test_a_receiver_on_localhost_at_another_port_is_the_common_case_and_accepted(api: ApiClient) -> None:
    for url in ("http://localhost:3000/notify", "http://127.0.0.1:8081/hook", "https://ec.example/hook"):
        answer = api.post("/_sandbox/v1/webhooks", json={"url": url, "fiscalCode": EC})
        assert answer.status_code == 201, (url, answer.get_json())


@pytest.mark.parametrize("url", OWN[:3] + NOT_HTTP[:1])
def test_an_ecs_notification_url_to_the_sandbox_is_a_400_and_changes_nothing(
    api: ApiClient, url: str
) -> None:
    before = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()

    answer = api.put(f"/_sandbox/v1/organizations/{EC}", json={"notificationUrl": url})

    assert answer.status_code == 400 and answer.get_json()["detail"].startswith("notificationUrl")
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json() == before


def cart_with_notify_url(url: str) -> dict[str, Any]:
    return {
        "paymentNotices": [
            {
                "noticeNumber": "302012387654312384",
                "fiscalCode": EC,
                "amount": 1000,
                "companyName": "Comune di Prova",
                "description": "TARI",
            }
        ],
        "returnUrls": {
            "returnOkUrl": "https://ec.example/ok",
            "returnCancelUrl": "https://ec.example/cancel",
            "returnErrorUrl": "https://ec.example/error",
            "returnWaitingUrl": "https://ec.example/wait",
        },
        "sandbox": {"notifyUrl": url},
    }


@pytest.mark.parametrize("url", OWN[:2] + OWN[-2:] + NOT_HTTP[:1])
def test_a_carts_notify_url_to_the_sandbox_gets_checkouts_400_and_no_cart(api: ApiClient, url: str) -> None:
    answer = api.post(CART_V2, json=cart_with_notify_url(url))

    assert answer.status_code == 400 and answer.get_json() == BAD_REQUEST
    assert answer.headers["X-Sandbox-Detail"].startswith("sandbox.notifyUrl")
    journal = api.get("/_sandbox/v1/journal").get_json()["entries"]
    assert not [e for e in journal if e.get("cartId")]


def test_a_carts_notify_url_elsewhere_on_localhost_is_accepted(api: ApiClient) -> None:
    assert api.post(CART_V2, json=cart_with_notify_url("http://localhost:3000/notify")).status_code == 302


@pytest.mark.parametrize(
    ("allow", "url", "status"),
    [
        (("10.0.0.0/8", "ec.example"), "https://ec.example/hook", 201),
        (("10.0.0.0/8", "ec.example"), "http://10.1.2.3:8080/hook", 201),
        (("10.0.0.0/8", "ec.example"), "http://192.168.1.1/hook", 400),
        (("10.0.0.0/8", "ec.example"), "http://127.0.0.1:3000/hook", 400),
        # a name the list does not hold may resolve into its networks: judged at delivery time
        (("10.0.0.0/8", "ec.example"), "https://other.example/hook", 201),
        (("ec.example",), "https://other.example/hook", 400),
        (("ec.example",), "http://10.1.2.3/hook", 400),
    ],
)
def test_the_allow_list_admits_only_its_networks_and_names(
    settings: Settings, clock: FixedClock, tmp_path: Path, allow: tuple[str, ...], url: str, status: int
) -> None:
    app = app_with(settings, clock, tmp_path, notify_allow=allow)
    api = ApiClient(app.test_client())
    try:
        answer = api.post("/_sandbox/v1/webhooks", json={"url": url, "fiscalCode": EC})

        assert answer.status_code == status, answer.get_json()
        if status == 400:
            assert "PAGOPA_SANDBOX_NOTIFY_ALLOW" in answer.get_json()["detail"]
    finally:
        sandbox_of(app).close()


def test_the_allow_list_is_read_from_the_environment() -> None:
    settings = Settings.from_env({"PAGOPA_SANDBOX_NOTIFY_ALLOW": " 10.0.0.0/8, EC.example ,::1/128"})

    assert settings.notify_allow == ("10.0.0.0/8", "ec.example", "::1/128")
    assert Settings().notify_allow == ()
    for bad in ("10.0.0.0/33", "http://ec.example/", "ec example"):
        with pytest.raises(ValueError, match="PAGOPA_SANDBOX_NOTIFY_ALLOW"):
            Settings.from_env({"PAGOPA_SANDBOX_NOTIFY_ALLOW": bad})


# --- at delivery time -----------------------------------------------------------------------------


def resolving(monkeypatch: pytest.MonkeyPatch, name: str, address: str) -> None:
    """``name`` resolves to ``address`` (what a DNS record an attacker controls could do)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real(address if host == name else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def real_notifier(app: Flask) -> Notifier:
    sandbox = sandbox_of(app)
    return Notifier(sandbox, RequestsTransport.for_settings(sandbox.settings), worker_id="test-worker")


def test_a_name_that_resolves_to_the_sandbox_at_delivery_time_is_refused_and_nothing_is_sent(
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    receiving: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = int(receiving.url.rsplit(":", 1)[1])  # the receiver plays the sandbox's own port
    app = app_with(settings, clock, tmp_path, port=port)
    api = ApiClient(app.test_client())
    try:
        url = f"http://rebind.example:{port}/_sandbox/v1/reset"
        assert api.post("/_sandbox/v1/webhooks", json={"url": url, "fiscalCode": EC}).status_code == 201
        [delivery_id] = announce(app)
        resolving(monkeypatch, "rebind.example", "127.0.0.1")

        assert real_notifier(app).deliver_due() == 1

        assert receiving.received == []
        log = api.get(f"/_sandbox/v1/deliveries/{delivery_id}").get_json()
        assert log["status"] == "pending"  # retried as any failed attempt, on the schedule
        [attempt] = log["attempts"]
        assert "statusCode" not in attempt
        assert attempt["error"].startswith("refused: ") and "the sandbox itself" in attempt["error"]
        assert log["lastError"] == attempt["error"]
    finally:
        sandbox_of(app).close()


def test_a_name_outside_the_allow_list_is_refused_at_delivery_time(
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    receiving: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = app_with(settings, clock, tmp_path, notify_allow=("10.0.0.0/8",))
    api = ApiClient(app.test_client())
    try:
        port = receiving.url.rsplit(":", 1)[1]
        url = f"http://ec.internal:{port}/hook"
        assert api.post("/_sandbox/v1/webhooks", json={"url": url, "fiscalCode": EC}).status_code == 201
        [delivery_id] = announce(app)
        resolving(monkeypatch, "ec.internal", "127.0.0.1")

        real_notifier(app).deliver_due()

        assert receiving.received == []
        [attempt] = api.get(f"/_sandbox/v1/deliveries/{delivery_id}").get_json()["attempts"]
        assert attempt["error"].startswith("refused: ") and "PAGOPA_SANDBOX_NOTIFY_ALLOW" in attempt["error"]
    finally:
        sandbox_of(app).close()


def test_a_delivery_stored_to_the_sandbox_itself_is_refused_without_connecting(
    app: Flask, api: ApiClient
) -> None:
    """An outbox row written before the rule existed (or by hand) is refused all the same."""
    [delivery_id] = announce(app, notify_url="http://127.0.0.1:8080/_sandbox/v1/reset")

    real_notifier(app).deliver_due()

    [attempt] = api.get(f"/_sandbox/v1/deliveries/{delivery_id}").get_json()["attempts"]
    assert attempt["error"].startswith("refused: ") and "the sandbox itself" in attempt["error"]


def test_a_receiver_on_localhost_is_delivered_to(app: Flask, api: ApiClient, receiving: Receiver) -> None:
    subscribed = api.post("/_sandbox/v1/webhooks", json={"url": receiving.url + "/hook", "fiscalCode": EC})
    assert subscribed.status_code == 201
    [delivery_id] = announce(app)

    real_notifier(app).deliver_due()

    assert len(receiving.received) == 1
    assert api.get(f"/_sandbox/v1/deliveries/{delivery_id}").get_json()["status"] == "delivered"


# --- what a reply may show ------------------------------------------------------------------------


def test_a_reply_is_shown_as_its_status_and_a_short_excerpt_only(
    app: Flask, api: ApiClient, receiving: Receiver
) -> None:
    receiving.mode = "huge"
    api.post("/_sandbox/v1/webhooks", json={"url": receiving.url + "/hook", "fiscalCode": EC})
    [delivery_id] = announce(app)

    real_notifier(app).deliver_due()

    [attempt] = api.get(f"/_sandbox/v1/deliveries/{delivery_id}").get_json()["attempts"]
    assert attempt["statusCode"] == 200
    assert attempt["responseExcerpt"] == "y" * EXCERPT_LIMIT + "…[truncated]"
    assert EXCERPT_LIMIT <= 256
    [out] = [e for e in api.get("/_sandbox/v1/journal").get_json()["entries"] if e["direction"] == "out"]
    assert len(str(out.get("responseBody", ""))) <= EXCERPT_LIMIT + len("…[truncated]")


# --- whatever route a notification takes, it never acts on the sandbox -----------------------------


def test_a_notification_that_reaches_the_sandbox_by_another_route_is_refused_and_changes_nothing(
    app: Flask, api: ApiClient
) -> None:
    """A port mapping or a proxy can bring a notification back to the sandbox under an address no
    check can recognize: the sandbox refuses to serve any request that is its own notification."""
    api.post(
        "/_sandbox/v1/webhooks", json={"url": "https://proxy.example/_sandbox/v1/reset", "fiscalCode": EC}
    )
    [delivery_id] = announce(app)
    client = app.test_client()

    def through_the_proxy(request: Request) -> Response:
        answer = client.post(
            "/_sandbox/v1/reset",
            headers={**request.headers, "X-Sandbox-Tenant": "default"},
            data=request.body,
        )
        return Response(answer.status_code, answer.get_data())

    worker, _ = notifier(app, through_the_proxy)
    worker.deliver_due()

    [attempt] = api.get(f"/_sandbox/v1/deliveries/{delivery_id}").get_json()["attempts"]
    assert attempt["statusCode"] == 403
    assert len(api.get("/_sandbox/v1/webhooks").get_json()["webhooks"]) == 1  # no reset happened


@pytest.mark.parametrize("url", OWN[:3])
def test_a_station_at_the_sandbox_itself_is_a_400_and_changes_nothing(api: ApiClient, url: str) -> None:
    """The node would call itself: the station's URL goes through the same guard as notifications."""
    before = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()
    station = {"url": url, "idBrokerPA": EC, "idStation": f"{EC}_01", "version": 2}

    answer = api.put(f"/_sandbox/v1/organizations/{EC}", json={"station": station})

    assert answer.status_code == 400 and answer.get_json()["detail"].startswith("station.url")
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json() == before
