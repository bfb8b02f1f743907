"""`simulator.domain` is pure: it imports with Flask, Werkzeug, SQLAlchemy, PyYAML and Faker absent."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import simulator.domain

FORBIDDEN = ("flask", "werkzeug", "sqlalchemy", "yaml", "faker")
PROJECT = Path(__file__).resolve().parents[2]
UNIT_TESTS = Path(__file__).resolve().parent

# Installed first on sys.meta_path, this finder makes the forbidden packages look uninstalled.
BLOCKER = textwrap.dedent(
    f"""
    import importlib, pkgutil, sys

    FORBIDDEN = {FORBIDDEN!r}

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in FORBIDDEN:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Refuse())
    for name in list(sys.modules):
        if name.split(".")[0] in FORBIDDEN:
            del sys.modules[name]
    """
)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_blocker_really_hides_the_forbidden_packages() -> None:
    probe = BLOCKER + textwrap.dedent(
        """
        blocked = []
        for name in FORBIDDEN:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError:
                blocked.append(name)
        print(",".join(blocked))
        """
    )
    result = run_python(probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ",".join(FORBIDDEN)


def test_every_domain_module_imports_without_web_database_yaml_or_faker() -> None:
    importer = BLOCKER + textwrap.dedent(
        """
        import simulator.domain

        names = sorted(m.name for m in pkgutil.iter_modules(simulator.domain.__path__, "simulator.domain."))
        for name in names:
            importlib.import_module(name)
        leaked = sorted({n.split(".")[0] for n in sys.modules} & set(FORBIDDEN))
        assert not leaked, leaked
        print(" ".join(names))
        """
    )
    result = run_python(importer)
    assert result.returncode == 0, result.stderr
    imported = set(result.stdout.split())
    expected = {f"simulator.domain.{p.stem}" for p in Path(simulator.domain.__path__[0]).glob("*.py")} - {
        "simulator.domain.__init__"
    }
    assert {
        "simulator.domain.codes",
        "simulator.domain.money",
        "simulator.domain.debt_position",
        "simulator.domain.errors",
    } <= imported
    assert imported == expected


def test_unit_tests_stay_away_from_flask_and_the_web_layer() -> None:
    banned = (*FORBIDDEN, "simulator.web", "simulator.app")
    offenders = []
    for path in sorted(UNIT_TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            offenders += [
                f"{path.name}: {n}" for n in names if any(n == b or n.startswith(b + ".") for b in banned)
            ]
    assert offenders == []
