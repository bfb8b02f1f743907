"""Seeded Italian fake data that is the same in every process.

Faker's ``it_IT`` city list is built from a set, so its order (and the city a seed picks)
changes with Python's hash seed; sorting the lists we draw from makes a seed reproducible.
"""

from __future__ import annotations

from typing import Any


def seeded_faker(seed: int) -> Any:
    from faker import Faker  # imported on first use: Faker is slow to import

    fake = Faker("it_IT")
    for provider in fake.get_providers():
        for name in ("cities", "street_names", "city_prefixes", "city_suffixes", "states"):
            values = getattr(provider, name, None)
            if isinstance(values, list | tuple):
                setattr(provider, name, sorted(values))
    fake.seed_instance(seed)
    return fake
