"""The request every surface reads: Flask's, except that the JSON APIs also read a body sent
without a JSON Content-Type.

``curl -d '{...}'`` labels its body ``application/x-www-form-urlencoded``, and scripts often send
no Content-Type at all. Such a body is read as JSON on the APIs; one that does not parse still
gets each surface's own 400. The pages' real form posts are untouched: they are never JSON.
"""

from __future__ import annotations

from flask import Request

# What a client sends when it says nothing useful about its body.
UNLABELLED = frozenset({"", "application/x-www-form-urlencoded"})
PAGES_BLUEPRINT = "pages"


class SandboxRequest(Request):
    @property
    def is_json(self) -> bool:
        if super().is_json:
            return True
        return self.blueprint != PAGES_BLUEPRINT and self.mimetype in UNLABELLED
