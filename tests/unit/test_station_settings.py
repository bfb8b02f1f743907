"""A creditor's station as configured: its fields checked one by one, and the sandbox's own address
refused (the node would call itself)."""

from __future__ import annotations

import pytest

from simulator.domain.errors import InvalidInput
from simulator.domain.station import Station


def station(**over: object) -> Station:
    fields: dict[str, object] = {
        "url": "https://station.example/pa",
        "id_broker_pa": "1",
        "id_station": "1_01",
    }
    fields.update(over)
    return Station(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"url": "ftp://station.example/"}, "station.url"),
        ({"url": "station.example/pa"}, "station.url"),
        ({"id_broker_pa": ""}, "station.idBrokerPA"),
        ({"id_station": "x" * 36}, "station.idStation"),
        ({"version": 0}, "station.version"),
        ({"redirect_url": "javascript:alert(1)"}, "station.redirectUrl"),
        ({"password": "short"}, "station.password"),
        ({"password": "has a space1"}, "station.password"),
    ],
)
def test_a_bad_field_is_named(over: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        station(**over).check()
    assert raised.value.field == field


def test_a_station_round_trips_through_its_stored_form() -> None:
    configured = station(version=1, redirect_url="https://portale.example/ritorno", password="pwdpwd123")

    assert Station.from_stored(configured.check().stored()) == configured
    assert configured.operations == ("paGetPayment", "paSendRT")
    assert Station.from_stored(None) is None
