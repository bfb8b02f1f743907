"""The published JSON Schema: a valid Draft 2020-12 schema, every built-in validates against it on
its own, and its enumerations are the model's, so the schema and the loader never disagree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from simulator.domain.fault_codes import KNOWN_FAULT_CODES
from simulator.domain.payment import Resolution
from simulator.scenario.loader import load_text, scenario_files, yaml_data
from simulator.scenario.model import (
    AUTHORIZE_OUTCOMES,
    FORMAT_VERSION,
    ID_PATTERN,
    MAX_NOTIFY_FAILURES,
    CloseOutcome,
    NotifyMode,
    ReceiptMode,
    ScenarioError,
    UserAction,
)
from simulator.scenario.schema_check import schema

PROJECT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = PROJECT / "simulator" / "scenario" / "schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
DEFS = SCHEMA["$defs"]
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)

    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_loader_validates_with_the_published_file() -> None:
    assert schema() == SCHEMA


@pytest.mark.parametrize("path", scenario_files(PROJECT / "scenarios"), ids=lambda p: p.name)
def test_every_built_in_validates_against_the_schema(path: Path) -> None:
    errors = [e.message for e in VALIDATOR.iter_errors(yaml_data(path.read_bytes(), path.name))]

    assert errors == []


def test_the_fault_codes_are_the_domain_vocabulary() -> None:
    assert set(DEFS["faultCode"]["enum"]) == KNOWN_FAULT_CODES


def test_the_authorization_outcomes_are_the_model_names_and_numbers() -> None:
    names, numbers = DEFS["authorizeOutcome"]["anyOf"]

    assert names["enum"] == list(AUTHORIZE_OUTCOMES)
    assert set(numbers["enum"]) == {code.value for code in AUTHORIZE_OUTCOMES.values()}
    assert not {17, 18} & set(numbers["enum"])


def test_the_step_words_are_the_model_enums() -> None:
    close_words, close_mapping = DEFS["close"]["anyOf"]
    assert set(close_words["enum"]) == {o.value for o in CloseOutcome}
    assert set(close_mapping["properties"]["outcome"]["enum"]) == {o.value for o in CloseOutcome}
    then = close_mapping["properties"]["then"]["properties"]["outcome"]
    assert set(then["enum"]) == {r.value for r in Resolution}
    assert set(DEFS["receipt"]["anyOf"][0]["enum"]) == {m.value for m in ReceiptMode}
    notify_words, notify_mapping = DEFS["notify"]["anyOf"]
    assert set(notify_words["enum"]) == {m.value for m in NotifyMode}
    assert notify_mapping["properties"]["fail"]["maximum"] == MAX_NOTIFY_FAILURES
    assert set(DEFS["user"]["enum"]) == {a.value for a in UserAction}
    assert SCHEMA["properties"]["version"]["const"] == FORMAT_VERSION


@pytest.mark.parametrize(
    "candidate", ["card-declined", "3ds-challenge", "a", "Card", "a--b", "-a", "a_b", "x" * 65]
)
def test_the_schema_and_the_model_agree_on_ids(candidate: str) -> None:
    by_schema = VALIDATOR.evolve(schema=DEFS["id"]).is_valid(candidate)

    assert by_schema == (ID_PATTERN.match(candidate) is not None and len(candidate) <= 64)


@pytest.mark.parametrize("duration", ["500ms", "2s", "15m", "1h", "0s", "2 s", "1.5s", "2d", "s", "1234567s"])
def test_the_schema_and_the_loader_agree_on_durations(duration: str) -> None:
    by_schema = re.fullmatch(DEFS["duration"]["pattern"].strip("^$"), duration) is not None
    text = (
        f"version: 1\nid: d\ntitle: Durations\ndescription: d\nsteps:\n  receipt: {{delay: '{duration}'}}\n"
    )
    try:
        load_text(text)
        by_loader = True
    except ScenarioError:
        by_loader = False

    assert by_schema == by_loader


def test_a_file_the_schema_refuses_the_loader_refuses_too() -> None:
    text = "version: 1\nid: x\ntitle: T\ndescription: d\nsteps:\n  verify: {fault: PAA_NOPE}\n"

    assert not VALIDATOR.is_valid(yaml_data(text))
    with pytest.raises(ScenarioError):
        load_text(text)
