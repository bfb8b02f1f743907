"""The id source: random version-4 UUIDs in production, the same sequence for the same seed in tests."""

from __future__ import annotations

import uuid

from simulator.domain.ids import RandomIds, SeededIds


def test_random_ids_are_version_4_uuids_and_differ() -> None:
    ids = RandomIds()
    drawn = [ids.uuid() for _ in range(100)]
    assert len(set(drawn)) == 100
    assert all(uuid.UUID(d).version == 4 for d in drawn)
    assert len(ids.hex()) == 32


def test_a_seeded_source_gives_the_same_ids_for_the_same_seed() -> None:
    first, second, other = SeededIds(7), SeededIds(7), SeededIds(8)
    assert [first.uuid(), first.hex()] == [second.uuid(), second.hex()]
    assert SeededIds(7).uuid() != other.uuid()
    assert uuid.UUID(SeededIds(7).uuid()).version == 4
