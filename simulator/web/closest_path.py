"""Requests that matched nothing, and the path that was probably meant: computed from the app's own
URL map, so it is never out of date. A request matched nothing when its path fits no rule (a 404 of
the router, not "cart not found") or fits only rules of other methods (a 405)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

SKIPPED_ENDPOINTS = ("static",)
CLOSE_ENOUGH = 0.8  # below this likeness no rule is offered: a guess would mislead more than help


@dataclass(frozen=True, slots=True)
class Suggestion:
    methods: tuple[str, ...]
    rule: str  # the rule as Flask writes it: /_sandbox/v1/carts/<cart_id>


def matches_nothing(url_map: Map, method: str, path: str) -> bool:
    """Whether the router alone refuses ``method path`` (wrong path, or wrong method)."""
    adapter = url_map.bind("sandbox.invalid")
    try:
        adapter.match(path, method=method)
    except (NotFound, MethodNotAllowed):
        return True
    except Exception:  # a redirect (a missing slash) or a converter's refusal: the path exists
        return False
    return False


def closest(url_map: Map, method: str, path: str) -> Suggestion | None:
    """The rule nearest to ``path`` (variables filled with the request's own segments, so a typo
    in a constant part counts, not the ids), preferring one that accepts ``method``."""
    best: tuple[float, Rule] | None = None
    for rule in url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        score = difflib.SequenceMatcher(None, path, _filled(rule.rule, path)).ratio()
        if method in (rule.methods or ()):
            score += 0.05  # the same method breaks near-ties
        if best is None or score > best[0]:
            best = (score, rule)
    if best is None or best[0] < CLOSE_ENOUGH:
        return None
    rule = best[1]
    shown = tuple(sorted(m for m in rule.methods or () if m not in ("HEAD", "OPTIONS")))
    return Suggestion(shown, rule.rule)


def _filled(rule: str, path: str) -> str:
    """``rule`` with each segment holding a ``<variable>`` replaced by the request's segment at that
    place (``v<int:version>`` included)."""
    wanted = path.split("/")
    parts = rule.split("/")
    return "/".join(
        (wanted[i] if i < len(wanted) else part) if "<" in part else part for i, part in enumerate(parts)
    )
