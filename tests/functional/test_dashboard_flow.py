"""The cart's sequence diagram: requests and events in the order they happened when the clock
moves (each request before the events it caused), the tenant's clock offset applied to the
journal's real-clock times, the parties of each arrow, and where each arrow links."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from simulator.domain.events import Event, EventType
from simulator.domain.journal import JournalEntry
from simulator.web.dashboard_flow import Party, diagram

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CART = "0b7f6c1e-1111-4222-8333-944455556666"


def entry(
    n: int, seconds: float, path: str, method: str = "POST", status: int = 200, **over: object
) -> JournalEntry:
    """A request that ended ``seconds`` after T0 (real clock) and took 20 ms."""
    made = JournalEntry(
        at=T0 + timedelta(seconds=seconds),
        direction="in",
        method=method,
        url="http://x" + path,
        path=path,
        status=status,
        latency_ms=20.0,
        cart_id=CART,
        id=n,
    )
    return replace(made, **over)  # type: ignore[arg-type]


def event(n: int, seconds: float, type: EventType, **data: object) -> Event:
    return replace(Event.of(type, T0 + timedelta(seconds=seconds), cart_id=CART, **data), id=n)


def test_each_request_comes_before_the_events_it_caused() -> None:
    entries = [
        entry(1, 0.02, "/checkout/ec/v2/carts", status=302),
        entry(2, 5.02, "/inserisci-carta"),
        entry(3, 9.0, "/pagopa/notify", direction="out"),
    ]
    events = [
        event(10, 0.005, EventType.CART_CREATED),
        event(11, 5.005, EventType.ATTEMPT_ACTIVATED),
        event(12, 5.006, EventType.AUTHORIZATION_REQUESTED),
    ]

    arrows = diagram(events, list(reversed(entries)), offset_seconds=0).arrows

    assert [a.label.split()[0] for a in arrows] == [
        "POST",
        "cart.created",
        "POST",
        "attempt.activated",
        "authorization.requested",
        "POST",
    ]
    assert [(a.source, a.target) for a in arrows] == [
        (Party.EC, Party.CHECKOUT_API),
        (Party.CHECKOUT_API, Party.NODE),
        (Party.CITIZEN, Party.PAGES),
        (Party.NODE, Party.GPD),
        (Party.CHECKOUT_API, Party.PSP),
        (Party.NODE, Party.RECEIVER),
    ]
    assert arrows[0].href == "/_sandbox/journal/1"
    assert arrows[3].href == "/_sandbox/journal/2"  # an event opens the request it happened in
    assert [a.number for a in arrows] == [1, 2, 3, 4, 5, 6]


def test_the_tenants_clock_offset_moves_the_journals_times() -> None:
    day = 86_400
    entries = [entry(1, 0.02, "/checkout/ec/v2/carts", status=302), entry(2, 60.02, "/esito", method="GET")]
    events = [
        event(10, day + 0.005, EventType.CART_CREATED),
        event(11, day + 30, EventType.ATTEMPT_CLOSED, outcome=0),
    ]

    arrows = diagram(events, entries, offset_seconds=day).arrows

    assert [a.label.split()[0] for a in arrows] == ["POST", "cart.created", "attempt.closed", "GET"]
    assert "outcome=0" in arrows[2].label


def test_an_event_before_any_request_links_to_its_place_in_the_list_and_failures_are_marked() -> None:
    arrows = diagram(
        [event(7, 0, EventType.NOTICE_VERIFY_FAILED, faultCode="PPT_DOMINIO_SCONOSCIUTO")],
        [entry(1, 1, "/c/" + CART, method="GET", status=404)],
        offset_seconds=0,
    ).arrows

    assert arrows[0].href == "#event-7" and arrows[0].failed
    assert arrows[1].failed and arrows[1].label == f"GET /c/{CART} → 404"
