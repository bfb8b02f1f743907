"""The pages' translations: Italian source strings, an English catalog, and the one reproducible
way to turn the ``.po`` catalogs into the ``.mo`` files Flask-Babel reads.

The ``.mo`` files are committed next to their ``.po`` (so an installed wheel needs no build step),
a unit test proves each equals a fresh compilation of its ``.po``, and the app compiles any that is
missing or older than its ``.po`` when it starts (best effort: a read-only install just uses the
committed ones). To change a text: edit the template or code, then

    python -m simulator.web.pages_i18n update    # extract messages.pot, merge it into it/en .po
    (translate the new entries in simulator/translations/en/LC_MESSAGES/messages.po)
    python -m simulator.web.pages_i18n compile   # write the .mo files
"""

from __future__ import annotations

import io
import logging
import os
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger("simulator.i18n")

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
PROJECT = TRANSLATIONS.parents[1]
DOMAIN = "messages"


def catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    return sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def compiled(po_path: Path) -> bytes:
    """The ``.mo`` bytes of one catalog (deterministic: same ``.po``, same bytes)."""
    with po_path.open("rb") as source:
        catalog = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogs(directory: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Write each missing or stale ``.mo``; returns the ones written."""
    written = []
    for po in catalogs(directory):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        data = compiled(po)
        if not force and mo.exists() and mo.read_bytes() == data:
            continue
        partial = mo.with_name(f".{mo.name}.{os.getpid()}.tmp")
        partial.write_bytes(data)
        os.replace(partial, mo)  # atomic: another worker never reads half a catalog
        written.append(mo)
    return written


def ensure_compiled() -> None:
    """At start-up: compile what is missing or stale, never failing the app for it."""
    try:
        compile_catalogs()
    except OSError as exc:
        log.warning("translations not recompiled (%s); using the committed .mo files", exc)


def extract(pot: Path) -> None:
    """Every marked message of the sources and templates into ``pot`` (no dates: stable diffs)."""
    from babel.messages.frontend import CommandLineInterface  # a developer tool: not loaded at start-up

    cfg = str(TRANSLATIONS / "babel.cfg")
    args = [
        "pybabel",
        "-q",
        "extract",
        "-F",
        cfg,
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "--omit-header",
    ]
    CommandLineInterface().run([*args, "-o", str(pot), str(PROJECT)])  # type: ignore[no-untyped-call]


def update() -> None:
    """Extract the messages into ``messages.pot`` and merge it into every language's ``.po``."""
    from babel.messages.frontend import CommandLineInterface

    pot = TRANSLATIONS / f"{DOMAIN}.pot"
    extract(pot)
    args = ["pybabel", "-q", "update", "-i", str(pot), "-d", str(TRANSLATIONS), "--no-fuzzy-matching"]
    args.append("--ignore-obsolete")  # a text removed from the sources leaves the catalogs too
    CommandLineInterface().run(args)  # type: ignore[no-untyped-call]


def main(argv: list[str]) -> int:
    if argv == ["update"]:
        update()
        return 0
    if argv == ["compile"]:
        for mo in compile_catalogs(force=True):
            print(mo.relative_to(PROJECT))
        return 0
    print("usage: python -m simulator.web.pages_i18n update|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
