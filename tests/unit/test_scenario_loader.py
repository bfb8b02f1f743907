"""Loading scenario files: what a valid file becomes, and every way a bad one is refused with
``file:line: message`` naming the bad key or value; a set of files loads whole or not at all."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

from simulator.domain.payment import OutcomeCode, Resolution
from simulator.scenario import loader
from simulator.scenario.loader import MAX_FILE_BYTES, load_file, load_library, load_text
from simulator.scenario.model import (
    CloseOutcome,
    MatchFacts,
    NotifyMode,
    ReceiptMode,
    ScenarioError,
    UserAction,
)
from tests.unit.scenario_factories import scenario_text, write

README = Path(__file__).resolve().parents[2] / "scenarios" / "README.md"


def refusal(text: str | bytes, file: str = "bad.yaml") -> str:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, file)
    return str(caught.value)


# --- what a valid file becomes -----------------------------------------------------------------


def test_every_step_form_becomes_typed_values() -> None:
    scenario = load_text(
        scenario_text(
            steps=(
                "  verify: {delay: 500ms}\n"
                "  activate: {fault: PPT_PAGAMENTO_IN_CORSO, delay: 2s}\n"
                "  authorize: {outcome: declined, challenge: true, delay: 1s}\n"
                "  close: {outcome: pending, then: {after: 15m, outcome: refunded}}\n"
                "  receipt: {delay: 1h}\n"
                "  notify: {fail: 3, delay: 2s}\n"
                "  user: never-returns\n"
            )
        )
    )
    steps = scenario.steps

    assert steps.verify.ok and steps.verify.delay == timedelta(milliseconds=500)
    assert steps.activate.fault == "PPT_PAGAMENTO_IN_CORSO" and steps.activate.delay == timedelta(seconds=2)
    assert steps.authorize.outcome is OutcomeCode.AUTH_ERROR and steps.authorize.challenge
    assert steps.close.outcome is CloseOutcome.PENDING
    assert steps.close.then is not None and steps.close.then.after == timedelta(minutes=15)
    assert steps.close.then.outcome is Resolution.REFUNDED
    assert steps.receipt.mode is ReceiptMode.OK and steps.receipt.delay == timedelta(hours=1)
    assert steps.notify.fail == 3 and steps.notify.delay == timedelta(seconds=2)
    assert steps.user is UserAction.NEVER_RETURNS


def test_short_forms_mean_the_same_as_mappings() -> None:
    short = load_text(scenario_text(steps="  activate: PAA_PAGAMENTO_SCADUTO\n  authorize: 116\n"))
    long = load_text(
        scenario_text(
            steps="  activate: {fault: PAA_PAGAMENTO_SCADUTO}\n  authorize: {outcome: insufficient-balance}\n"
        )
    )

    assert short.steps == long.steps
    assert short.steps.authorize.outcome is OutcomeCode.BALANCE_NOT_AVAILABLE


def test_string_forms_of_receipt_notify_and_close() -> None:
    steps = load_text(
        scenario_text(steps="  close: refunded\n  receipt: lost\n  notify: out-of-order\n")
    ).steps

    assert steps.close.final_code is OutcomeCode.REFUNDED
    assert steps.receipt.mode is ReceiptMode.LOST
    assert steps.notify.mode is NotifyMode.OUT_OF_ORDER


def test_unwritten_steps_default_to_ok() -> None:
    steps = load_text(scenario_text(steps="  user: cancels\n")).steps

    assert steps.verify.ok and steps.activate.ok
    assert steps.authorize.outcome is OutcomeCode.SUCCESS
    assert steps.close.outcome is CloseOutcome.OK


def test_match_rules_are_compiled_and_the_card_normalized() -> None:
    scenario = load_text(
        scenario_text(
            extra=(
                "match:\n  nav: '3\\d{2}12\\d{13}'\n  fiscalCode: '8007875058[0-9]'\n"
                "  amount: {min: 100, max: 5000}\n  card: '4000 0000 0000 0028'\n"
            )
        )
    )
    rules = scenario.match

    assert rules is not None and rules.card == "4000000000000028"
    assert rules.matches(MatchFacts.of("80078750587", "301120000000000000", 1000, card="4000000000000028"))


def test_a_date_like_title_stays_the_text_written() -> None:
    text = scenario_text().replace("title: A test scenario", "title: 2026-01-01")

    assert load_text(text).title == "2026-01-01"


def test_an_italian_title_is_shown_to_italian_pages_only() -> None:
    scenario = load_text(scenario_text(extra='title_it: "Uno scenario di prova"\n'))

    assert scenario.title_in("it") == "Uno scenario di prova"
    assert scenario.title_in("en") == "A test scenario"
    assert load_text(scenario_text()).title_in("it") == "A test scenario"  # none given: the title


def test_an_empty_italian_title_is_refused() -> None:
    assert refusal(scenario_text(extra='title_it: " "\n')).startswith("bad.yaml:7: title_it: ")


def test_every_built_in_scenario_has_an_italian_title() -> None:
    untitled = [s.id for s in load_library(()) if not s.title_it]

    assert untitled == []


def test_the_complete_example_of_the_format_reference_loads() -> None:
    example = re.search(
        r"## A complete example\n\n```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S
    )
    assert example is not None

    scenario = load_text(example.group(1), "README.md")

    assert scenario.id == "slow-ec-then-declined"
    assert scenario.title_in("it") == "L'Ente Creditore risponde lentamente, poi la carta è rifiutata"
    assert scenario.steps.verify.delay == timedelta(seconds=2)
    assert scenario.steps.authorize.outcome is OutcomeCode.AUTH_ERROR


# --- refused, with file, line and the key named ---------------------------------------------------


def test_a_yaml_syntax_error_names_its_line() -> None:
    message = refusal(scenario_text(steps="  verify: ok\n  activate: {fault: PAA_PAGAMENTO_SCADUTO\n"))

    assert message.startswith("bad.yaml:8: YAML syntax error: ")


def test_an_unknown_step_is_named_with_a_suggestion() -> None:
    message = refusal(scenario_text(steps="  verify: ok\n  autorize: declined\n"))

    assert message == "bad.yaml:7: steps.autorize: unknown key; did you mean 'authorize'?"


def test_an_unknown_top_level_key_lists_the_known_ones() -> None:
    message = refusal(scenario_text(extra="colour: red\n"))

    assert message == (
        "bad.yaml:7: colour: unknown key (known: description, id, match, steps, title, title_it, version)"
    )


def test_a_missing_required_key_is_named() -> None:
    message = refusal("version: 1\nid: x\ndescription: d\nsteps: {}\n")

    assert message == "bad.yaml:1: missing key 'title'"


def test_a_wrong_type_says_what_was_expected() -> None:
    message = refusal(scenario_text(extra="match:\n  fiscalCode: 77777777777\n"))

    assert message == (
        "bad.yaml:8: match.fiscalCode: number 77777777777 is not a regular expression, matched against"
        " the whole value; put it in quotes"
    )


def test_an_unknown_fault_code_is_refused_with_a_suggestion() -> None:
    message = refusal(scenario_text(steps="  verify: PAA_PAGAMENTO_SCADUT\n"))

    assert message == (
        "bad.yaml:6: steps.verify: 'PAA_PAGAMENTO_SCADUT' is not ok or a known node/EC fault code;"
        " did you mean 'PAA_PAGAMENTO_SCADUTO'?"
    )


def test_an_unknown_fault_code_in_a_mapping_names_the_fault_key() -> None:
    message = refusal(scenario_text(steps="  activate:\n    delay: 1s\n    fault: PAA_NOT_A_CODE\n"))

    assert message.startswith(
        "bad.yaml:8: steps.activate.fault: 'PAA_NOT_A_CODE' is not a known node/EC fault code"
    )


def test_an_unknown_outcome_name_is_refused_with_a_suggestion() -> None:
    message = refusal(scenario_text(steps="  authorize: declind\n"))

    assert message.startswith("bad.yaml:6: steps.authorize: 'declind' is not an authorization outcome: ok, ")
    assert message.endswith("; did you mean 'declined'?")


def test_outcome_17_is_not_an_authorization_outcome() -> None:
    message = refusal(scenario_text(steps="  authorize: {outcome: 17}\n"))

    assert message.startswith(
        "bad.yaml:6: steps.authorize.outcome: number 17 is not an authorization outcome number"
    )
    assert "(17 and 18 come from close)" in message


def test_a_bad_duration_is_named() -> None:
    message = refusal(scenario_text(steps="  receipt: {delay: 5 minutes}\n"))

    assert (
        message == "bad.yaml:6: steps.receipt.delay: '5 minutes' is not a duration like 500ms, 2s, 15m or 1h"
    )


def test_a_bad_regex_is_named_with_the_reason() -> None:
    message = refusal(scenario_text(extra="match:\n  nav: '30[12'\n"))

    assert message == (
        "bad.yaml:8: match.nav: '30[12' is not a valid regular expression:"
        " unterminated character set at position 2"
    )


def test_a_regex_too_large_to_compile_is_refused_not_raised() -> None:
    message = refusal(scenario_text(extra="match:\n  nav: 'a{99999999999}'\n"))

    assert message.startswith("bad.yaml:8: match.nav: 'a{99999999999}' is not a valid regular expression")


def test_then_is_only_allowed_after_a_pending_close() -> None:
    message = refusal(scenario_text(steps="  close:\n    outcome: ok\n    then: {after: 30s, outcome: ok}\n"))

    assert message == "bad.yaml:8: steps.close.then: only a pending close has a 'then'"


def test_an_amount_range_upside_down_is_refused() -> None:
    message = refusal(scenario_text(extra="match:\n  amount: {min: 5000, max: 100}\n"))

    assert message == "bad.yaml:8: match.amount: min (5000) is greater than max (100)"


def test_a_card_failing_the_luhn_check_is_refused() -> None:
    message = refusal(scenario_text(extra="match:\n  card: '4242 4242 4242 4241'\n"))

    assert message.startswith("bad.yaml:8: match.card: '4242 4242 4242 4241' is not a card number")


def test_an_id_that_is_not_a_slug_is_refused() -> None:
    message = refusal(scenario_text(scenario_id="Card_Declined"))

    assert message.startswith("bad.yaml:2: id: 'Card_Declined' is not an id of lower-case letters")


def test_another_format_version_is_refused_alone() -> None:
    message = refusal("version: 2\nid: x\nsomething: new\n")

    assert message == "bad.yaml:1: version: number 2 is not 1, the only version read here"


def test_every_problem_of_a_file_is_reported_in_line_order() -> None:
    message = refusal(scenario_text(steps="  verify: nope\n  user: flies\n  autorize: ok\n"))

    assert [line.split(": ")[0] for line in message.splitlines()] == [
        "bad.yaml:6",
        "bad.yaml:7",
        "bad.yaml:8",
    ]


def test_an_empty_file_is_refused() -> None:
    assert refusal("") == (
        "bad.yaml:1: the file is empty: a scenario needs version, id, title, description and steps"
    )
    assert refusal("# only a comment\n").startswith("bad.yaml:1: the file is empty")


def test_a_list_at_the_top_is_refused() -> None:
    assert refusal("- verify: ok\n") == (
        "bad.yaml:1: a scenario is a mapping of keys (version, id, title, ...), not a list"
    )


def test_a_duplicate_key_is_refused_on_its_second_line() -> None:
    assert refusal(scenario_text(steps="  verify: ok\n  verify: PAA_PAGAMENTO_SCADUTO\n")) == (
        "bad.yaml:7: steps.verify: duplicate key"
    )


def test_a_key_yaml_reads_as_a_boolean_asks_for_quotes() -> None:
    assert refusal(scenario_text(steps="  on: ok\n")) == (
        "bad.yaml:6: steps: key 'on' reads as a YAML bool: put it in quotes"
    )


def test_python_tags_are_refused() -> None:
    assert refusal(scenario_text(steps="  verify: !!python/object/apply:os.system ['true']\n")) == (
        "bad.yaml:6: YAML tag !!python/object/apply:os.system is not allowed (only plain lists)"
    )


def test_aliases_are_refused_so_an_alias_bomb_cannot_explode() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    started = time.perf_counter()

    message = refusal(bomb)

    assert message == "bad.yaml:2: YAML aliases (*name) are not allowed in scenario files"
    assert time.perf_counter() - started < 1


def test_too_many_yaml_values_are_refused() -> None:
    many = scenario_text(extra="".join(f"k{i}: {i}\n" for i in range(12_000)))

    assert "more than 10000 YAML values: not a scenario" in refusal(many)


def test_a_file_over_256_kib_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = write(tmp_path, "big.yaml", scenario_text(extra="# " + "x" * MAX_FILE_BYTES + "\n"))

    def never(text: str) -> None:
        raise AssertionError("a file over the limit must not be parsed")

    monkeypatch.setattr(loader, "_compose", never)
    with pytest.raises(ScenarioError) as caught:
        load_file(big)

    assert str(caught.value) == (
        f"{big}:1: the file is {big.stat().st_size} bytes: scenario files are at most 256 KiB"
    )


def test_bytes_that_are_not_utf8_are_refused_on_their_line() -> None:
    assert refusal(b"version: 1\nid: x\ntitle: caf\xe8\n") == "bad.yaml:3: not UTF-8 text (byte 0xe8)"


def test_an_unprintable_key_keeps_the_problem_on_one_line() -> None:
    message = refusal(scenario_text(steps='  "\\u2028": ok\n'))

    assert len(message.splitlines()) == 1
    assert message.startswith("bad.yaml:6: steps.\\u2028: unknown key")


# --- sets of files ----------------------------------------------------------------------------------


def test_a_folder_of_user_scenarios_joins_the_built_ins(tmp_path: Path) -> None:
    write(tmp_path, "mine.yaml", scenario_text("mine"))

    library = load_library([tmp_path])

    assert "mine" in library and "happy-path" in library
    assert library.ids[0] == "mine"


def test_duplicate_ids_across_files_name_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a", "one.yaml", scenario_text("twin"))
    second = write(tmp_path / "b", "two.yml", scenario_text("twin"))

    with pytest.raises(ScenarioError) as caught:
        load_library([tmp_path / "a", tmp_path / "b"])

    assert str(caught.value) == f"{second}:2: id: duplicate id 'twin', also in {first}:2"


def test_a_user_scenario_with_a_built_in_id_overrides_it_and_says_which(tmp_path: Path) -> None:
    mine = write(tmp_path, "declined.yaml", scenario_text("card-declined", steps="  authorize: psp-error\n"))

    library = load_library([tmp_path])

    replaced = library.get("card-declined")
    assert replaced.source == str(mine) and not replaced.builtin
    assert replaced.steps.authorize.outcome is OutcomeCode.PSP_ERROR
    assert replaced.overrides is not None and replaced.overrides.endswith("card-declined.yaml")
    assert library.overrides == {"card-declined": replaced.overrides}
    assert [s.id for s in library].count("card-declined") == 1


def test_a_broken_file_refuses_the_whole_set_and_the_previous_library_stays(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", scenario_text("good"))
    library = load_library([tmp_path])
    broken = write(tmp_path, "later.yaml", scenario_text("later", steps="  verify: PAA_NOPE\n"))

    with pytest.raises(ScenarioError) as caught:
        library = load_library([tmp_path])

    assert str(caught.value).startswith(f"{broken}:6: steps.verify: 'PAA_NOPE'")
    assert "good" in library and "later" not in library  # the running one is untouched


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    one = write(tmp_path, "one.yaml", scenario_text("one", steps="  user: flies\n"))
    two = write(tmp_path, "two.yaml", "")

    with pytest.raises(ScenarioError) as caught:
        load_library([tmp_path, tmp_path / "missing"])

    files = [p.file for p in caught.value.problems]
    assert files == [str(tmp_path / "missing"), str(one), str(two)]  # sorted by file, then line
    assert str(caught.value.problems[0]) == f"{tmp_path / 'missing'}: no such file or directory"


def test_only_yaml_files_of_the_folder_itself_are_read(tmp_path: Path) -> None:
    write(tmp_path, "notes.md", "not a scenario")
    write(tmp_path, ".draft.yaml", "")
    write(tmp_path / "nested", "deep.yaml", "")
    write(tmp_path, "real.yml", scenario_text("real"))

    library = load_library([tmp_path], builtins=False)

    assert library.ids == ("real",)
