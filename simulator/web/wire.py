"""Reading JSON request bodies field by field, with errors that name the field.

Upstream pagoPA services are Jackson-based: a JSON number is accepted where a string is
expected, a digit string where an integer is expected, and unknown fields are ignored.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, TypeVar

from simulator.domain.errors import InvalidInput, UnreadableNumber

E = TypeVar("E", bound=Enum)
_INT = re.compile(r"^-?\d{1,18}$")
# NUL cannot be stored in a PostgreSQL text column and a lone surrogate cannot be encoded as UTF-8:
# refused at the edge, or they would surface as a 500 from the database driver.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Fields:
    """A JSON object being read; ``path`` prefixes every error (``paymentOption[0].amount``)."""

    def __init__(self, data: Any, path: str = "") -> None:
        if not isinstance(data, dict):
            raise InvalidInput(path or "body", "must be a JSON object")
        self.data = data
        self.path = path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None and required:
            raise InvalidInput(self.where(key), "is required")
        return value

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        max_len: int | None = None,
        min_len: int = 0,
        pattern: str | None = None,
    ) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(self.where(key), "must be a string")
        text = check_text(value if isinstance(value, str) else str(value), self.where(key))
        if max_len is not None and len(text) > max_len:
            raise InvalidInput(self.where(key), f"must be at most {max_len} characters")
        if len(text) < min_len:
            raise InvalidInput(self.where(key), f"must be at least {min_len} characters")
        if pattern is not None and not re.fullmatch(pattern, text):
            raise InvalidInput(self.where(key), f"must match {pattern}")
        return text

    def req_text(self, key: str, **kwargs: Any) -> str:
        value = self.text(key, required=True, **kwargs)
        assert value is not None
        return value

    def integer(
        self, key: str, *, required: bool = False, minimum: int | None = None, maximum: int = 2**63 - 1
    ) -> int | None:
        """A whole number; ``maximum`` defaults to a Java long's (Jackson answers 400 beyond it)."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool):
            raise InvalidInput(self.where(key), "must be a whole number")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and _INT.match(value):
            value = int(value)
        if not isinstance(value, int):
            raise InvalidInput(self.where(key), "must be a whole number")
        if not -(2**63) <= value < 2**63:
            raise UnreadableNumber(self.where(key), value)
        if minimum is not None and value < minimum:
            raise InvalidInput(self.where(key), f"must be at least {minimum}")
        if value > maximum:
            raise InvalidInput(self.where(key), f"must be at most {maximum}")
        return value

    def req_integer(self, key: str, **kwargs: Any) -> int:
        value = self.integer(key, required=True, **kwargs)
        assert value is not None
        return value

    def boolean(self, key: str, *, required: bool = False, default: bool = False) -> bool:
        value = self._get(key, required)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise InvalidInput(self.where(key), "must be true or false")

    def moment(self, key: str, *, required: bool = False) -> datetime | None:
        value = self._get(key, required)
        if value is None:
            return None
        return parse_datetime(value, self.where(key))

    def req_moment(self, key: str) -> datetime:
        value = self.moment(key, required=True)
        assert value is not None
        return value

    def choice(self, key: str, enum: type[E], *, required: bool = False) -> E | None:
        value = self._get(key, required)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum)
            raise InvalidInput(self.where(key), f"must be one of {allowed}") from None

    def obj(self, key: str, *, required: bool = False) -> Fields | None:
        value = self._get(key, required)
        return None if value is None else Fields(value, self.where(key))

    def items(
        self, key: str, *, required: bool = False, min_items: int = 0, max_items: int | None = None
    ) -> list[Any]:
        value = self._get(key, required)
        if value is None:
            value = []
        if not isinstance(value, list):
            raise InvalidInput(self.where(key), "must be a list")
        if len(value) < min_items:
            raise InvalidInput(self.where(key), f"must have at least {min_items} item(s)")
        if max_items is not None and len(value) > max_items:
            raise InvalidInput(self.where(key), f"must have at most {max_items} items")
        return value

    def objects(self, key: str, **kwargs: Any) -> list[Fields]:
        return [Fields(item, f"{self.where(key)}[{i}]") for i, item in enumerate(self.items(key, **kwargs))]


def check_text(text: str, where: str) -> str:
    """A string that every store can hold (no NUL, no unpaired surrogate)."""
    if _UNSTORABLE.search(text):
        raise InvalidInput(where, "must not contain NUL or unpaired surrogate characters")
    return text


def parse_datetime(value: Any, where: str) -> datetime:
    """ISO 8601 date-times; a value without an offset is taken as UTC."""
    if not isinstance(value, str):
        raise InvalidInput(where, "must be an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value)
        # an offset can push year 1 or 9999 out of range once converted to UTC (OverflowError)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(where, "must be an ISO 8601 date-time like 2030-12-31T23:59:59Z") from None


def parse_date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(where, "must be a date like 2030-12-31") from None


def format_datetime(value: datetime | None) -> str | None:
    """UTC with milliseconds and a Z: an RFC 3339 date-time every client parses."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    # the year is padded by hand: strftime's %Y gives "1", not "0001", for year 1 on glibc
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop absent (None) fields, as the upstream services do."""
    return {k: v for k, v in data.items() if v is not None}


def query_int(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within bounds."""
    from flask import request

    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(name, "must be a whole number") from None
    if not low <= value <= high:
        raise InvalidInput(name, f"must be between {low} and {high}")
    return value
