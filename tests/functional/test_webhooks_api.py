"""Webhook subscriptions and an EC's notification settings through the sandbox API."""

from __future__ import annotations

import pytest

from simulator.services.outbound import NOTIFIED_EVENTS
from tests.conftest import ApiClient

EC = "77777777777"


def subscribe(api: ApiClient, **body: object) -> dict[str, object]:
    answer = api.post(
        "/_sandbox/v1/webhooks", json={"url": "https://ec.example/hook", "fiscalCode": EC, **body}
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def test_creating_a_webhook_answers_201_with_its_secret_once(api: ApiClient) -> None:
    created = subscribe(api, events=["receipt.created"])

    assert set(created) == {"id", "url", "fiscalCode", "events", "secret"}
    assert created["url"] == "https://ec.example/hook"
    assert created["fiscalCode"] == EC
    assert created["events"] == ["receipt.created"]
    assert str(created["secret"]).startswith("whsec_")
    listed = api.get("/_sandbox/v1/webhooks").get_json()["webhooks"]
    assert listed == [
        {"id": created["id"], "url": created["url"], "fiscalCode": EC, "events": ["receipt.created"]}
    ]


def test_a_webhook_without_events_gets_every_event_type(api: ApiClient) -> None:
    assert subscribe(api)["events"] == list(NOTIFIED_EVENTS)


def test_deleting_a_webhook_removes_it_and_a_second_delete_is_404(api: ApiClient) -> None:
    created = subscribe(api)

    assert api.delete(f"/_sandbox/v1/webhooks/{created['id']}").status_code == 204
    assert api.get("/_sandbox/v1/webhooks").get_json()["webhooks"] == []
    again = api.delete(f"/_sandbox/v1/webhooks/{created['id']}")
    assert again.status_code == 404
    assert again.get_json()["title"] == "Webhook not found"


def test_webhooks_are_listed_per_ec(api: ApiClient) -> None:
    subscribe(api)
    api.post("/_sandbox/v1/webhooks", json={"url": "https://b.example/", "fiscalCode": "01234567890"})

    only = api.get("/_sandbox/v1/webhooks?fiscalCode=01234567890").get_json()["webhooks"]
    assert [w["url"] for w in only] == ["https://b.example/"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://ec.example/hook", "fiscalCode": EC}, "url"),
        ({"url": "javascript:alert(1)", "fiscalCode": EC}, "url"),
        ({"url": "/relative", "fiscalCode": EC}, "url"),
        ({"url": "https://ec.example/hook"}, "fiscalCode"),
        ({"url": "https://ec.example/hook", "fiscalCode": "7777"}, "fiscalCode"),
        ({"fiscalCode": EC}, "url"),
        ({"url": "https://ec.example/hook", "fiscalCode": EC, "events": ["payment.made"]}, "events"),
        ({"url": "https://ec.example/hook", "fiscalCode": EC, "events": []}, "events"),
        ({"url": "https://ec.example/hook", "fiscalCode": EC, "events": "receipt.created"}, "events"),
        ({"url": "https://ec.example/hook", "fiscalCode": EC, "events": [1]}, "events"),
    ],
)
def test_a_bad_webhook_is_a_400_problem_naming_the_field(
    api: ApiClient, body: dict[str, object], field: str
) -> None:
    answer = api.post("/_sandbox/v1/webhooks", json=body)

    assert answer.status_code == 400
    problem = answer.get_json()
    assert problem["status"] == 400 and problem["detail"].startswith(field)
    assert api.get("/_sandbox/v1/webhooks").get_json()["webhooks"] == []


def test_a_webhook_body_that_is_not_json_is_a_400(api: ApiClient) -> None:
    answer = api.post("/_sandbox/v1/webhooks", data="nope", content_type="text/plain")

    assert answer.status_code == 400


def test_webhooks_of_one_tenant_are_invisible_to_another(api: ApiClient) -> None:
    created = subscribe(api)
    other = ApiClient(api.client, tenant="other")

    assert other.get("/_sandbox/v1/webhooks").get_json()["webhooks"] == []
    assert other.delete(f"/_sandbox/v1/webhooks/{created['id']}").status_code == 404


def test_an_ec_secret_is_created_on_first_read_and_stays(api: ApiClient) -> None:
    first = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()

    assert first["fiscalCode"] == EC and first["companyName"]
    assert first["secret"].startswith("whsec_")
    assert first["appendOutcome"] is False and first["notificationUrl"] is None
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["secret"] == first["secret"]


def test_putting_ec_settings_replaces_them_and_keeps_the_secret(api: ApiClient) -> None:
    secret = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["secret"]
    answer = api.put(
        f"/_sandbox/v1/organizations/{EC}",
        json={
            "notificationUrl": "https://ec.example/notify",
            "returnUrlAllowlist": ["https://ec.example/"],
            "appendOutcome": True,
        },
    )

    assert answer.status_code == 200
    assert answer.get_json() == {
        "fiscalCode": EC,
        "companyName": answer.get_json()["companyName"],
        "notificationUrl": "https://ec.example/notify",
        "returnUrlAllowlist": ["https://ec.example/"],
        "appendOutcome": True,
        "secret": secret,
        "station": None,
    }
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["appendOutcome"] is True


def test_an_ec_may_set_its_own_secret(api: ApiClient) -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    answer = api.put(f"/_sandbox/v1/organizations/{EC}", json={"secret": secret})

    assert answer.get_json()["secret"] == secret


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"notificationUrl": "mailto:ec@example.it"}, "notificationUrl"),
        ({"returnUrlAllowlist": ["ec.example"]}, "returnUrlAllowlist[0]"),
        ({"returnUrlAllowlist": "https://ec.example/"}, "returnUrlAllowlist"),
        ({"appendOutcome": "yes"}, "appendOutcome"),
        ({"secret": "hunter2"}, "secret"),
    ],
)
def test_bad_ec_settings_are_a_400_and_change_nothing(
    api: ApiClient, body: dict[str, object], field: str
) -> None:
    before = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()

    answer = api.put(f"/_sandbox/v1/organizations/{EC}", json=body)

    assert answer.status_code == 400
    assert answer.get_json()["detail"].startswith(field)
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json() == before


def test_a_malformed_ec_fiscal_code_is_a_400(api: ApiClient) -> None:
    assert api.get("/_sandbox/v1/organizations/12345").status_code == 400


def test_reset_forgets_webhooks_and_settings(api: ApiClient) -> None:
    subscribe(api)
    secret = api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["secret"]

    api.post("/_sandbox/v1/reset")

    assert api.get("/_sandbox/v1/webhooks").get_json()["webhooks"] == []
    assert api.get(f"/_sandbox/v1/organizations/{EC}").get_json()["secret"] != secret
