"""The retry schedule, the Standard Webhooks signing (checked with the package's own verifier and
its published example), the secrets' format, and an EC's settings."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from simulator.domain.ec_settings import EcSettings, check_http_url, url_allowed
from simulator.domain.errors import InvalidInput
from simulator.domain.ids import RandomIds
from simulator.domain.retry_schedule import DEFAULT_SCHEDULE, RetrySchedule, parse_schedule
from simulator.notify.signing import new_secret, signed_headers
from simulator.testing.signatures import verify_notification


def test_the_default_schedule_retries_after_30s_2m_10m_1h_6h_then_gives_up() -> None:
    schedule = RetrySchedule()

    assert schedule.first() == timedelta(0)
    waits = [schedule.after_failure(n) for n in range(1, 7)]
    assert waits == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=6),
        None,
    ]
    assert schedule.max_attempts == len(DEFAULT_SCHEDULE) == 6


def test_a_schedule_is_written_with_units() -> None:
    assert parse_schedule("0s, 30s,2m,10m,1h,6h") == (0, 30, 120, 600, 3600, 21600)
    assert parse_schedule("0,1.5,250ms") == (0, 1.5, 0.25)


@pytest.mark.parametrize("text", ["", "30x", "-1s", "1s,,2s", ",".join(["1s"] * 51)])
def test_a_malformed_schedule_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(text)


def test_a_secret_is_whsec_and_the_base64_of_24_random_bytes() -> None:
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert new_secret() != secret


def test_signed_headers_pass_the_standardwebhooks_verifier() -> None:
    secret, body = new_secret(), b'{"type":"attempt.closed","data":{"outcome":"OK"}}'
    headers = signed_headers(secret, "msg_1", datetime.now(UTC), body)

    assert Webhook(secret).verify(body, headers) == {"type": "attempt.closed", "data": {"outcome": "OK"}}
    assert verify_notification(body, headers, secret)["type"] == "attempt.closed"


def test_the_signing_reproduces_the_standard_webhooks_published_example() -> None:
    headers = signed_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        datetime.fromtimestamp(1614265330, UTC),
        b'{"test": 2432232314}',
    )

    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_a_tampered_or_replayed_notification_is_rejected_by_the_verifier() -> None:
    secret, body = new_secret(), b'{"type":"receipt.created"}'
    fresh = signed_headers(secret, "msg_" + RandomIds().hex(), datetime.now(UTC), body)
    with pytest.raises(WebhookVerificationError):
        verify_notification(b'{"type":"receipt.created","x":1}', fresh, secret)
    replayed = signed_headers(
        secret, "msg_" + RandomIds().hex(), datetime.now(UTC) - timedelta(hours=1), body
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_notification(body, replayed, secret)


def test_message_ids_are_unique() -> None:
    assert len({"msg_" + RandomIds().hex() for _ in range(100)}) == 100


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://ec.example/ok", True),
        ("https://ec.example", True),
        ("https://ec.example?x=1", True),
        ("https://ec.example.evil.test/ok", False),
        ("https://ec.examplex/ok", False),
        ("http://ec.example/ok", False),
        ("https://other.example/app/ok", True),
        ("https://other.example/application", False),
    ],
)
def test_the_allowlist_matches_prefixes_at_a_boundary(url: str, allowed: bool) -> None:
    assert url_allowed(url, ("https://ec.example", "https://other.example/app")) is allowed


def test_an_empty_allowlist_allows_everything() -> None:
    assert url_allowed("https://anything.example/", ())


@pytest.mark.parametrize(
    "url", ["ftp://ec.example/", "javascript:alert(1)", "/relative", "https://", "https://ec.example:99999/"]
)
def test_a_notification_url_must_be_absolute_http(url: str) -> None:
    with pytest.raises(InvalidInput, match="absolute http"):
        check_http_url(url, "url")


def test_ec_settings_refuse_a_malformed_secret() -> None:
    with pytest.raises(InvalidInput, match="secret"):
        EcSettings(secret="whsec_c2hvcnQ=").check()
    assert EcSettings(secret=new_secret()).check().secret


def test_the_notification_settings_are_read_from_the_environment() -> None:
    from simulator.config import Settings

    settings = Settings.from_env(
        {
            "PAGOPA_SANDBOX_NOTIFY_RETRY_SCHEDULE": "0s,5s,1m",
            "PAGOPA_SANDBOX_NOTIFY_TIMEOUT_SECONDS": "2.5",
            "PAGOPA_SANDBOX_NOTIFY_WORKER": "0",
            "PAGOPA_SANDBOX_NOTIFY_CONCURRENCY": "8",
            "PAGOPA_SANDBOX_NOTIFY_PER_DESTINATION": "2",
            "PAGOPA_SANDBOX_NOTIFY_CONNECT_TIMEOUT_SECONDS": "1.5",
        }
    )

    assert settings.notify_retry_schedule == (0, 5, 60)
    assert settings.notify_timeout_seconds == 2.5
    assert settings.notify_worker is False and settings.notify_concurrency == 8
    assert settings.notify_per_destination == 2 and settings.notify_connect_timeout_seconds == 1.5
    assert Settings().notify_worker is False  # tests and embedders deliver explicitly
    with pytest.raises(ValueError, match="NOTIFY_RETRY_SCHEDULE"):
        Settings.from_env({"PAGOPA_SANDBOX_NOTIFY_RETRY_SCHEDULE": "soon"})
