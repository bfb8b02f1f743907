"""``pagopa-sandbox scenarios list|validate`` and ``serve --scenarios``: what a user at the shell
sees, including the exit code and ``file:line: message`` of a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.app import create_app
from simulator.cli import main
from simulator.config import Settings
from simulator.scenario.loader import scenario_files
from simulator.scenario.model import ScenarioError

BUILTINS = Path(__file__).resolve().parents[2] / "scenarios"
GOOD = (
    "version: 1\nid: {id}\ntitle: {title}\ndescription: Made by a test.\n"
    "steps:\n  authorize: declined\n{extra}"
)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_list_shows_every_built_in_with_its_title_and_how_to_trigger_it() -> None:
    result = CliRunner().invoke(main, ["scenarios", "list"])

    assert result.exit_code == 0, result.output
    assert "X-Sandbox-Scenario: <id>" in result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[3:] if line.strip()}
    assert set(rows) == {p.stem for p in scenario_files(BUILTINS)}
    assert "Card declined by the PSP (outcome 2)" in rows["card-declined"]
    assert "UAT: EC 77777777002; UAT: card 4000 0000 0000 0028" in rows["card-declined"]
    assert "UAT: NAV 3xx98... of EC 77777777777" in rows["station-timeout"]
    assert rows["receipt-lost"].endswith("by id only")


def test_list_includes_user_folders_with_their_match_rules_and_overrides(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mine.yaml",
        GOOD.format(id="big-tari", title="Big TARI", extra="match: {amount: {min: 100000}}\n"),
    )
    write(tmp_path, "declined.yaml", GOOD.format(id="card-declined", title="My own decline", extra=""))

    result = CliRunner().invoke(main, ["scenarios", "list", "--scenarios", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "match: amount >= 100000 cents" in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("card-declined "))
    assert "My own decline" in row and "overrides the built-in card-declined.yaml" in row


def test_validate_counts_the_scenarios_of_files_and_folders(tmp_path: Path) -> None:
    one = write(tmp_path / "a", "one.yaml", GOOD.format(id="one", title="One", extra=""))
    write(tmp_path / "b", "two.yaml", GOOD.format(id="two", title="Two", extra=""))

    result = CliRunner().invoke(main, ["scenarios", "validate", str(one), str(tmp_path / "b")])

    assert result.exit_code == 0, result.output
    assert result.output == "2 scenarios OK\n"


def test_validate_accepts_the_built_in_library() -> None:
    result = CliRunner().invoke(main, ["scenarios", "validate", str(BUILTINS)])

    assert result.exit_code == 0, result.output
    assert result.output == f"{len(scenario_files(BUILTINS))} scenarios OK\n"


def test_validate_prints_file_line_message_and_exits_1_for_a_broken_file(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD.format(id="good", title="Good", extra=""))
    bad = write(
        tmp_path, "bad.yaml", GOOD.format(id="bad", title="Bad", extra="").replace("declined", "declind")
    )

    result = CliRunner().invoke(main, ["scenarios", "validate", str(tmp_path)])

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{bad}:6: steps.authorize: 'declind' is not an authorization outcome")
    assert lines[0].endswith("did you mean 'declined'?")
    assert lines[-1] == "1 problem found"


def test_validate_reports_a_duplicate_id_naming_both_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", GOOD.format(id="twin", title="A", extra=""))
    second = write(tmp_path, "b.yaml", GOOD.format(id="twin", title="B", extra=""))

    result = CliRunner().invoke(main, ["scenarios", "validate", str(tmp_path)])

    assert result.exit_code == 1
    assert f"{second}:2: id: duplicate id 'twin', also in {first}:2" in result.stderr


def test_validate_reports_a_missing_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scenarios", "validate", str(tmp_path / "nope")])

    assert result.exit_code == 1
    assert f"{tmp_path / 'nope'}: no such file or directory" in result.stderr


def test_serve_refuses_a_broken_scenario_folder_before_starting(tmp_path: Path) -> None:
    bad = write(tmp_path / "mine", "bad.yaml", "version: 1\nid: x\n")

    result = CliRunner().invoke(main, ["serve", "--ephemeral", "--scenarios", str(tmp_path / "mine")])

    assert result.exit_code == 1
    assert f"{bad}:1: missing keys 'title', 'description', 'steps'" in result.output


def test_the_scenario_folders_come_from_the_environment_separated_like_paths() -> None:
    settings = Settings.from_env({"PAGOPA_SANDBOX_SCENARIOS": "/a/one:/b/two:"})

    assert settings.scenario_dirs == ("/a/one", "/b/two")


def test_the_app_holds_the_built_ins_and_the_user_folders(tmp_path: Path) -> None:
    write(tmp_path / "mine", "mine.yaml", GOOD.format(id="mine", title="Mine", extra=""))
    settings = Settings(data_dir=str(tmp_path), scenario_dirs=(str(tmp_path / "mine"),), log_requests=False)

    app = create_app(settings.with_(database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}"))
    try:
        library = app.extensions["sandbox"].scenarios
        assert "mine" in library and "happy-path" in library
    finally:
        app.extensions["sandbox"].close()


def test_the_app_refuses_to_build_with_a_broken_scenario_folder(tmp_path: Path) -> None:
    write(tmp_path / "mine", "bad.yaml", "")

    with pytest.raises(ScenarioError, match="the file is empty"):
        create_app(Settings(data_dir=str(tmp_path), scenario_dirs=(str(tmp_path / "mine"),)))
