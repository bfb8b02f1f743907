"""Structure: a scenario file's data checked against the published JSON Schema (``schema.json``),
each error worded for a person editing YAML, with a suggestion when a word is nearly right. The
loader validates with this very file, so the schema and the sandbox never disagree."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from simulator.scenario.located import DataPath, Located, where
from simulator.scenario.model import FORMAT_VERSION, Problem

__all__ = ["check", "schema"]


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of the format (``simulator/scenario/schema.json``)."""
    text = resources.files("simulator.scenario").joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _is_regex(instance: object) -> bool:
    if isinstance(instance, str):
        re.compile(instance)
    return True


# Only the one format the schema uses; jsonschema's own "regex" check lets OverflowError through
# (``a{99999999999}``), this one reports it.
_FORMATS = FormatChecker(formats=())
_FORMATS.checks("regex", raises=(re.error, OverflowError, RecursionError))(_is_regex)


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema(), format_checker=_FORMATS)


def check(file: str, doc: Located) -> list[Problem]:
    """Every way the data breaks the schema, as problems at the lines of the values concerned."""
    data = doc.data
    if isinstance(data, dict) and "version" in data and data["version"] != FORMAT_VERSION:
        # Another version is another format: the rest of the file cannot be judged by this schema.
        message = f"version: {_shown(data['version'])} is not {FORMAT_VERSION}, the only version read here"
        return [Problem(file, doc.line(("version",)), message)]
    found: dict[tuple[int, str], None] = {}
    validator = _validator()
    for error in validator.iter_errors(data):
        for path, message, on_key in _explain(validator, error):
            found.setdefault((doc.line(path, key=on_key), f"{where(path)}{message}"), None)
    return [Problem(file, line, message) for line, message in found]


def _explain(validator: Draft202012Validator, error: ValidationError) -> Iterator[tuple[DataPath, str, bool]]:
    """(path, message, on the key?) for one schema error, worded for a person editing YAML."""
    path: DataPath = tuple(error.absolute_path)
    instance, schema_ = error.instance, error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind in ("anyOf", "oneOf"):
        yield from _explain_alternatives(validator, error, path)
    elif kind == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema_.get("properties", {}))
        for key in sorted(k for k in instance if k not in known):
            hint = _did_you_mean(key, known) or f" (known: {', '.join(known)})"
            yield (*path, key), f"unknown key{hint}", True
    elif kind == "required":
        # jsonschema yields this once per missing key: name them all each time (deduplicated).
        missing = [repr(k) for k in error.validator_value if k not in instance]
        yield path, f"missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)}", False
    elif kind == "type":
        quote = "; put it in quotes" if error.validator_value == "string" and _is_scalar(instance) else ""
        yield (
            path,
            f"{_shown(instance)} is not {_title(schema_, _type_words(error.validator_value))}{quote}",
            False,
        )
    elif kind in ("enum", "const"):
        options = error.validator_value if kind == "enum" else [error.validator_value]
        hint = _did_you_mean(instance, options)
        yield path, f"{_shown(instance)} is not {_title(schema_, _one_of(options))}{hint}", False
    elif kind == "format" and error.validator_value == "regex":
        yield path, f"{_shown(instance)} is not a valid regular expression: {error.cause}", False
    elif kind == "pattern":
        yield path, f"{_shown(instance)} is not {_title(schema_, 'in the expected form')}", False
    elif kind == "not" and "title" in schema_:
        yield path, str(schema_["title"]), False
    elif kind in ("minimum", "maximum") and "title" in schema_:
        yield path, f"{_shown(instance)} is not {schema_['title']}", False
    elif kind == "minProperties":
        yield path, f"an empty mapping is not {_title(schema_, 'allowed here')}", False
    else:
        yield path, error.message, False


def _explain_alternatives(
    validator: Draft202012Validator, error: ValidationError, path: DataPath
) -> Iterator[tuple[DataPath, str, bool]]:
    """An ``anyOf``: explain the one alternative of the value's own type (a string is judged as a
    string, a mapping as a mapping); with several or none, say what was expected."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    alternatives = error.validator_value if isinstance(error.validator_value, list) else []
    fitting = [
        i
        for i, branch in enumerate(alternatives)
        if i in branches and _fits(validator, error.instance, branch)
    ]
    if len(fitting) == 1:
        for sub in branches[fitting[0]]:
            yield from _explain(validator, sub)
        return
    options = [v for i in fitting for sub in branches[i] for v in _options(sub)]
    schema_ = error.schema if isinstance(error.schema, dict) else {}
    hint = _did_you_mean(error.instance, options)
    yield path, f"{_shown(error.instance)} is not {_title(schema_, 'any of the allowed forms')}{hint}", False


def _fits(validator: Draft202012Validator, instance: object, branch: object) -> bool:
    """Whether an alternative is meant for a value of this JSON type (its errors are then the
    ones worth showing)."""
    branch = _deref(branch)
    if not isinstance(branch, dict):
        return True
    if "type" in branch:
        kinds = branch["type"]
        return any(validator.is_type(instance, k) for k in ([kinds] if isinstance(kinds, str) else kinds))
    for keyword in ("anyOf", "oneOf"):
        if isinstance(branch.get(keyword), list):
            return any(_fits(validator, instance, b) for b in branch[keyword])
    values = [branch["const"]] if "const" in branch else branch.get("enum")
    if isinstance(values, list):
        return any(_json_type(v) == _json_type(instance) for v in values)
    return True


def _deref(branch: object) -> object:
    """Follow the schema's local references (``#/$defs/name``, the only kind it uses)."""
    while isinstance(branch, dict) and str(branch.get("$ref", "")).startswith("#/$defs/"):
        branch = schema()["$defs"].get(branch["$ref"].removeprefix("#/$defs/"))
    return branch


def _json_type(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _options(error: ValidationError) -> list[object]:
    if error.validator == "enum" and isinstance(error.validator_value, list):
        return list(error.validator_value)
    if error.validator == "const":
        return [error.validator_value]
    return [v for sub in error.context or () for v in _options(sub)]


def _title(schema_: dict[str, Any], fallback: str) -> str:
    title = schema_.get("title")
    return str(title) if title else fallback


def _type_words(expected: object) -> str:
    words = {
        "string": "a string",
        "integer": "a whole number",
        "object": "a mapping",
        "boolean": "true or false",
    }
    kinds = [expected] if isinstance(expected, str) else list(expected) if isinstance(expected, list) else []
    return " or ".join(words.get(str(k), str(k)) for k in kinds)


def _one_of(options: list[object]) -> str:
    if len(options) == 1:
        return _shown(options[0])
    return "one of " + ", ".join(str(o) for o in options)


def _did_you_mean(value: object, options: Iterable[object]) -> str:
    if not isinstance(value, str):
        return ""
    words = [o for o in options if isinstance(o, str)]
    close = difflib.get_close_matches(value, words, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def _shown(value: object) -> str:
    kind = {bool: "boolean", int: "number", float: "number", dict: "mapping", list: "list"}.get(type(value))
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return repr(text)
    if isinstance(value, dict | list):
        return f"a {kind}"
    return f"{kind} {str(value).lower() if isinstance(value, bool) else value}"


def _is_scalar(value: object) -> bool:
    return isinstance(value, int | float | bool)
