"""The shell helpers: ``nav new`` and ``nav check``, and the serve option checks."""

from __future__ import annotations

from click.testing import CliRunner

from simulator.cli import main
from simulator.domain.codes import parse_nav


def test_nav_new_prints_a_valid_aux3_nav_with_the_ec_segregation_code() -> None:
    result = CliRunner().invoke(main, ["nav", "new", "77777777777", "--sequence", "42"])
    assert result.exit_code == 0, result.output
    nav_line = next(line for line in result.output.splitlines() if line.startswith("NAV"))
    nav = parse_nav(nav_line.split()[1])
    assert nav.aux_digit == 3
    assert nav.segregation_code == "27"  # 77777777777 mod 50
    assert nav.check_ok is True
    assert f"IUV      {nav.iuv}" in result.output


def test_nav_new_refuses_a_fiscal_code_that_is_not_11_digits() -> None:
    result = CliRunner().invoke(main, ["nav", "new", "1234"])
    assert result.exit_code == 2
    assert "11 digits" in result.output


def test_nav_check_accepts_the_official_test_value_with_a_warning() -> None:
    result = CliRunner().invoke(main, ["nav", "check", "302000100000009424"])
    assert result.exit_code == 0
    assert "MISMATCH" in result.output
    assert "accepted anyway" in result.output


def test_nav_check_explains_a_valid_nav() -> None:
    result = CliRunner().invoke(main, ["nav", "check", "3007 1570 0000 0000 32"])
    assert result.exit_code == 0
    assert "check digits 32 ok" in result.output
    assert "IUV          00715700000000032" in result.output


def test_nav_check_rejects_a_malformed_nav() -> None:
    result = CliRunner().invoke(main, ["nav", "check", "12345"])
    assert result.exit_code == 2
    assert "18 digits" in result.output


def test_serve_refuses_ephemeral_with_a_data_dir() -> None:
    result = CliRunner().invoke(main, ["serve", "--ephemeral", "--data-dir", "x"])
    assert result.exit_code == 2
    assert "exclude each other" in result.output
