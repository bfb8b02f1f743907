"""The pages' cookie-signing key: configured, or generated once per data dir and kept there."""

from __future__ import annotations

import stat
from pathlib import Path

from simulator.config import SECRET_KEY_FILE, Settings, load_or_create_secret


def test_a_configured_key_is_used_as_is(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), secret_key="from-the-environment")

    assert settings.resolved_secret_key() == "from-the-environment"
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_without_one_a_key_is_generated_once_per_data_dir_and_kept_private(tmp_path: Path) -> None:
    first = Settings(data_dir=str(tmp_path)).resolved_secret_key()
    again = Settings(data_dir=str(tmp_path)).resolved_secret_key()
    elsewhere = Settings(data_dir=str(tmp_path / "other")).resolved_secret_key()

    assert first == again and len(first) == 64
    assert elsewhere != first
    assert stat.S_IMODE((tmp_path / SECRET_KEY_FILE).stat().st_mode) == 0o600


def test_the_key_is_read_from_the_environment() -> None:
    settings = Settings.from_env({"PAGOPA_SANDBOX_SECRET_KEY": "s3cret"})

    assert settings.secret_key == "s3cret"


def test_a_kept_key_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "secret"
    written = load_or_create_secret(path)

    assert load_or_create_secret(path) == written


def test_a_kept_key_readable_by_others_is_made_private_when_read(tmp_path: Path) -> None:
    path = tmp_path / SECRET_KEY_FILE
    path.write_text("k" * 64, encoding="ascii")
    path.chmod(0o644)

    assert Settings(data_dir=str(tmp_path)).resolved_secret_key() == "k" * 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
