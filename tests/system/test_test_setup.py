"""The test set-up a clone relies on: the README's test command is the one CI runs, and without the
browser extra the real-browser tests skip saying how to install it, instead of failing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_test_command_is_the_one_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line.strip() for line in readme.splitlines() if "python -m pytest" in line)
    assert "'.[test,browser]'" in command
    installed_and_run = re.search(r"pip install .*python -m pytest.*", command)
    assert installed_and_run is not None
    assert installed_and_run.group(0) in ci.splitlines()


@pytest.mark.slow
def test_without_playwright_the_browser_tests_skip_and_say_why(tmp_path: Path) -> None:
    for module in ("playwright", "axe_playwright_python"):
        (tmp_path / f"{module}.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{module}'\", name='{module}')\n"
        )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/browser", "-p", "no:cacheprovider", "-n", "0", "-q", "-rs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "failed" not in result.stdout and "error" not in result.stdout.lower()
    assert "pip install -e '.[browser]'" in result.stdout
    assert re.search(r"\d+ skipped", result.stdout)
