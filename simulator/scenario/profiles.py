"""Certification profiles: YAML files (``certifications/*.yaml``, shipped in the wheel as
``simulator/_builtin_certifications``) or a JSON object sent with the run, checked against the
published JSON Schema (``profile_schema.json``) and against the loaded scenarios. A profile with
problems is refused whole, every problem listed."""

from __future__ import annotations

import json
from collections.abc import Container, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

import simulator
from simulator.domain.certification import Case, Check, Profile
from simulator.domain.errors import DomainError
from simulator.scenario.durations import parse_duration
from simulator.scenario.loader import yaml_data
from simulator.scenario.located import where
from simulator.scenario.model import ScenarioError

__all__ = ["DEFAULT_WINDOW", "ProfileError", "builtin_profiles", "load_profile", "profile_schema"]

DEFAULT_WINDOW = "5m"


class ProfileError(DomainError):
    """A profile that cannot be used: ``problems`` says every reason, one line each."""

    def __init__(self, name: str, problems: list[str]) -> None:
        super().__init__(f"certification profile {name}: " + "; ".join(problems))
        self.name = name
        self.problems = problems


@cache
def profile_schema() -> dict[str, Any]:
    text = resources.files("simulator.scenario").joinpath("profile_schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _problems(data: object) -> list[str]:
    validator = Draft202012Validator(profile_schema())
    found = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        title = error.schema.get("title") if isinstance(error.schema, dict) else None
        message = f"{error.message} ({title})" if title and error.validator != "required" else error.message
        found.append(f"{where(tuple(error.absolute_path))}{message}")
    return found


def load_profile(data: object, name: str, scenarios: Container[str]) -> Profile:
    """A profile from its plain data (a YAML file's or a JSON body's); ``ProfileError`` listing
    every schema problem, unknown scenario and repeated case id."""
    problems = _problems(data)
    if problems or not isinstance(data, Mapping):
        raise ProfileError(name, problems or ["a profile is a mapping"])
    cases = data["cases"]
    seen: set[str] = set()
    for i, case in enumerate(cases):
        if case["scenario"] not in scenarios:
            problems.append(f"cases[{i}].scenario: no loaded scenario has the id {case['scenario']!r}")
        if case["id"] in seen:
            problems.append(f"cases[{i}].id: {case['id']!r} is used by an earlier case")
        seen.add(case["id"])
    if problems:
        raise ProfileError(name, problems)
    return Profile(
        id=data["id"],
        title=data["title"].strip(),
        description=" ".join(data["description"].split()),
        window=parse_duration(data.get("window", DEFAULT_WINDOW)),
        cases=tuple(
            Case(c["id"], c["title"].strip(), c["scenario"], tuple(Check(k) for k in c["checks"]))
            for c in cases
        ),
    )


def builtin_dir() -> Path | None:
    """``simulator/_builtin_certifications`` in a wheel, else the checkout's ``certifications/``
    (as ``simulator.scenario.library.builtin_dir`` finds the scenarios)."""
    package = Path(simulator.__file__).resolve().parent
    installed = package / "_builtin_certifications"
    if installed.is_dir():
        return installed
    checkout = package.parent / "certifications"
    if checkout.is_dir() and (package.parent / "pyproject.toml").is_file():
        return checkout
    return None


def builtin_profiles(scenarios: Container[str]) -> dict[str, Profile]:
    """The shipped profiles by id; ``ProfileError`` if one of them is broken (a packaging bug)."""
    folder = builtin_dir()
    found: dict[str, Profile] = {}
    for path in sorted(folder.glob("*.yaml")) if folder is not None else ():
        try:
            data = yaml_data(path.read_bytes(), path.name)
        except ScenarioError as exc:
            raise ProfileError(path.name, [str(p) for p in exc.problems]) from None
        profile = load_profile(data, path.name, scenarios)
        found[profile.id] = profile
    return found
