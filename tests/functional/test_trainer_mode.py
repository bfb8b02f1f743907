"""Trainer mode: the summary page offers a clearly marked "choose the outcome" panel (off by
default), and the tester's pick runs the payment as an explicit choice."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from simulator.cli import main
from simulator.config import Settings
from simulator.services.clock import FixedClock
from tests.conftest import ApiClient
from tests.functional.control_factories import app_with, new_cart, status, to_summary
from tests.functional.pages_factories import assert_page_frame, browser

LEGEND = "Modalità formatore: scegli l'esito"


@pytest.fixture
def trainer_app(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Flask]:
    application = app_with(settings, clock, tmp_path, trainer_mode=True)
    yield application
    application.extensions["sandbox"].close()


@pytest.fixture
def trainer_api(trainer_app: Flask) -> ApiClient:
    return ApiClient(trainer_app.test_client())


def options(page: Any) -> dict[str, str]:
    return {
        e.attrs["value"]: " ".join(e.text.split())
        for e in page.all
        if e.tag == "option" and "value" in e.attrs
    }


def test_the_panel_is_absent_when_trainer_mode_is_off(app: Flask, api: ApiClient) -> None:
    summary = to_summary(browser(app), f"/c/{new_cart(api)}")

    assert "trainer-panel" not in summary.elements
    assert LEGEND not in summary.text


def test_the_panel_is_clearly_marked_and_offers_what_can_still_happen(
    trainer_app: Flask, trainer_api: ApiClient
) -> None:
    summary = to_summary(browser(trainer_app), f"/c/{new_cart(trainer_api)}")

    panel = summary.by_id("trainer-panel")
    assert panel.tag == "fieldset"
    assert LEGEND in summary.text
    select = summary.by_id("trainer-scenario")
    assert (select.tag, select.attrs["name"], select.attrs["form"]) == ("select", "scenario", "pay-form")
    assert any(e.tag == "label" and e.attrs.get("for") == "trainer-scenario" for e in summary.all)
    offered = options(summary)
    assert offered[""] == "Lascia decidere al sandbox (ora: Tutto funziona: il pagamento riesce (esito 0))"
    assert offered["card-declined"] == "Carta rifiutata dal PSP (esito 2) (card-declined)"
    assert {"card-declined", "pending-then-ok", "3ds-challenge", "receipt-lost"} <= set(offered)
    assert "notice-expired" not in offered  # verify already happened
    assert "user-cancels" not in offered  # the person at the keyboard plays the payer
    assert_page_frame(summary)


def test_the_panel_speaks_english_too(trainer_app: Flask, trainer_api: ApiClient) -> None:
    pages = browser(trainer_app)
    to_summary(pages, f"/c/{new_cart(trainer_api)}")

    summary = pages.get("/riepilogo-pagamento?lang=en")

    assert "Trainer mode: choose the outcome" in summary.text
    assert (
        options(summary)[""]
        == "Let the sandbox decide (now: Everything works: the payment succeeds (outcome 0))"
    )
    assert options(summary)["card-declined"] == "Card declined by the PSP (outcome 2) (card-declined)"


def test_the_trainers_pick_decides_the_outcome_and_is_recorded_as_explicit(
    trainer_app: Flask, trainer_api: ApiClient
) -> None:
    cart_id = new_cart(trainer_api)
    pages = browser(trainer_app)
    summary = to_summary(pages, f"/c/{cart_id}")

    result = pages.submit(summary, "pay-form", {"scenario": "card-declined"})

    assert (result.path, result.by_id("outcome").attrs["data-outcome"]) == ("/esito", "2")
    chosen = status(trainer_api, cart_id)["scenario"]
    assert (chosen["id"], chosen["source"], chosen["reason"]) == (
        "card-declined",
        "trainer",
        "trainer mode: the tester's pick",
    )


def test_leaving_the_sandbox_to_decide_keeps_the_rules_choice(
    trainer_app: Flask, trainer_api: ApiClient
) -> None:
    cart_id = new_cart(trainer_api)
    pages = browser(trainer_app)
    summary = to_summary(pages, f"/c/{cart_id}", card="4000000000001216")

    result = pages.submit(summary, "pay-form", {"scenario": ""})

    assert result.by_id("outcome").attrs["data-outcome"] == "121"


def test_a_picked_challenge_scenario_asks_for_the_3ds_code(
    trainer_app: Flask, trainer_api: ApiClient
) -> None:
    pages = browser(trainer_app)
    summary = to_summary(pages, f"/c/{new_cart(trainer_api)}")

    page = pages.submit(summary, "pay-form", {"scenario": "3ds-challenge"})

    assert page.path == "/verifica-3ds"


def test_the_pick_cannot_override_a_choice_made_by_the_ec(trainer_app: Flask, trainer_api: ApiClient) -> None:
    cart_id = new_cart(trainer_api, scenario="insufficient-balance")
    pages = browser(trainer_app)
    summary = to_summary(pages, f"/c/{cart_id}")

    assert "trainer-scenario" not in summary.elements
    assert summary.text_of("trainer-fixed") == (
        "Esito già scelto: Saldo insufficiente (esito 116) (header X-Sandbox-Scenario)."
    )
    result = pages.submit(summary, "pay-form", {"scenario": "happy-path"})
    assert result.by_id("outcome").attrs["data-outcome"] == "116"


def test_an_unknown_pick_is_refused_and_pays_nothing(trainer_app: Flask, trainer_api: ApiClient) -> None:
    cart_id = new_cart(trainer_api)
    pages = browser(trainer_app)
    summary = to_summary(pages, f"/c/{cart_id}")

    refused = pages.submit(summary, "pay-form", {"scenario": "no-such-scenario"})

    assert refused.status == 400
    assert status(trainer_api, cart_id)["state"] == "IN_PROGRESS"


def test_a_pick_is_ignored_when_trainer_mode_is_off(app: Flask, api: ApiClient) -> None:
    pages = browser(app)
    summary = to_summary(pages, f"/c/{new_cart(api)}")

    result = pages.submit(summary, "pay-form", {"scenario": "card-declined"})

    assert result.by_id("outcome").attrs["data-outcome"] == "0"


def test_trainer_mode_is_off_by_default_and_set_by_the_environment() -> None:
    assert Settings().trainer_mode is False
    assert Settings.from_env({"PAGOPA_SANDBOX_TRAINER_MODE": "true"}).trainer_mode is True
    assert Settings.from_env({"PAGOPA_SANDBOX_TRAINER_MODE": "0"}).trainer_mode is False


def test_serve_trainer_turns_trainer_mode_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[Settings] = []

    class FakeServer:
        def __init__(self, settings: Settings, listener: socket.socket) -> None:
            started.append(settings)
            listener.close()

        def run(self) -> None:
            pass

    monkeypatch.setattr("simulator.server.SandboxServer", FakeServer)
    monkeypatch.setattr("simulator.cli._prepare_database", lambda settings: None)

    result = CliRunner().invoke(main, ["serve", "--trainer", "--port", "0", "--data-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert started[0].trainer_mode is True
    assert "trainer mode" in result.output


def test_a_pick_outside_the_offered_list_is_refused(trainer_app: Flask, trainer_api: ApiClient) -> None:
    cart_id = new_cart(trainer_api)
    pages = browser(trainer_app)
    summary = to_summary(pages, f"/c/{cart_id}")

    refused = pages.submit(summary, "pay-form", {"scenario": "notice-expired"})  # verify is long past

    assert refused.status == 400
    assert status(trainer_api, cart_id)["scenario"]["source"] == "uat"  # the UAT card 4242 ...: unchanged
