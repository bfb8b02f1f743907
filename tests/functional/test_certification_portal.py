"""A certification run of the example EC portal (examples/ec_portal), headless and in-process:
the portal creates each position and cart in the run's tenant, the payer's part of each case is
played by the headless completion, the citizen comes back to the portal, and the sandbox's
notifications reach the portal. The good portal passes ``checkout-full`` (its JUnit report read
with junitparser); one that answers 500 to notifications fails exactly the notification checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from junitparser import JUnitXml

from examples.ec_portal import create_app
from simulator.services.clock import FixedClock
from simulator.services.delivery import Notifier
from tests.conftest import ApiClient
from tests.functional.test_ec_portal import PORTAL, SANDBOX, FlaskSession, PortalTransport

PROFILE = "checkout-full"
EC = "15376371009"  # the portal's own fiscal code
NOTIFICATION_CHECKS = {"notification-acknowledged", "duplicate-notification-idempotent"}


@pytest.fixture
def clock() -> FixedClock:
    """The real time: the portal checks the signed return URL's ``ts`` against its own clock."""
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


def certify(
    app: Flask, api: ApiClient, clock: FixedClock, *, broken: bool = False, reconciles: bool = True
) -> tuple[dict[str, Any], JUnitXml]:
    """Start a run, let the portal (configured with the run's tenant) play every case, and read
    the run's progress and its JUnit report."""
    started = api.post("/_sandbox/v1/certifications", json={"fiscalCode": EC, "profile": PROFILE})
    assert started.status_code == 201, started.get_data(as_text=True)
    run_id, tenant = started.get_json()["id"], started.get_json()["tenant"]
    portal = create_app(SANDBOX, PORTAL, http=FlaskSession(app.test_client()), tenant=tenant)
    if broken:  # a portal that never processes the notifications it is sent
        portal.view_functions["notify"] = lambda: ("internal error", 500)
    notifier = Notifier(app.extensions["sandbox"], PortalTransport(portal.test_client()))
    sandbox = ApiClient(app.test_client(), tenant)
    citizen = portal.test_client()
    for case in started.get_json()["cases"]:
        answer = citizen.post("/paga/TARI-2026")
        assert answer.status_code == 303, answer.get_data(as_text=True)
        cart_id = answer.headers["Location"].split("/carts/")[1].split("/")[0]
        completed = sandbox.post(f"/_sandbox/v1/carts/{cart_id}/complete")
        assert completed.status_code == 200, (case["id"], completed.get_data(as_text=True))
        back = completed.get_json().get("returnUrl")
        if back:  # the payer comes back to the portal, which asks the status query
            assert citizen.get(back).status_code == 303, case["id"]
        if case["id"] == "paid-offline":  # a second later, pays the notice at a counter
            clock.advance(1)
            nav = completed.get_json()["notices"][0]["noticeNumber"]
            paid = sandbox.post(f"/_sandbox/v1/notices/{EC}/{nav}/pay")
            assert paid.status_code == 201, paid.get_data(as_text=True)
        if reconciles:  # the portal's reconciliation job
            assert citizen.post("/riconcilia").status_code == 200
        for _ in range(6):  # time passes: pending payments resolve, retries fall due
            notifier.deliver_due()
            sandbox.post("/_sandbox/v1/clock/advance", json={"seconds": 600})
            clock.advance(1)  # the base clock ticks too: later requests come after the move
        notifier.deliver_due()
    progress = api.get(f"/_sandbox/v1/certifications/{run_id}").get_json()
    report = api.get(f"/_sandbox/v1/certifications/{run_id}/report.xml")
    assert report.status_code == 200 and report.mimetype == "application/xml"
    return progress, JUnitXml.fromstring(report.get_data(as_text=True))


def failures(xml: JUnitXml) -> dict[tuple[str, str], str]:
    """(case, check) -> message of every testcase that did not pass."""
    found = {}
    for suite in xml:
        for case in suite:
            for result in case.result:
                found[(suite.name.split(".", 1)[1], case.name)] = result.message
    return found


def test_the_example_portal_passes_checkout_full(app: Flask, api: ApiClient, clock: FixedClock) -> None:
    progress, xml = certify(app, api, clock)

    assert failures(xml) == {}, failures(xml)
    assert progress["complete"] and progress["passed"], progress["counts"]
    assert [c["state"] for c in progress["cases"]] == ["passed"] * 10
    assert xml.tests == sum(len(c["checks"]) for c in progress["cases"]) == 37
    assert xml.failures == 0 and xml.errors == 0


def test_a_portal_that_answers_500_to_notifications_fails_the_notification_checks(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    progress, xml = certify(app, api, clock, broken=True)

    failed = failures(xml)
    assert failed, "the broken portal must fail"
    assert {check for _case, check in failed} == NOTIFICATION_CHECKS
    notified = {
        c["id"] for c in progress["cases"] if "notification-acknowledged" in {k["id"] for k in c["checks"]}
    }
    assert {case for case, check in failed if check == "notification-acknowledged"} == notified
    assert "HTTP 500" in failed[("ok", "notification-acknowledged")]
    assert progress["complete"] and not progress["passed"]
    html = api.get(f"/_sandbox/v1/certifications/{progress['id']}/report.html").get_data(as_text=True)
    assert "got HTTP 500, not a 2xx" in html and "Complete: some checks failed" in html


def test_a_portal_that_never_reconciles_misses_the_notice_paid_at_a_counter(
    app: Flask, api: ApiClient, clock: FixedClock
) -> None:
    progress, xml = certify(app, api, clock, reconciles=False)

    assert failures(xml) == {
        ("paid-offline", "payment-discovered"): (
            "no status query (cart or notice) or receipts API request within 5 min of the outcome"
        )
    }
    assert progress["complete"] and not progress["passed"]
