"""A cart's flow as a sequence diagram between the parties: the requests its journal holds (who
called whom, and the answer's status) interleaved with the events its timeline recorded (what the
node, the PSP and the debt service did in between). Laid out here, drawn as SVG by the template
``dashboard/_flow.html``, listed in the same order as the accessible equivalent.

Ordering: an event's time is the tenant's clock when its request's unit opened; a journal entry's
is the real clock when the request ended, so it is moved by the tenant's current clock offset and
back by its own latency (the request's start), never before an earlier request. Equal times put
the request before its events; under a clock that does not move (tests) all requests come first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from simulator.domain.events import Event, EventType
from simulator.domain.journal import JournalEntry


class Party(Enum):
    CITIZEN = 0
    EC = 1
    CHECKOUT_API = 2
    PAGES = 3
    NODE = 4
    PSP = 5
    GPD = 6
    RECEIVER = 7


PARTY_NAMES: dict[Party, LazyString] = {
    Party.CITIZEN: _l("Cittadino"),
    Party.EC: _l("Servizio dell'ente"),
    Party.CHECKOUT_API: _l("API Checkout"),
    Party.PAGES: _l("Pagine Checkout"),
    Party.NODE: _l("Nodo"),
    Party.PSP: _l("PSP"),
    Party.GPD: _l("Posizioni debitorie"),
    Party.RECEIVER: _l("Ricevitore notifiche"),
}

P = Party
EVENT_PARTIES: dict[EventType, tuple[Party, Party]] = {
    EventType.CART_CREATED: (P.CHECKOUT_API, P.NODE),
    EventType.SCENARIO_SELECTED: (P.CHECKOUT_API, P.CHECKOUT_API),
    EventType.STEP_DELAYED: (P.NODE, P.NODE),
    EventType.NOTICE_VERIFIED: (P.NODE, P.GPD),
    EventType.NOTICE_VERIFY_FAILED: (P.GPD, P.NODE),
    EventType.ATTEMPT_ACTIVATED: (P.NODE, P.GPD),
    EventType.ATTEMPT_ACTIVATION_FAILED: (P.GPD, P.NODE),
    EventType.METHOD_CHOSEN: (P.PAGES, P.CHECKOUT_API),
    EventType.PSP_CHOSEN: (P.PAGES, P.CHECKOUT_API),
    EventType.AUTHORIZATION_REQUESTED: (P.CHECKOUT_API, P.PSP),
    EventType.AUTHORIZATION_COMPLETED: (P.PSP, P.CHECKOUT_API),
    EventType.ATTEMPT_CLOSED: (P.CHECKOUT_API, P.NODE),
    EventType.ATTEMPT_PENDING: (P.PSP, P.NODE),
    EventType.ATTEMPT_RESOLVED: (P.PSP, P.NODE),
    EventType.ATTEMPT_CANCELLED: (P.CHECKOUT_API, P.NODE),
    EventType.ATTEMPT_EXPIRED: (P.NODE, P.NODE),
    EventType.RECEIPT_CREATED: (P.NODE, P.GPD),
    EventType.RECEIPT_DELAYED: (P.NODE, P.GPD),
    EventType.RECEIPT_DUPLICATED: (P.NODE, P.GPD),
    EventType.RECEIPT_LOST: (P.NODE, P.NODE),
    EventType.USER_RETURNED: (P.CITIZEN, P.EC),
    EventType.USER_NEVER_RETURNED: (P.CITIZEN, P.CITIZEN),
}
SHOWN_DATA = ("outcome", "state", "scenario", "method", "psp", "faultCode", "delay", "url")

# The drawing: lanes and rows in SVG user units (the picture scales to its box).
LANE, LEFT, TOP, ROW, BOTTOM = 128, 70, 56, 36, 24
LABEL_CHARS = 40


@dataclass(frozen=True, slots=True)
class Arrow:
    number: int
    source: Party
    target: Party
    label: str
    at: datetime
    href: str  # the journal entry it shows (its request and response), or its place in the list
    kind: str  # "request" | "event"
    failed: bool = False

    @property
    def x1(self) -> int:
        return lane_x(self.source)

    @property
    def x2(self) -> int:
        return lane_x(self.target)

    @property
    def y(self) -> int:
        return TOP + self.number * ROW

    @property
    def loop(self) -> bool:
        return self.source is self.target

    @property
    def short_label(self) -> str:
        return self.label if len(self.label) <= LABEL_CHARS else self.label[: LABEL_CHARS - 1] + "…"

    @property
    def text_x(self) -> int:
        return min(self.x1, self.x2) + (abs(self.x2 - self.x1) // 2 if not self.loop else 8)


@dataclass(frozen=True, slots=True)
class Diagram:
    arrows: list[Arrow]

    @property
    def width(self) -> int:
        return LEFT * 2 + LANE * (len(Party) - 1)

    @property
    def height(self) -> int:
        return TOP + (len(self.arrows) + 1) * ROW + BOTTOM

    @property
    def lanes(self) -> list[tuple[int, LazyString]]:
        return [(lane_x(p), PARTY_NAMES[p]) for p in Party]


def lane_x(party: Party) -> int:
    return LEFT + party.value * LANE


def request_parties(entry: JournalEntry) -> tuple[Party, Party]:
    """Who made a request the journal holds, and to whom."""
    path = entry.path
    if entry.direction == "out":
        return P.NODE, P.RECEIVER
    if path.startswith("/ecommerce/") and path.endswith("/redirect"):
        return P.CITIZEN, P.CHECKOUT_API  # the browser's hop from the cart's Location
    if path.startswith(("/checkout/", "/ecommerce/")):
        return P.EC, P.CHECKOUT_API
    if path.startswith("/gpd/"):
        return P.EC, P.GPD
    if path.startswith("/_sandbox/v1/notices/"):
        return P.EC, P.NODE
    if path.startswith("/_sandbox/"):
        return P.EC, P.CHECKOUT_API
    return P.CITIZEN, P.PAGES


def event_label(event: Event) -> str:
    shown = [f"{key}={event.data[key]}" for key in SHOWN_DATA if event.data.get(key) not in (None, "")]
    return " ".join([event.type.value, *shown])


def diagram(events: Sequence[Event], entries: Sequence[JournalEntry], offset_seconds: float) -> Diagram:
    """The cart's requests and events as numbered arrows in the order they happened."""
    shift = timedelta(seconds=offset_seconds)
    timed: list[tuple[datetime, int, int, JournalEntry | Event]] = []
    previous: datetime | None = None
    for entry in sorted(entries, key=lambda e: e.id or 0):  # ids: the order the requests were made
        started = entry.at + shift - timedelta(milliseconds=entry.latency_ms)
        previous = started = started if previous is None else max(started, previous)
        timed.append((started, 0, entry.id or 0, entry))
    for event in events:
        timed.append((event.at, 1, event.id or 0, event))
    timed.sort(key=lambda item: item[:3])
    arrows: list[Arrow] = []
    enclosing: str | None = None
    for number, (at, _, _, item) in enumerate(timed, start=1):
        if isinstance(item, JournalEntry):
            source, target = request_parties(item)
            enclosing = f"/_sandbox/journal/{item.id}"
            status = item.status if item.status is not None else "—"
            label = f"{item.method} {item.path} → {status}"
            failed = item.status is None or item.status >= 400
            arrows.append(Arrow(number, source, target, label, at, enclosing, "request", failed))
        else:
            source, target = EVENT_PARTIES.get(item.type, (P.NODE, P.NODE))
            href = enclosing or f"#event-{item.id}"
            failed = item.type in (EventType.NOTICE_VERIFY_FAILED, EventType.ATTEMPT_ACTIVATION_FAILED)
            arrows.append(Arrow(number, source, target, event_label(item), at, href, "event", failed))
    return Diagram(arrows)
