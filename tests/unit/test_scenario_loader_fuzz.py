"""Whatever a scenario file contains, the loader answers with a scenario or a ScenarioError whose
every line is ``file:line: message``: never another exception, never a crash at startup."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.scenario.loader import load_text
from simulator.scenario.model import ScenarioError

FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PROBLEM_LINE = re.compile(r"^fuzz\.yaml:\d+: \S")
HAPPY_PATH = (Path(__file__).resolve().parents[2] / "scenarios" / "happy-path.yaml").read_text(
    encoding="utf-8"
)

# Words a scenario uses, and YAML spellings that read as something other than a string.
WORDS = [
    "version", "id", "title", "description", "match", "steps", "verify", "activate", "authorize",
    "close", "receipt", "notify", "user", "fault", "delay", "outcome", "challenge", "then", "after",
    "fail", "nav", "fiscalCode", "amount", "min", "max", "card", "ok", "pending", "refunded",
    "declined", "duplicate", "lost", "out-of-order", "pays", "cancels", "abandons", "never-returns",
    "PAA_PAGAMENTO_SCADUTO", "PPT_STAZIONE_INT_PA_TIMEOUT", "2s", "500ms", "15m", "1h", "happy-path",
    "yes", "no", "on", "~", "null", "0x1F", "1:30", "2026-01-01", ".inf", "1e999", "[", "{", "*a",
    "&a x", "!!binary", "!!python/name:os.system", "<<", "'", '"', "#", "- ", ": ", "\t",
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=25,
)
scenario_like = st.fixed_dictionaries(
    {"version": st.one_of(st.just(1), scalars), "id": scalars, "title": scalars, "description": scalars},
    optional={"steps": structures, "match": structures, "extra": structures},
)


def as_block_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML written naively (plain scalars unquoted), so that odd words become YAML
    syntax, tags, anchors and aliases the loader has to survive."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        return "".join(
            f"{pad}{key}:\n{as_block_yaml(item, indent + 2)}"
            if isinstance(item, dict | list) and item
            else f"{pad}{key}: {as_block_yaml(item).strip()}\n"
            for key, item in value.items()
        )
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        return "".join(f"{pad}- {as_block_yaml(item, indent + 2).strip()}\n" for item in value)
    return pad + ("~" if value is None else str(value)) + "\n"


def assert_loads_or_refuses(text: str | bytes) -> None:
    try:
        load_text(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.problems, "a ScenarioError names at least one problem"
        for line in str(exc).splitlines():
            assert PROBLEM_LINE.match(line), line


@FUZZ
@given(st.text(max_size=300))
def test_random_text_is_loaded_or_refused_with_file_and_line(text: str) -> None:
    assert_loads_or_refuses(text)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_are_loaded_or_refused_with_file_and_line(data: bytes) -> None:
    assert_loads_or_refuses(data)


@FUZZ
@given(scenario_like)
def test_random_structures_as_json_are_loaded_or_refused(data: dict[str, Any]) -> None:
    assert_loads_or_refuses(json.dumps(data, allow_nan=True))


@FUZZ
@given(scenario_like)
def test_random_structures_as_block_yaml_are_loaded_or_refused(data: dict[str, Any]) -> None:
    assert_loads_or_refuses(as_block_yaml(data))


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, len(HAPPY_PATH)), st.integers(0, 3), st.text(max_size=3)), max_size=6)
)
def test_a_builtin_file_with_random_edits_is_loaded_or_refused(edits: list[tuple[int, int, str]]) -> None:
    text = HAPPY_PATH
    for position, cut, insert in edits:
        text = text[:position] + insert + text[position + cut :]
    assert_loads_or_refuses(text)


@FUZZ
@given(structures)
def test_any_steps_mapping_is_loaded_or_refused(steps: Any) -> None:
    head = "version: 1\nid: fuzz\ntitle: Fuzz\ndescription: Fuzzed steps.\n"
    assert_loads_or_refuses(head + as_block_yaml({"steps": steps}))
