"""Plain data read from a scenario file, with the line every value and key came from, so that each
later check (the schema, the model) can say ``file:line``. Pure: no yaml here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DataPath = tuple[str | int, ...]  # keys and list indexes from the top of the file


@dataclass
class Located:
    """A file's data as plain Python values, with the line of every value and key by path."""

    data: Any
    lines: dict[DataPath, int] = field(default_factory=dict)
    key_lines: dict[DataPath, int] = field(default_factory=dict)

    def line(self, path: DataPath, *, key: bool = False) -> int:
        """The line of the value at ``path`` (of its key when ``key``), else of its nearest parent."""
        if key and path in self.key_lines:
            return self.key_lines[path]
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)


def dotted(path: DataPath) -> str:
    """``steps.close.then``; list items as ``[2]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def where(path: DataPath) -> str:
    """The prefix naming the key a message is about (nothing for the file as a whole)."""
    return f"{dotted(path)}: " if path else ""
