"""The JSON every surface reads: Flask's, except that a body nested too deeply for the decoder
(1 MiB of ``[`` exhausts Python's recursion limit) is malformed JSON like any other, so each view
answers it with its own 400 instead of a 500."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class NestedTooDeeply(ValueError):
    """A JSON body deeper than the decoder can follow."""


def too_deep(error: BaseException | None) -> bool:
    """Whether ``error`` (a failed ``get_json``) came from a body nested too deeply."""
    while error is not None:
        if isinstance(error, NestedTooDeeply):
            return True
        error = error.__cause__ or error.__context__
    return False


class SandboxJSONProvider(DefaultJSONProvider):
    sort_keys = False
    ensure_ascii = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise NestedTooDeeply("the JSON is nested too deeply") from None
