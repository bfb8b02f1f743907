"""Settings: one frozen dataclass, read from the environment only when asked (never at import)."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "PAGOPA_SANDBOX_"
DEFAULT_DATA_DIR = "sandbox-data"
SECRET_KEY_FILE = "secret_key"


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
    # Signs the pages' session cookie. None: generated once per data dir and kept in
    # ``<data_dir>/secret_key`` (see ``resolved_secret_key``); set it when several hosts share a database.
    secret_key: str | None = None
    # Folders of user scenarios, loaded after the built-ins (a user scenario with a built-in's id
    # replaces it). Environment: PAGOPA_SANDBOX_SCENARIOS, os.pathsep-separated.
    scenario_dirs: tuple[str, ...] = ()
    # The journal keeps this many entries per tenant; the oldest are dropped first.
    journal_size: int = 1000
    # Trainer mode: the summary page offers "choose the outcome" (a scenario) before paying.
    trainer_mode: bool = False
    # A scenario's delays (``delay: 3s``) are really slept, up to this many seconds each; every
    # delay is recorded in the timeline whatever the cap. 0 sleeps nothing (the tests' choice).
    delay_cap_seconds: float = 10.0
    # How often (at most) a worker looks at its scenario folders' files and at the library
    # generation in the database, reloading when either changed. 0: on every request.
    scenario_watch_seconds: float = 1.0
    # Notifications (simulator.notify). The delivery thread runs in each worker process of
    # ``serve`` (which turns it on); off elsewhere, e.g. in tests, which call deliver_due().
    notify_worker: bool = False
    # Waits before the 1st attempt and after each failure, in seconds; then the delivery gives up.
    # Environment: PAGOPA_SANDBOX_NOTIFY_RETRY_SCHEDULE="0s,30s,2m,10m,1h,6h".
    notify_retry_schedule: tuple[float, ...] = (0, 30, 120, 600, 3600, 21600)
    notify_timeout_seconds: float = 10.0  # one attempt, the whole exchange
    notify_connect_timeout_seconds: float = 2.0  # of that, opening the connection
    notify_poll_seconds: float = 0.5  # how often the delivery thread looks for due deliveries
    # Attempts in flight per worker process; of them at most ``notify_per_destination`` to one
    # host:port and at most half to one tenant, so one bad receiver delays nobody else.
    notify_concurrency: int = 16
    notify_per_destination: int = 4
    # Where notifications may go besides never the sandbox itself: networks (CIDR) and host names;
    # empty: anywhere else. Environment: PAGOPA_SANDBOX_NOTIFY_ALLOW="10.0.0.0/8,ec.example".
    notify_allow: tuple[str, ...] = ()
    # A creditor's station (SOAP): the node's verify/activation call waits at most this long.
    station_timeout_seconds: float = 5.0
    # Behind one reverse proxy: believe its X-Forwarded-For/-Proto/-Host (one hop each), so a page
    # served over HTTPS there gets a ``Secure`` cookie. Off by default: anyone could send them.
    trust_proxy: bool = False
    # The server (simulator.server): how verbose its log is, and how long a connection may stay
    # silent, between requests or in the middle of one, before it is closed.
    log_level: str = "info"
    read_timeout_seconds: int = 30
    # Server-Sent Events (simulator.web.streams): streams at once per worker process, each given a
    # thread of its own on top of the request threads, and how long one lasts before the browser
    # reconnects.
    stream_slots: int = 2
    stream_seconds: float = 30.0

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'sandbox.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The configured key, else the one persisted in the data dir (created on first use).

        Persisted rather than random per process so that every gunicorn worker, and the next
        restart, accept the same cookies; created with O_EXCL so racing workers agree on one key.
        """
        if self.secret_key:
            return self.secret_key
        return load_or_create_secret(Path(self.data_dir) / SECRET_KEY_FILE)

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
            ("SECRET_KEY", "secret_key"),
        ):
            if (v := get(name)) is not None:
                values[key] = v
        for name, key in (("PUBLIC_URL", "public_url"), ("CHECKOUT_URL", "checkout_url")):
            if (v := get(name)) is not None:
                values[key] = _base_url(prefix + name, v)
        for name, key in (
            ("PORT", "port"),
            ("WORKERS", "workers"),
            ("MAX_BODY_BYTES", "max_body_bytes"),
            ("JOURNAL_SIZE", "journal_size"),
        ):
            if (v := get(name)) is not None:
                values[key] = _int(prefix + name, v)
        if (v := get("API_KEYS")) is not None:
            values["api_keys"] = frozenset(k.strip() for k in v.split(",") if k.strip())
        if (v := get("SCENARIOS")) is not None:
            values["scenario_dirs"] = tuple(d for d in v.split(os.pathsep) if d.strip())
        for name, key in (
            ("DELAY_CAP_SECONDS", "delay_cap_seconds"),
            ("SCENARIO_WATCH_SECONDS", "scenario_watch_seconds"),
        ):
            if (v := get(name)) is not None:
                values[key] = _seconds(prefix + name, v)
        for name, key in (
            ("NOTIFY_TIMEOUT_SECONDS", "notify_timeout_seconds"),
            ("NOTIFY_CONNECT_TIMEOUT_SECONDS", "notify_connect_timeout_seconds"),
            ("NOTIFY_POLL_SECONDS", "notify_poll_seconds"),
            ("STATION_TIMEOUT_SECONDS", "station_timeout_seconds"),
        ):
            if (v := get(name)) is not None:
                values[key] = _seconds(prefix + name, v)
        if (v := get("READ_TIMEOUT_SECONDS")) is not None:
            values["read_timeout_seconds"] = _int(prefix + "READ_TIMEOUT_SECONDS", v, low=1, high=3600)
        if (v := get("LOG_LEVEL")) is not None:
            values["log_level"] = _log_level(prefix + "LOG_LEVEL", v)
        for name, key in (
            ("NOTIFY_CONCURRENCY", "notify_concurrency"),
            ("NOTIFY_PER_DESTINATION", "notify_per_destination"),
        ):
            if (v := get(name)) is not None:
                values[key] = _int(prefix + name, v)
        if (v := get("NOTIFY_ALLOW")) is not None:
            values["notify_allow"] = _allow_list(prefix + "NOTIFY_ALLOW", v)
        if (v := get("NOTIFY_RETRY_SCHEDULE")) is not None:
            from simulator.domain.retry_schedule import parse_schedule

            try:
                values["notify_retry_schedule"] = parse_schedule(v)
            except ValueError as exc:
                raise ValueError(f"{prefix}NOTIFY_RETRY_SCHEDULE: {exc}") from None
        for name, key in (
            ("EPHEMERAL", "ephemeral"),
            ("TRAINER_MODE", "trainer_mode"),
            ("NOTIFY_WORKER", "notify_worker"),
            ("TRUST_PROXY", "trust_proxy"),
        ):
            if (v := get(name)) is not None:
                values[key] = v.lower() in ("1", "true", "yes", "on")
        return cls(**values)


