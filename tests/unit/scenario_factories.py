"""Small builders of scenario files for the unit tests: YAML text with a valid head, written where
a test wants it."""

from __future__ import annotations

from pathlib import Path

HEAD_LINES = 5  # version, id, title, description, "steps:" — the first step is on line 6


def scenario_text(scenario_id: str = "my-scenario", steps: str = "  authorize: ok\n", extra: str = "") -> str:
    """A scenario file whose steps block (already indented) starts on line ``HEAD_LINES + 1``."""
    return (
        f"version: 1\nid: {scenario_id}\ntitle: A test scenario\ndescription: Made by a test.\n"
        f"steps:\n{steps}{extra}"
    )


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
