"""The built-in library (every outcome code and fault category covered, shipped in the wheel),
the UAT conventions of reference §6, and how ``match:`` rules and the selection order choose."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from simulator.domain import test_cards
from simulator.domain.errors import InvalidInput
from simulator.domain.fault_codes import KNOWN_FAULT_CODES
from simulator.domain.payment import FaultCategory, OutcomeCode, Resolution, classify_fault
from simulator.scenario.library import (
    CHALLENGE_SCENARIO,
    UAT_NAV_FAULTS,
    UAT_OUTCOMES,
    ScenarioLibrary,
    SelectionReason,
    builtin_dir,
    uat_convention,
)
from simulator.scenario.loader import load_file, load_library, scenario_files
from simulator.scenario.model import (
    CloseOutcome,
    MatchFacts,
    NoticeFacts,
    ReceiptMode,
    Scenario,
    UnknownScenario,
    UserAction,
)
from tests.unit.scenario_factories import scenario_text, write

PROJECT = Path(__file__).resolve().parents[2]
BUILTINS = load_library()
TEST_EC = "77777777777"
NAV = "302000100000009424"  # UAT's valid NAV: digits 4-5 are "00", a plain tribute


def nav_with(digits: str) -> str:
    return "3" + "02" + digits + "0001000000094"


# --- the built-ins ----------------------------------------------------------------------------------


def test_the_built_ins_are_found_in_the_checkout_scenarios_folder() -> None:
    assert builtin_dir() == PROJECT / "scenarios"


@pytest.mark.parametrize("path", scenario_files(PROJECT / "scenarios"), ids=lambda p: p.name)
def test_every_built_in_file_loads_and_is_named_after_its_id(path: Path) -> None:
    scenario = load_file(path, builtin=True)

    assert path.stem == scenario.id
    assert len(scenario.title) >= 10 and len(scenario.description) >= 80


def test_built_in_ids_are_unique_and_happy_path_is_the_default() -> None:
    ids = [s.id for s in BUILTINS]

    assert len(ids) == len(set(ids)) == len(scenario_files(PROJECT / "scenarios"))
    assert BUILTINS.default.id == "happy-path"
    assert BUILTINS.default.steps.final_outcome is OutcomeCode.SUCCESS


def test_built_ins_have_no_match_rules_so_they_never_capture_a_notice() -> None:
    assert [s.id for s in BUILTINS if s.match is not None] == []


def test_every_outcome_code_has_a_built_in_that_ends_with_it() -> None:
    outcomes = {s.steps.final_outcome for s in BUILTINS}
    wanted = {0, 1, 2, 3, 4, 7, 8, 10, 18, 25, 116, 117, 121}

    assert wanted <= {o.value for o in outcomes if o is not None}


def test_outcome_17_resolves_to_ok_in_one_built_in_and_to_refunded_in_another() -> None:
    pending = {
        s.steps.close.then.outcome
        for s in BUILTINS
        if s.steps.close.outcome is CloseOutcome.PENDING and s.steps.close.then is not None
    }

    assert pending == {Resolution.OK, Resolution.REFUNDED}


def test_every_fault_category_has_a_built_in_with_a_real_code() -> None:
    faults = [s.steps.fault for s in BUILTINS if s.steps.fault is not None]

    assert {f.category for f in faults} == set(FaultCategory)
    assert all(f.fault in KNOWN_FAULT_CODES for f in faults)


def test_station_timeout_unreachable_and_slow_answer_are_built_in() -> None:
    assert BUILTINS.get("station-timeout").steps.verify.fault == "PPT_STAZIONE_INT_PA_TIMEOUT"
    assert BUILTINS.get("station-unreachable").steps.verify.fault == "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"
    slow = BUILTINS.get("station-slow").steps
    assert slow.verify.ok and slow.verify.delay.total_seconds() > 0


def test_the_payer_and_receipt_behaviours_are_built_in() -> None:
    users = {s.steps.user for s in BUILTINS}
    receipts = {s.steps.receipt.mode for s in BUILTINS}

    assert users == set(UserAction)
    assert {ReceiptMode.DUPLICATE, ReceiptMode.LOST} <= receipts
    assert any(s.steps.receipt.delay.total_seconds() > 0 for s in BUILTINS)
    assert BUILTINS.get(CHALLENGE_SCENARIO).steps.authorize.challenge


def test_the_reference_table_codes_are_all_known_fault_codes() -> None:
    table = {
        "PAA_PAGAMENTO_SCONOSCIUTO", "PPT_SINTASSI_EXTRAXSD", "PPT_SINTASSI_XSD",
        "PPT_DOMINIO_SCONOSCIUTO", "PPT_STAZIONE_INT_PA_SCONOSCIUTA", "PPT_PAGAMENTO_IN_CORSO",
        "PAA_PAGAMENTO_IN_CORSO", "PAA_PAGAMENTO_SCADUTO", "PAA_PAGAMENTO_ANNULLATO",
        "PAA_PAGAMENTO_DUPLICATO", "PPT_PAGAMENTO_DUPLICATO", "PPT_AUTENTICAZIONE", "PPT_AUTORIZZAZIONE",
        "PPT_DOMINIO_DISABILITATO", "PPT_SEMANTICA", "PPT_SYSTEM_ERROR", "PAA_SEMANTICA",
        "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE", "PPT_STAZIONE_INT_PA_TIMEOUT",
        "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE", "PAA_SYSTEM_ERROR", "PAA_STAZIONE_INT_ERRATA",
        "PPT_ERRORE_EMESSO_DA_PAA", "PAA_SINTASSI_XSD", "PAA_ID_DOMINIO_ERRATO",
    }  # fmt: skip

    assert table <= KNOWN_FAULT_CODES
    assert classify_fault("PPT_ERRORE")[0] is FaultCategory.GENERIC_ERROR


# --- the UAT conventions (reference §6) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "scenario_id", "fault"),
    [
        ("95", "notice-already-paid", "PAA_PAGAMENTO_DUPLICATO"),
        ("96", "ec-syntax-error", "PAA_SINTASSI_XSD"),
        ("97", "station-unreachable", "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"),
        ("98", "station-timeout", "PPT_STAZIONE_INT_PA_TIMEOUT"),
        ("99", "notice-expired", "PAA_PAGAMENTO_SCADUTO"),
        ("40", "notice-unknown", "PAA_PAGAMENTO_SCONOSCIUTO"),
    ],
)
def test_nav_digits_4_and_5_of_the_test_ec_choose_the_verify_fault(
    digits: str, scenario_id: str, fault: str
) -> None:
    assert uat_convention(TEST_EC, nav_with(digits)) == scenario_id
    assert BUILTINS.get(scenario_id).steps.verify.fault == fault


@pytest.mark.parametrize(
    ("suffix", "outcome"),
    [("000", 0), ("002", 2), ("008", 8), ("017", 17), ("025", 25), ("116", 116), ("117", 117), ("121", 121)],
)
def test_the_test_ec_fiscal_code_last_3_digits_choose_the_outcome(suffix: str, outcome: int) -> None:
    scenario = BUILTINS.get(str(uat_convention("77777777" + suffix, NAV)))

    # 17 is what the payer sees first; pending-then-ok resolves it to 0 later.
    first = OutcomeCode.TAKEN_IN_CHARGE if scenario.steps.close.outcome is CloseOutcome.PENDING else None
    assert (first or scenario.steps.final_outcome) is OutcomeCode(outcome)


def test_the_test_ec_itself_succeeds() -> None:
    assert uat_convention(TEST_EC, NAV) == "happy-path"


def test_the_nav_rule_applies_only_to_the_test_ec_so_real_navs_never_fail_by_accident() -> None:
    assert uat_convention("80078750587", nav_with("95")) is None
    assert uat_convention(TEST_EC, "0" + nav_with("95")[1:]) == "happy-path"  # not aux digit 3


def test_test_cards_choose_their_outcome_or_the_challenge() -> None:
    for card in test_cards.SANDBOX_CARDS:
        scenario_id = uat_convention(None, None, card.number)
        assert scenario_id is not None
        steps = BUILTINS.get(scenario_id).steps
        if card.challenge:
            assert steps.authorize.challenge
        elif card.outcome == 17:
            assert steps.close.outcome is CloseOutcome.PENDING
        else:
            assert steps.final_outcome is OutcomeCode(card.outcome)


def test_a_card_typed_with_spaces_is_recognized() -> None:
    assert uat_convention("80078750587", NAV, "4000 0000 0000 0028") == "card-declined"


def test_a_failing_fiscal_code_wins_over_the_card_and_a_succeeding_one_does_not() -> None:
    assert uat_convention("77777777002", NAV, "4000000000001166") == "card-declined"
    assert uat_convention(TEST_EC, NAV, "4000000000001166") == "insufficient-balance"


def test_an_unlisted_card_or_ec_follows_no_convention() -> None:
    assert uat_convention("80078750587", NAV, "5555555555554444") is None
    assert uat_convention("77777777123", NAV) is None


def test_every_id_a_uat_convention_gives_is_a_built_in() -> None:
    ids = {*UAT_NAV_FAULTS.values(), *UAT_OUTCOMES.values(), CHALLENGE_SCENARIO}
    ids |= {uat_convention(None, None, c.number) for c in test_cards.SANDBOX_CARDS} - {None}  # type: ignore[arg-type]

    assert ids <= set(BUILTINS.ids)


def test_every_built_in_says_how_to_trigger_it() -> None:
    triggers = {s.id: BUILTINS.triggers(s.id) for s in BUILTINS}

    assert all(t[0].kind is SelectionReason.EXPLICIT and s in t[0].text for s, t in triggers.items())
    assert [t.text for t in triggers["card-declined"][1:]] == [
        "UAT: EC 77777777002",
        "UAT: card 4000 0000 0000 0028",
    ]
    assert "UAT: NAV 3xx95... of EC 77777777777" in [t.text for t in triggers["notice-already-paid"]]


# --- match rules and the selection order ----------------------------------------------------------


def rules_library(tmp_path: Path, *files: tuple[str, str]) -> ScenarioLibrary:
    for name, text in files:
        write(tmp_path, name, text)
    return load_library([tmp_path])


def test_match_rules_are_tried_in_file_order_and_the_first_wins(tmp_path: Path) -> None:
    library = rules_library(
        tmp_path,
        ("b-second.yaml", scenario_text("second", extra="match: {fiscalCode: '8007875058.'}\n")),
        ("a-first.yaml", scenario_text("first", extra="match: {fiscalCode: '80078750587'}\n")),
    )

    assert library.match(MatchFacts.of("80078750587", NAV)) == library.get("first")
    assert library.match(MatchFacts.of("80078750580", NAV)) == library.get("second")


def test_user_folders_are_tried_in_the_order_given(tmp_path: Path) -> None:
    rule = "match: {nav: '3.*'}\n"
    write(tmp_path / "z", "one.yaml", scenario_text("from-z", extra=rule))
    write(tmp_path / "a", "one.yaml", scenario_text("from-a", extra=rule))

    library = load_library([tmp_path / "z", tmp_path / "a"])

    assert library.match(MatchFacts.of("80078750587", NAV)).id == "from-z"  # type: ignore[union-attr]


def test_all_rules_must_hold_for_the_same_notice(tmp_path: Path) -> None:
    library = rules_library(
        tmp_path,
        ("big.yaml", scenario_text("big-tari", extra="match:\n  nav: '301.*'\n  amount: {min: 10000}\n")),
    )
    cheap_301, dear_302 = (
        NoticeFacts("80078750587", "301" + "0" * 15, 500),
        NoticeFacts("80078750587", NAV, 50_000),
    )

    assert library.match(MatchFacts((cheap_301, dear_302))) is None
    assert library.match(MatchFacts((NoticeFacts("80078750587", "301" + "0" * 15, 10_000),))) is not None


def test_a_regex_must_match_the_whole_value(tmp_path: Path) -> None:
    library = rules_library(
        tmp_path, ("ec.yaml", scenario_text("ec", extra="match: {fiscalCode: '8007875058'}\n"))
    )

    assert library.match(MatchFacts.of("80078750587", NAV)) is None


def test_a_card_rule_matches_only_once_the_card_is_known(tmp_path: Path) -> None:
    library = rules_library(
        tmp_path, ("card.yaml", scenario_text("my-card", extra="match: {card: '5555 5555 5555 4444'}\n"))
    )

    assert library.match(MatchFacts.of("80078750587", NAV)) is None
    assert library.match(MatchFacts.of("80078750587", NAV, card="5555-5555-5555-4444")) is not None


def test_selection_order_is_explicit_then_match_then_uat_then_default(tmp_path: Path) -> None:
    library = rules_library(tmp_path, ("m.yaml", scenario_text("matched", extra="match: {nav: '3029.*'}\n")))
    matched = MatchFacts.of("77777777002", "3029" + "0" * 14)

    assert library.select(matched, "refunded").reason is SelectionReason.EXPLICIT
    assert library.select(matched).scenario.id == "matched"
    assert library.select(MatchFacts.of("77777777002", NAV)).scenario.id == "card-declined"
    default = library.select(MatchFacts.of("80078750587", NAV))
    assert (default.scenario.id, default.reason) == ("happy-path", SelectionReason.DEFAULT)


def test_an_unknown_explicit_id_is_an_input_error_not_a_silent_fallback() -> None:
    with pytest.raises(UnknownScenario) as caught:
        BUILTINS.select(MatchFacts.of(TEST_EC, NAV), "no-such-scenario")

    assert isinstance(caught.value, InvalidInput)
    assert caught.value.field == "scenario"


def test_a_library_refuses_two_scenarios_with_one_id() -> None:
    one = Scenario(id="same", title="One title", description="d")

    with pytest.raises(ValueError, match="unique"):
        ScenarioLibrary([one, one])


# --- shipped inside the wheel ---------------------------------------------------------------------


def test_pyproject_ships_the_scenarios_folder_inside_the_package() -> None:
    tool = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]

    assert tool["package-dir"]["simulator._builtin_scenarios"] == "scenarios"
    assert "*.yaml" in tool["package-data"]["simulator._builtin_scenarios"]
    assert "schema.json" in tool["package-data"]["simulator.scenario"]


def test_pyproject_lists_every_package_folder() -> None:
    """The packages are listed by hand (for the scenarios mapping): a new package must be added."""
    listed = set(
        tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        ".".join(p.parent.relative_to(PROJECT).parts) for p in (PROJECT / "simulator").rglob("__init__.py")
    }

    assert listed == found | {"simulator._builtin_scenarios", "simulator._builtin_certifications"}
