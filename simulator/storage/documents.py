"""Frozen domain dataclasses <-> JSON documents for storage.

Adding a field to the domain needs no storage change: each class's converter is built once from
its type hints (a tuple of per-field functions chosen by type), then every document is converted
by calling those functions, with no reflection on the values. Datetimes are stored as ISO strings
with their offset, enums as their wire values, tuples as lists.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
Convert = Callable[[Any], Any]


def to_document(value: Any) -> Any:
    """The JSON-ready document of a dataclass (or of a value inside one)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encoder(type(value))(value)
    return _encode_any(value)


def from_document(cls: type[T], data: Any) -> T:
    return typing.cast(T, _decoder(typing.cast(Any, cls))(data))


# --- encoding ----------------------------------------------------------------------------------


def _encode_any(value: Any) -> Any:
    """For values whose type the hints do not pin down (``Any``, ``object``)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [to_document(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encoder(type(value))(value)
    return value


@cache
def _encoder(cls: Any) -> Convert:
    hints = typing.get_type_hints(cls)
    fields = tuple((f.name, _encode_for(hints[f.name])) for f in dataclasses.fields(cls))

    def encode(value: Any) -> dict[str, Any]:
        return {name: convert(getattr(value, name)) for name, convert in fields}

    return encode


def _identity(value: Any) -> Any:
    return value


def _encode_for(tp: Any) -> Convert:
    """The encoder of a value annotated ``tp``, chosen once."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) != 1:
            return _encode_any
        convert = _encode_for(inner[0])
        return lambda v: None if v is None else convert(v)
    if origin in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        if len(set(args)) == 1:
            item = _encode_for(args[0])
            return lambda v: [item(x) for x in v]
        return _encode_any
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return lambda v: _encoder(type(v))(v)  # type: ignore[arg-type]
        if issubclass(tp, Enum):
            return lambda v: v.value
        if tp is datetime:
            return lambda v: v.isoformat()
        if tp in (str, int, float, bool):
            return _identity
    return _encode_any


# --- decoding ----------------------------------------------------------------------------------


@cache
def _decoder(tp: Any) -> Convert:  # tp: a type or a typing form, both hashable
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        convert = _decoder(inner[0])
        return lambda v: None if v is None else convert(v)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda v: None if v is None else tuple(item(x) for x in v)
        items = tuple(_decoder(a) for a in args)
        return lambda v: None if v is None else tuple(c(x) for c, x in zip(items, v, strict=True))
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return _dataclass_decoder(tp)
        if issubclass(tp, Enum):
            return lambda v: None if v is None else tp(v)
        if tp is datetime:
            return lambda v: None if v is None else datetime.fromisoformat(v)
    return _identity


def _dataclass_decoder(cls: type) -> Convert:
    hints = typing.get_type_hints(cls)
    # Resolved lazily: a dataclass may refer to itself (or to one not defined yet) in its hints.
    fields = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    converters: dict[str, Convert] = {}

    def decode(data: Any) -> Any:
        if data is None:
            return None
        if not converters:
            converters.update({name: _decoder(hint) for name, hint in fields.items()})
        return cls(**{k: converters[k](v) for k, v in data.items() if k in converters})

    return decode
