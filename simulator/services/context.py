"""The Sandbox: the one object that holds what every use case needs (settings, store, clock),
and the tenant names that scope everything."""

from __future__ import annotations

import re
from datetime import datetime

from simulator.config import Settings
from simulator.domain.errors import TenantError
from simulator.scenario.library import ScenarioLibrary
from simulator.services.clock import Clock, shifted, system_clock
from simulator.storage.store import Store, Tx

TENANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DEFAULT_TENANT = "default"


def check_tenant(name: str) -> str:
    if not TENANT_NAME.match(name):
        raise TenantError(
            "a tenant name is 1 to 64 letters, digits, dots, dashes or underscores,"
            " starting with a letter or digit"
        )
    return name


class Sandbox:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock | None = None,
        scenarios: ScenarioLibrary | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock: Clock = clock or system_clock
        # The loaded scenario library (None: not loaded, e.g. a Sandbox built by hand in a test).
        # Replace it whole to reload: a new library is only ever built complete.
        self.scenarios = scenarios

    def tenant_now(self, tx: Tx, tenant: str) -> datetime:
        return shifted(self.clock(), tx.clock_offset(tenant))
