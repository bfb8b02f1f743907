"""Use cases: the domain, the store and the clock put together. No Flask here."""
