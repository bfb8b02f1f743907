"""Choosing which due notifications start when slots free up: per-destination and per-tenant
limits, and turns between tenants."""

from __future__ import annotations

from simulator.domain.delivery_share import Due, InFlight, Share, pick_fairly

HOLE, OK = "127.0.0.1:9", "ec.example:443"


def backlog(tenant: str, destination: str, count: int, first: int = 0) -> list[Due]:
    return [Due(first + n, tenant, destination) for n in range(count)]


def test_one_destination_gets_at_most_its_share_and_the_rest_go_elsewhere() -> None:
    due = {"noisy": backlog("noisy", HOLE, 20) + backlog("noisy", OK, 2, first=100)}

    picked = pick_fairly(due, limit=16, share=Share(per_destination=4, per_tenant=8))

    assert [d.destination for d in picked].count(HOLE) == 4
    assert [d.key for d in picked if d.destination == OK] == [100, 101]


def test_a_destination_already_busy_gets_no_more() -> None:
    due = {"noisy": backlog("noisy", HOLE, 20)}

    picked = pick_fairly(due, 16, Share(4, 8), InFlight(destinations={HOLE: 4}, tenants={"noisy": 4}))

    assert picked == []


def test_the_tenants_take_turns_and_a_tenant_with_nothing_in_flight_goes_first() -> None:
    due = {"a": backlog("a", "a.example:443", 10), "b": backlog("b", "b.example:443", 10, first=100)}

    picked = pick_fairly(due, 1, Share(4, 8), InFlight(tenants={"a": 3}, destinations={"a.example:443": 3}))
    assert [d.tenant for d in picked] == ["b"]

    picked = pick_fairly(due, 6, Share(10, 10))
    assert [d.tenant for d in picked] == ["a", "b", "a", "b", "a", "b"]


def test_a_tie_goes_to_the_tenant_served_least_recently() -> None:
    due = {"a": backlog("a", "a.example:443", 3), "b": backlog("b", "b.example:443", 3, first=100)}

    picked = pick_fairly(due, 1, Share(4, 8), InFlight(served=("b", "a")))

    assert [d.tenant for d in picked] == ["b"]


def test_one_tenant_holds_at_most_its_share_of_the_slots() -> None:
    due = {"a": [Due(n, "a", f"h{n}.example:443") for n in range(20)], "b": backlog("b", OK, 1, first=100)}

    picked = pick_fairly(due, 16, Share(per_destination=4, per_tenant=8))

    assert [d.tenant for d in picked].count("a") == 8 and [d.tenant for d in picked].count("b") == 1


def test_without_a_share_nothing_is_capped() -> None:
    assert len(pick_fairly({"a": backlog("a", HOLE, 30)}, 100)) == 30
