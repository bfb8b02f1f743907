"""Every built-in scenario, run headless on a notice of an EC in station mode (the reference
station answering): the cart ends as the scenario says, and the station is sent ``paSendRTV2``
exactly when a receipt exists (twice when the scenario duplicates it, never when it is lost)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask

from examples.station.app import Ledger
from simulator.notify.transport import RequestsTransport
from simulator.services.delivery import Notifier
from tests.conftest import ApiClient
from tests.functional.control_factories import URLS, complete, new_cart, status
from tests.functional.station_factories import EC, PAYABLE, counted_station, set_station, station_notice
from tests.functional.test_scenarios_headless import BUILTIN_IDS, EXPECTED, Observed, _fault

PAID = "Hai pagato 121,50 €"  # the station's 120,50 € and the card PSP's 1,00 € fee
ANSWERING = "L'Ente Creditore sta avendo problemi nella risposta"

# The scenarios that script the EC's own station end differently once the EC has one.
STATION_EXPECTED: dict[str, Observed] = {
    **EXPECTED,
    "station-activation-refused": _fault(ANSWERING),
    "station-malformed-answer": _fault(ANSWERING),
}
# Receipts made once time has passed, where the scenario's end does not say it: a pending
# payment that turns out paid has one; a lost receipt never reaches anyone.
RECEIPTS_LATER = {"pending-then-ok": 1, "receipt-lost": 0}


@pytest.fixture
def station(api: ApiClient) -> Iterator[tuple[Ledger, Counter[str]]]:
    with counted_station() as (url, ledger, calls):
        assert set_station(api, url).status_code == 200
        yield ledger, calls


def deliver_everything(app: Flask, api: ApiClient) -> None:
    """Every delivery due now, then those a scenario delays or retries (an hour later covers both)."""
    notifier = Notifier(app.extensions["sandbox"], RequestsTransport())
    notifier.deliver_due()
    for _ in range(3):
        assert api.post("/_sandbox/v1/clock/advance", json={"seconds": 3600}).status_code == 200
        notifier.deliver_due()


def test_every_built_in_scenario_has_a_station_expectation() -> None:
    assert sorted(STATION_EXPECTED) == sorted(BUILTIN_IDS)


@pytest.mark.parametrize("scenario_id", BUILTIN_IDS)
def test_each_built_in_scenario_ends_a_station_payment_as_it_says_and_sends_the_receipt_it_made(
    app: Flask, api: ApiClient, station: tuple[Ledger, Counter[str]], scenario_id: str
) -> None:
    ledger, calls = station
    expected = STATION_EXPECTED[scenario_id]
    cart_id = new_cart(api, station_notice(), scenario=scenario_id)

    answer = complete(api, cart_id)
    deliver_everything(app, api)

    assert answer["scenario"]["id"] == scenario_id
    assert (answer["state"], answer.get("outcome")) == (expected.state, expected.outcome)
    assert answer["returnUrl"] == URLS[expected.url]
    paid = expected.outcome == 0
    assert answer["message"] == (PAID if paid else expected.message)
    timeline = status(api, cart_id)["timeline"]
    receipts = sum(e["type"] == "receipt.created" for e in timeline)
    assert receipts == RECEIPTS_LATER.get(scenario_id, 1 if paid else 0)
    sent = {"receipt-duplicated": 2 * receipts}.get(scenario_id, receipts)
    assert calls["paSendRTV2"] == sent, calls
    assert ((EC, PAYABLE) in ledger.receipts) == (sent > 0)
