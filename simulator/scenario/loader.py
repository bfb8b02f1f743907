"""YAML scenario files -> validated ``Scenario`` values; the only module that imports yaml.

A file goes through three passes, each reporting ``file:line: message``: the YAML node tree (size,
aliases, tags, duplicate keys refused before anything is built), the published JSON Schema
(``schema.json``: structure, names, codes), then the model's own checks (Luhn, ranges). A set of
files loads whole or raises one ``ScenarioError`` listing every problem: nothing half-applied.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from simulator.scenario.build import build
from simulator.scenario.library import ScenarioLibrary, builtin_dir
from simulator.scenario.located import DataPath, Located, dotted, where
from simulator.scenario.model import Problem, Scenario, ScenarioError
from simulator.scenario.schema_check import check

__all__ = [
    "MAX_FILE_BYTES",
    "load_file",
    "load_library",
    "load_text",
    "scenario_files",
    "yaml_data",
]

MAX_FILE_BYTES = 256 * 1024
MAX_NODES = 10_000  # a real scenario has about fifty
MAX_DEPTH = 20  # a real scenario nests four deep
SUFFIXES = (".yaml", ".yml")

_TAG = "tag:yaml.org,2002:"
_PLAIN_SCALARS = {_TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"}
_TEXT_SCALARS = {_TAG + "str", _TAG + "timestamp"}  # a date-like value is kept as the text it is


# --- reading one file -----------------------------------------------------------------------------


class _Refused(Exception):
    """A problem found while reading the YAML itself; stops the file."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Composer(yaml.SafeLoader):
    """Builds the YAML node tree only (nothing is constructed from it) and refuses aliases, which
    are what alias bombs are made of, and trees too big or too deep to be a scenario."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(line, "YAML aliases (*name) are not allowed in scenario files")
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(line, f"more than {MAX_NODES} YAML values: not a scenario")
        if self._depth >= MAX_DEPTH:
            raise _Refused(line, f"nested more than {MAX_DEPTH} levels deep: not a scenario")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _compose(text: str) -> tuple[Node | None, _Composer]:
    try:
        loader = _Composer(text)  # the reader refuses unprintable characters right here
        return loader.get_single_node(), loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise _Refused(line, f"YAML syntax error: {_yaml_problem(exc)}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise _Refused(line, f"character U+{char:04X} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise _Refused(1, f"YAML syntax error: {exc}") from None


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem, context = exc.problem or "", exc.context or ""
    if problem.startswith("but ") and context:
        return f"{context}, {problem}"
    if problem and context:
        return f"{problem} ({context})"
    return problem or context or "not valid YAML"


def _plain(loader: _Composer, node: Node, path: DataPath, doc: Located) -> Any:
    """The node as plain data (dict, list, str, int, float, bool, None), lines recorded."""
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        _require_tag(node, _TAG + "map", "mappings")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node, path)
            if key in out:
                raise _Refused(key_node.start_mark.line + 1, f"{dotted((*path, key))}: duplicate key")
            doc.key_lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _plain(loader, value_node, (*path, key), doc)
        return out
    if isinstance(node, SequenceNode):
        _require_tag(node, _TAG + "seq", "lists")
        return [_plain(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    assert isinstance(node, ScalarNode)
    if node.tag in _TEXT_SCALARS:
        return node.value
    if node.tag not in _PLAIN_SCALARS:
        raise _Refused(node.start_mark.line + 1, f"{where(path)}YAML tag {_tag(node.tag)} is not allowed")
    try:
        return loader.construct_object(node)
    except (yaml.YAMLError, ValueError, OverflowError):  # e.g. an integer of ten thousand digits
        raise _Refused(node.start_mark.line + 1, f"{where(path)}cannot read {node.value[:40]!r}") from None


def _key(node: Node, path: DataPath) -> str:
    if isinstance(node, ScalarNode) and node.tag == _TAG + "str":
        return str(node.value)
    line = node.start_mark.line + 1
    if isinstance(node, ScalarNode) and node.tag in _PLAIN_SCALARS:
        kind = node.tag.removeprefix(_TAG)
        raise _Refused(line, f"{where(path)}key {node.value!r} reads as a YAML {kind}: put it in quotes")
    raise _Refused(line, f"{where(path)}a key must be a plain word")


def _require_tag(node: Node, tag: str, what: str) -> None:
    if node.tag != tag:
        raise _Refused(
            node.start_mark.line + 1, f"YAML tag {_tag(node.tag)} is not allowed (only plain {what})"
        )


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _Refused(
                1, f"the file is {size} bytes: scenario files are at most {MAX_FILE_BYTES // 1024} KiB"
            )
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _Refused(0, f"cannot read the file: {exc.strerror or exc}") from None
    return _decode(data)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        text = data
    else:
        if len(data) > MAX_FILE_BYTES:
            raise _Refused(1, f"the file is larger than {MAX_FILE_BYTES // 1024} KiB")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise _Refused(line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise _Refused(1, f"the text is larger than {MAX_FILE_BYTES // 1024} KiB")
    return text


def _document(text: str) -> Located:
    node, loader = _compose(text)
    try:
        if node is None:
            raise _Refused(1, "the file is empty: a scenario needs version, id, title, description and steps")
        if not isinstance(node, MappingNode):
            kind = "list" if isinstance(node, SequenceNode) else "single value"
            raise _Refused(
                node.start_mark.line + 1,
                f"a scenario is a mapping of keys (version, id, title, ...), not a {kind}",
            )
        doc = Located(None)
        doc.data = _plain(loader, node, (), doc)
        return doc
    finally:
        loader.dispose()


# --- entry points -------------------------------------------------------------------------------------


def load_text(text: str | bytes, file: str = "<text>", *, builtin: bool = False) -> Scenario:
    """One scenario from YAML text; ``file`` names it in messages. Raises ``ScenarioError``."""
    try:
        doc = _document(_decode(text))
    except _Refused as exc:
        raise ScenarioError([Problem(file, exc.line or None, exc.message)]) from None
    problems = check(file, doc)
    if problems:
        raise ScenarioError(problems)
    return build(file, doc, builtin=builtin)


def yaml_data(text: str | bytes, file: str = "<text>") -> Any:
    """The plain data of a scenario file's YAML, as the JSON Schema sees it (aliases, tags and
    duplicate keys refused as ``load_text`` refuses them); for tools that check files against
    ``schema.json`` themselves."""
    try:
        return _document(_decode(text)).data
    except _Refused as exc:
        raise ScenarioError([Problem(file, exc.line or None, exc.message)]) from None


def load_file(path: str | os.PathLike[str], *, builtin: bool = False) -> Scenario:
    """One scenario file (refused over ``MAX_FILE_BYTES`` before it is parsed)."""
    file = str(path)
    try:
        text = _read(Path(path))
    except _Refused as exc:
        raise ScenarioError([Problem(file, exc.line or None, exc.message)]) from None
    return load_text(text, file, builtin=builtin)


def scenario_files(path: str | os.PathLike[str]) -> list[Path]:
    """The scenario files a path names: itself if a file, else its ``*.yaml``/``*.yml`` files
    (not hidden ones, not in subfolders), sorted by name. Raises ``ScenarioError`` if missing."""
    where = Path(path)
    if where.is_file():
        return [where]
    if not where.is_dir():
        raise ScenarioError([Problem(str(path), None, "no such file or directory")])
    return sorted(
        p for p in where.iterdir() if p.suffix in SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def load_library(paths: Iterable[str | os.PathLike[str]] = (), *, builtins: bool = True) -> ScenarioLibrary:
    """The built-in scenarios (unless ``builtins`` is False) and those of ``paths`` (folders or
    files, in order), as a new library, or ``ScenarioError`` listing every problem of every file.

    Ids are unique across files (a clash names both); a user scenario with a built-in's id
    replaces it, and records which file it overrides. Match rules are tried in this order: user
    scenarios in the order of ``paths`` (files by name), then built-ins.
    """
    problems: list[Problem] = []
    base: tuple[Scenario, ...] = ()
    if builtins:
        try:
            base = _builtins()
        except ScenarioError as exc:
            problems += exc.problems
    user = _load_all(_files(paths, problems), builtin=False, problems=problems)
    if problems:
        raise ScenarioError(problems)
    by_id = {s.id: s for s in base}
    user = [replace(s, overrides=by_id[s.id].source) if s.id in by_id else s for s in user]
    replaced = {s.id for s in user}
    return ScenarioLibrary([*user, *(s for s in base if s.id not in replaced)])


def _files(paths: Iterable[str | os.PathLike[str]], problems: list[Problem]) -> list[Path]:
    files: dict[Path, None] = {}
    for path in paths:
        try:
            files.update(dict.fromkeys(scenario_files(path)))
        except ScenarioError as exc:
            problems += exc.problems
    return list(files)


def _load_all(files: Iterable[Path], *, builtin: bool, problems: list[Problem]) -> list[Scenario]:
    loaded: dict[str, Scenario] = {}
    for path in files:
        try:
            scenario = load_file(path, builtin=builtin)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        first = loaded.get(scenario.id)
        if first is not None:
            problems.append(
                Problem(
                    scenario.source,
                    scenario.line,
                    f"id: duplicate id {scenario.id!r}, also in {first.location}",
                )
            )
            continue
        loaded[scenario.id] = scenario
    return list(loaded.values())


def _builtins() -> tuple[Scenario, ...]:
    folder = builtin_dir()
    if folder is None:
        raise ScenarioError(
            [Problem("<built-in scenarios>", None, "the folder is missing: reinstall the package")]
        )
    return _builtins_in(str(folder))


@lru_cache(maxsize=4)
def _builtins_in(folder: str) -> tuple[Scenario, ...]:
    """Built-ins never change while the process runs: read them once (every app built in a test
    run would read them again otherwise). A ScenarioError is not cached."""
    problems: list[Problem] = []
    loaded = _load_all(scenario_files(folder), builtin=True, problems=problems)
    if problems:
        raise ScenarioError(problems)
    return tuple(loaded)
