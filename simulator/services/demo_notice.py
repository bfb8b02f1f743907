"""The demo creditor's printable notice for trainer mode: the seeded TARI notice (``services.demo``)
with what a paper notice shows, and its QR payload (``PAGOPA|002|NAV|EC|cents``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from simulator.domain import debt_position as dp
from simulator.domain.codes import Nav, QrPayload
from simulator.services.context import Sandbox
from simulator.services.demo import DEMO_EC, DEMO_TENANT, seed_demo

DEMO_IUPD = "DEMO-VALID-TARI"


@dataclass(frozen=True, slots=True)
class DemoNotice:
    fiscal_code: str
    company_name: str
    debtor: str
    description: str
    nav: str
    amount: int
    due_date: datetime
    payable: bool

    @property
    def qr_payload(self) -> str:
        return str(QrPayload(Nav(self.nav), self.fiscal_code, self.amount))


def demo_notice(sandbox: Sandbox) -> DemoNotice | None:
    """The demo notice as the demo tenant has it now (None until the demo creditor is seeded)."""
    with sandbox.unit(DEMO_TENANT, write=False) as unit:
        position = unit.positions.get(DEMO_EC, DEMO_IUPD)
        if position is None:
            return None
        option = position.options[0]
        view = dp.payer_view(position, option.nav, unit.now)
    return DemoNotice(
        fiscal_code=DEMO_EC,
        company_name=position.company_name,
        debtor=position.debtor.full_name,
        description=option.description,
        nav=option.nav,
        amount=option.amount,
        due_date=option.due_date,
        payable=view is dp.PayerView.PAYABLE,
    )


def seed(sandbox: Sandbox) -> None:
    """Create the demo creditor's positions that are missing (idempotent)."""
    seed_demo(sandbox)
