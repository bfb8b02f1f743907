"""Settings: one frozen dataclass, read from the environment only when asked (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "PAGOPA_SANDBOX_"
DEFAULT_DATA_DIR = "sandbox-data"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = DEFAULT_DATA_DIR
    database_url: str | None = None
    workers: int = 2
    ephemeral: bool = False
    demo: bool = False
    # Subscription keys accepted on the PT/Checkout APIs; empty means "any non-empty key".
    api_keys: frozenset[str] = field(default_factory=frozenset)
    max_body_bytes: int = 1024 * 1024
    faker_seed: int = 20240101
    public_url: str | None = None
    checkout_url: str | None = None
    log_requests: bool = True

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'sandbox.sqlite3'}"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, prefix: str = ENV_PREFIX) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}

        def get(name: str) -> str | None:
            value = env.get(prefix + name)
            return value if value not in (None, "") else None

        for name, key in (
            ("HOST", "host"),
            ("DATA_DIR", "data_dir"),
            ("DATABASE_URL", "database_url"),
            ("PUBLIC_URL", "public_url"),
            ("CHECKOUT_URL", "checkout_url"),
        ):
            if (v := get(name)) is not None:
                values[key] = v
        for name, key in (("PORT", "port"), ("WORKERS", "workers"), ("MAX_BODY_BYTES", "max_body_bytes")):
            if (v := get(name)) is not None:
                values[key] = _int(prefix + name, v)
        if (v := get("API_KEYS")) is not None:
            values["api_keys"] = frozenset(k.strip() for k in v.split(",") if k.strip())
        if (v := get("EPHEMERAL")) is not None:
            values["ephemeral"] = v.lower() in ("1", "true", "yes", "on")
        return cls(**values)


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
