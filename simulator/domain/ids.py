"""Where new ids come from: one injectable source, as the clock is. Production draws random
UUIDs; a test seeds the source and gets the same ids on every run."""

from __future__ import annotations

import random
import uuid


class RandomIds:
    """Random version-4 UUIDs (the default)."""

    def uuid(self) -> str:
        """A UUID in its canonical form (cart ids)."""
        return str(uuid.uuid4())

    def hex(self) -> str:
        """A UUID as 32 hex digits (attempt ids, payment tokens, receipt ids)."""
        return uuid.uuid4().hex


class SeededIds(RandomIds):
    """Version-4 UUIDs drawn from a seeded generator: the same sequence for the same seed."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def _next(self) -> uuid.UUID:
        return uuid.UUID(int=self._random.getrandbits(128), version=4)

    def uuid(self) -> str:
        return str(self._next())

    def hex(self) -> str:
        return self._next().hex
