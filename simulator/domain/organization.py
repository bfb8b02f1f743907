"""A creditor (EC) as the sandbox keeps it: fiscal code, name, segregation code, and its settings
(the proposal's notification endpoint, secret, return-URL allowlist; see ``ec_settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Organization:
    fiscal_code: str
    company_name: str
    segregation_code: int
    settings: dict[str, Any]
