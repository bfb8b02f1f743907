"""Certification profiles: the shipped ones load against the shipped scenarios and ship in the
wheel; a profile that breaks its schema is refused with every problem listed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simulator.domain.certification import Check
from simulator.scenario.loader import load_library, yaml_data
from simulator.scenario.profiles import ProfileError, builtin_profiles, load_profile

PROJECT = Path(__file__).resolve().parents[2]
SCENARIOS = frozenset(load_library().ids)


def test_the_shipped_profiles_load_and_name_only_shipped_scenarios() -> None:
    profiles = builtin_profiles(SCENARIOS)

    assert set(profiles) == {"checkout-basic", "checkout-full", "modello1"}
    full = profiles["checkout-full"]
    assert [c.scenario for c in full.cases] == [
        "happy-path",
        "card-declined",
        "user-cancels",
        "user-abandons",
        "pending-then-ok",
        "receipt-duplicated",
        "receipt-lost",
        "user-cancels",
        "notify-retried",
        "notify-duplicated",
    ]
    modello1 = profiles["modello1"]
    assert [c.scenario for c in modello1.cases] == [
        "happy-path",
        "card-declined",
        "user-cancels",
        "user-abandons",
        "station-receipt-retried",
        "receipt-duplicated",
    ]
    checkout_checks = {k for c in full.cases for k in c.checks}
    station_checks = {k for c in modello1.cases for k in c.checks}
    assert checkout_checks | station_checks == set(Check)
    assert not checkout_checks & station_checks  # a modello 1 cart is not judged as a Checkout one


def test_pyproject_ships_the_certifications_folder_inside_the_package() -> None:
    tool = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert tool["package-dir"]["simulator._builtin_certifications"] == "certifications"
    assert "*.yaml" in tool["package-data"]["simulator._builtin_certifications"]
    assert "profile_schema.json" in tool["package-data"]["simulator.scenario"]


def test_a_profile_that_fails_its_schema_is_refused_listing_every_problem() -> None:
    text = """
version: 2
id: my profile
title: Mine
cases:
  - id: ok
    scenario: happy-path
    checks: [cart-well-formed, cart-well-formed]
    colour: red
"""
    with pytest.raises(ProfileError) as refused:
        load_profile(yaml_data(text, "mine.yaml"), "mine.yaml", SCENARIOS)

    problems = refused.value.problems
    assert len(problems) == 6, problems
    joined = "\n".join(problems)
    for expected in (
        "'description' is a required property",
        "version:",
        "id: 'my profile'",
        "'title' is a required",
    ):
        assert expected in joined
    assert any(p.startswith("cases[0].checks:") for p in problems)
    assert any("'colour'" in p for p in problems)
    assert "mine.yaml" in str(refused.value)


def test_an_unknown_scenario_and_a_repeated_case_id_are_refused_together() -> None:
    data = {
        "version": 1,
        "id": "mine",
        "title": "Mine",
        "description": "Two cases.",
        "cases": [
            {"id": "ok", "title": "ok", "scenario": "happy-path", "checks": ["cart-well-formed"]},
            {"id": "ok", "title": "again", "scenario": "happy-paths", "checks": ["cart-well-formed"]},
        ],
    }
    with pytest.raises(ProfileError) as refused:
        load_profile(data, "mine", SCENARIOS)
    assert refused.value.problems == [
        "cases[1].scenario: no loaded scenario has the id 'happy-paths'",
        "cases[1].id: 'ok' is used by an earlier case",
    ]
