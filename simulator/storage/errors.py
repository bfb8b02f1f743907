"""What storage raises on purpose."""

from __future__ import annotations


class Duplicate(Exception):
    """A unique constraint refused the write."""