def _seconds(name: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    if not 0 <= seconds <= 3600:
        raise ValueError(f"{name} must be between 0 and 3600 seconds, not {value!r}")
    return seconds


def _allow_list(name: str, value: str) -> tuple[str, ...]:
    from simulator.domain.notify_destination import parse_allow_entry

    try:
        return tuple(parse_allow_entry(item) for item in value.split(",") if item.strip())
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _base_url(name: str, value: str) -> str:
    """A public base URL (``https://sandbox.example`` or with a path prefix): absolute http(s),
    nothing after the path, since the sandbox appends its own paths to it."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        usable = False
    if not usable or parts.query or parts.fragment or any(c.isspace() for c in value):
        raise ValueError(f"{name} must be an absolute http(s) URL like https://sandbox.example: {value!r}")
    return value.rstrip("/")


def _int(name: str, value: str, low: int | None = None, high: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} must be between {low} and {high}, not {value!r}")
    return number


LOG_LEVELS = ("debug", "info", "warning", "error")


def _log_level(name: str, value: str) -> str:
    if value.lower() not in LOG_LEVELS:
        raise ValueError(f"{name} must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return value.lower()


def load_or_create_secret(path: Path) -> str:
    """Read the secret kept at ``path``, or write a fresh random one there (mode 0600)."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first: use theirs
        return _read_secret(path)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32))
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    """The kept key, its file made readable by its owner only (one copied in or written by an
    older release may have been left readable by everyone)."""
    if stat.S_IMODE(path.stat().st_mode) != 0o600:
        with contextlib.suppress(OSError):  # not ours to change (a read-only mount): use it as it is
            path.chmod(0o600)
    for _ in range(50):  # a racing writer may not have finished its single write yet
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
        time.sleep(0.01)
    raise ValueError(f"{path} is empty: delete it or set PAGOPA_SANDBOX_SECRET_KEY")
