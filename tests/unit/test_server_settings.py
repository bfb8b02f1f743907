"""The server's settings from the environment: log level and read timeout, refused when wrong."""

from __future__ import annotations

import pytest

from simulator.config import Settings


def test_log_level_and_read_timeout_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {"PAGOPA_SANDBOX_LOG_LEVEL": "Warning", "PAGOPA_SANDBOX_READ_TIMEOUT_SECONDS": "7"}
    )
    assert (settings.log_level, settings.read_timeout_seconds) == ("warning", 7)


def test_defaults_log_requests_and_close_silent_connections_after_30_seconds() -> None:
    settings = Settings.from_env({})
    assert (settings.log_level, settings.read_timeout_seconds) == ("info", 30)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOG_LEVEL", "loud", "must be one of debug, info, warning, error"),
        ("READ_TIMEOUT_SECONDS", "0", "must be between 1 and 3600"),
        ("READ_TIMEOUT_SECONDS", "soon", "must be a whole number"),
    ],
)
def test_wrong_values_are_refused_naming_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        Settings.from_env({f"PAGOPA_SANDBOX_{name}": value})
    assert f"PAGOPA_SANDBOX_{name}" in str(refused.value)
