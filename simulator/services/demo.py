"""Demo data for ``serve --demo``: a creditor (77777777777) with a debt position in every state,
made of realistic Italian names, addresses, descriptions and IBANs (Faker ``it_IT``, seeded so
every run gives the same data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.domain import debt_position as dp
from simulator.domain.codes import new_nav
from simulator.domain.debt_position import Debtor, DebtPosition, Payment, PaymentOption, Stamp, Transfer
from simulator.domain.money import format_euro_it
from simulator.services import organizations
from simulator.services.context import Sandbox
from simulator.services.fakes import seeded_faker
from simulator.services.unit import Unit

DEMO_EC = "77777777777"
DEMO_TENANT = "default"
SECOND_EC = "15376371009"  # a valid fiscal code, beneficiary of the multi-beneficiary notice
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class DemoRow:
    state: str
    option: str
    nav: str
    amount: int
    description: str


@dataclass(frozen=True, slots=True)
class DemoTable:
    fiscal_code: str
    company_name: str
    rows: list[DemoRow]

    def render(self) -> str:
        lines = [
            f"Demo creditor {self.fiscal_code} ({self.company_name}), tenant '{DEMO_TENANT}':",
            f"  {'position':<15} {'option':<10} {'NAV':<19} {'amount':>12}  description",
        ]
        lines += [
            f"  {r.state:<15} {r.option:<10} {r.nav:<19} {format_euro_it(r.amount):>12}  {r.description}"
            for r in self.rows
        ]
        return "\n".join(lines)


def seed_demo(sandbox: Sandbox) -> DemoTable:
    """Create the demo data that is missing (idempotent: what was paid since stays paid) and
    describe the demo positions as they stand now, not as they were made."""
    with sandbox.unit(DEMO_TENANT) as unit:
        return seed(unit)


def seed(unit: Unit) -> DemoTable:
    """``seed_demo`` inside a unit of the demo tenant (a reset re-seeds in its own transaction)."""
    fake = seeded_faker(unit.settings.faker_seed)
    builder = _Builder(fake, f"Comune di {fake.city()}", unit.now)
    company = organizations.ensure(unit, DEMO_EC, company_name=builder.company).company_name
    rows: list[DemoRow] = []
    for made in builder.all_states():
        position = unit.positions.get(DEMO_EC, made.iupd)
        if position is None:
            unit.positions.insert(made)
            position = made
        rows += [
            DemoRow(position.status.value, o.status.value, o.nav, o.amount, o.description)
            for o in position.options
        ]
    return DemoTable(DEMO_EC, company, rows)


class _Builder:
    def __init__(self, fake: object, company: str, now: datetime) -> None:
        self.fake = fake
        self.company = company
        self.now = now
        self.sequence = 900_000_000_000
        self.segregation = organizations.segregation_code_for(DEMO_EC)

    def _nav(self) -> str:
        self.sequence += 1
        return new_nav(self.segregation, self.sequence).value

    def _debtor(self) -> Debtor:
        f = self.fake
        return Debtor(
            type="F",
            fiscal_code=f.ssn(),  # type: ignore[attr-defined]
            full_name=f"{f.first_name()} {f.last_name()}",  # type: ignore[attr-defined]
            street_name=f.street_name(),  # type: ignore[attr-defined]
            civic_number=str(f.building_number()),  # type: ignore[attr-defined]
            postal_code=f.postcode(),  # type: ignore[attr-defined]
            city=f.city(),  # type: ignore[attr-defined]
            province=f.state_abbr(),  # type: ignore[attr-defined]
            country="IT",
            email=f.free_email(),  # type: ignore[attr-defined]
        )

    def _iban(self) -> str:
        return str(self.fake.iban())  # type: ignore[attr-defined]

    def _option(
        self,
        amount: int,
        description: str,
        due: datetime,
        *,
        partial: bool = False,
        transfers: tuple[Transfer, ...] | None = None,
    ) -> PaymentOption:
        nav = self._nav()
        return PaymentOption(
            iuv=nav[1:],
            nav=nav,
            amount=amount,
            description=description,
            is_partial_payment=partial,
            due_date=due,
            transfers=transfers or (Transfer("1", amount, description, "9/0101108TS/", iban=self._iban()),),
        )

    def _position(
        self, iupd: str, *options: PaymentOption, validity: datetime | None = None, expire: bool = False
    ) -> DebtPosition:
        return DebtPosition(
            organization_fiscal_code=DEMO_EC,
            iupd=iupd,
            debtor=self._debtor(),
            company_name=self.company,
            options=options,
            switch_to_expired=expire,
            validity_date=validity,
        )

    def all_states(self) -> list[DebtPosition]:
        now = self.now
        due = now + 60 * DAY
        made: list[tuple[DebtPosition, Callable[[DebtPosition], DebtPosition]]] = []
        create: Callable[[DebtPosition, datetime, bool], DebtPosition] = dp.create

        def publish_now(p: DebtPosition) -> DebtPosition:
            return create(p, now, True)

        made.append(
            (
                self._position("DEMO-VALID-TARI", self._option(18750, "TARI 2026 - rata unica", due)),
                publish_now,
            )
        )
        split = (
            Transfer("1", 8000, "Contravvenzione - quota comunale", "9/0101108TS/", iban=self._iban()),
            Transfer(
                "2",
                4500,
                "Contravvenzione - quota provinciale",
                "9/0101108TS/",
                iban=self._iban(),
                organization_fiscal_code=SECOND_EC,
            ),
        )
        made.append(
            (
                self._position(
                    "DEMO-VALID-MULTI",
                    self._option(12500, "Sanzione codice della strada", due, transfers=split),
                ),
                publish_now,
            )
        )
        stamp = (
            Transfer("1", 11600, "Certificato anagrafico", "9/0101108TS/", iban=self._iban()),
            Transfer(
                "2",
                1600,
                "Marca da bollo digitale",
                "9/0301116TS/",
                stamp=Stamp("cXVlc3RvIMOoIHVuIGRvY3VtZW50bw==", "01", "RM"),
            ),
        )
        made.append(
            (
                self._position(
                    "DEMO-VALID-STAMP",
                    self._option(13200, "Certificato con marca da bollo", due, transfers=stamp),
                ),
                publish_now,
            )
        )
        made.append(
            (
                self._position("DEMO-DRAFT", self._option(5000, "Refezione scolastica - ottobre", due)),
                lambda p: create(p, now, False),
            )
        )
        made.append(
            (
                self._position(
                    "DEMO-PUBLISHED",
                    self._option(32000, "Canone unico patrimoniale", due),
                    validity=now + 10 * DAY,
                ),
                publish_now,
            )
        )
        made.append(
            (
                self._position("DEMO-INVALID", self._option(7000, "Diritti di segreteria (revocato)", due)),
                lambda p: dp.invalidate(create(p, now, True), now),
            )
        )
        earlier = now - 90 * DAY
        made.append(
            (
                self._position(
                    "DEMO-EXPIRED",
                    self._option(9900, "Trasporto scolastico - scaduto", now - 30 * DAY),
                    expire=True,
                ),
                lambda p: dp.settle(create(p, earlier, True), now),
            )
        )
        made.append(
            (
                self._position("DEMO-PAID", self._option(4200, "Lampade votive 2026", due)),
                lambda p: self._paid(create(p, now - DAY, True), now),
            )
        )
        made.append(
            (
                self._position("DEMO-REPORTED", self._option(6100, "Occupazione suolo pubblico", due)),
                lambda p: dp.report(self._paid(create(p, now - 5 * DAY, True), now - 4 * DAY), now),
            )
        )
        instalments = self._position(
            "DEMO-PARTIALLY-PAID",
            self._option(30000, "IMU 2026 - rata unica", due),
            self._option(15000, "IMU 2026 - prima rata", due, partial=True),
            self._option(15000, "IMU 2026 - seconda rata", due + 120 * DAY, partial=True),
        )
        made.append((instalments, lambda p: self._pay(create(p, now - DAY, True), p.options[1].nav, now)))
        return [step(position) for position, step in made]

    def _paid(self, position: DebtPosition, when: datetime) -> DebtPosition:
        return self._pay(position, position.options[0].nav, when)

    @staticmethod
    def _pay(position: DebtPosition, nav: str, when: datetime) -> DebtPosition:
        return dp.pay_option(position, nav, Payment(when, "CP", "Banca Demo S.p.A.", f"DEMO-{nav}", 100))
