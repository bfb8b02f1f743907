"""Scenarios: YAML files that script what every party of a payment does.

``loader`` (the only module importing yaml) reads a file into ``located`` data, ``schema_check``
validates it with the published ``schema.json``, ``build`` turns it into the frozen values of
``model`` (pure), and ``library`` holds the loaded set and chooses one for a payment. The format
is documented in the repo's ``scenarios/README.md``."""
