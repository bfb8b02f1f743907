"""A certification run of the reference station (examples/station) in modello 1, in-process: the
station's RPTs reach the node in the run's tenant (each becomes a cart that takes the next case),
the payer's part is played by the headless completion, and the node's paaInviaRT reach the station
served on a free port. The reference station passes ``modello1`` (its JUnit report read with
junitparser); one that answers paaInviaRT with an HTML page fails exactly the RT checks, and an
RPT the node refused fails the next case's RPT check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from junitparser import JUnitXml

from examples.station.app import Ledger, create_app
from simulator.notify.transport import RequestsTransport
from simulator.services.delivery import Notifier
from tests.conftest import ApiClient
from tests.functional.rpt_factories import invia_rpt, post_soap, rpt
from tests.functional.station_factories import BROKER, DEBTS, EC, STATION_ID, serving, set_station
from tests.functional.test_certification_portal import failures
from tests.functional.test_modello1 import RETURN, answer_of

PROFILE = "modello1"
PASSWORD = "pwdpwd123"
RT_CHECKS = {"rt-acknowledged", "rt-retried-acknowledged"}


def html_to_rts(station: Callable[..., Any]) -> Callable[..., Any]:
    """The station, except that it answers paaInviaRT with a web page (HTTP 200), as a station
    behind a misconfigured proxy does."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if "paaInviaRT" in environ.get("HTTP_SOAPACTION", ""):
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<html><body>Service unavailable</body></html>"]
        result: Iterable[bytes] = station(environ, start_response)
        return result

    return app


@contextmanager
def station_served(*, broken: bool) -> Iterator[str]:
    station: Any = create_app(Ledger.load(DEBTS), BROKER, STATION_ID)
    with serving(html_to_rts(station) if broken else station) as url:
        yield url


def cart_in(app: Flask, tenant: str, url: str) -> str:
    """Follow the WISP url in the run's tenant as the citizen's browser does, to its cart."""
    parts = urlsplit(url)
    hop = app.test_client().get(f"{parts.path}?{parts.query}", headers={"X-Sandbox-Tenant": tenant})
    assert hop.status_code == 302, hop.get_data(as_text=True)
    return str(hop.headers["Location"]).split("/carts/")[1].split("/")[0]


def certify(
    app: Flask, api: ApiClient, *, broken: bool = False, refused_first: bool = False
) -> tuple[dict[str, Any], JUnitXml]:
    """Start a run, let the station send one RPT per case in the run's tenant, pay or leave each
    cart headlessly, deliver the RTs (retries included), and read the progress and JUnit report."""
    started = api.post("/_sandbox/v1/certifications", json={"fiscalCode": EC, "profile": PROFILE})
    assert started.status_code == 201, started.get_data(as_text=True)
    run_id, tenant = started.get_json()["id"], started.get_json()["tenant"]
    sandbox = ApiClient(app.test_client(), tenant)
    notifier = Notifier(app.extensions["sandbox"], RequestsTransport())
    as_tenant = {"X-Sandbox-Tenant": tenant}
    with station_served(broken=broken) as url:
        configured = set_station(sandbox, url, redirectUrl=RETURN, password=PASSWORD)
        assert configured.status_code == 200, configured.get_data(as_text=True)
        if refused_first:  # the station's first submission has the wrong password
            wrong = invia_rpt("02000000000099999", "C", rpt("02000000000099999", "C"), password="wrongpwd1")
            refused = post_soap(app.test_client(), "nodoInviaRPT", wrong, **as_tenant)
            assert answer_of(refused, "nodoInviaRPTRisposta").findtext("esito") == "KO"
            garbled = post_soap(app.test_client(), "nodoInviaRPT", b"<rpt/>", **as_tenant)
            assert garbled.status_code == 500  # a SOAP Fault: not a SOAP request
        for n, case in enumerate(started.get_json()["cases"]):
            iuv = f"0200000000{n:07d}"
            sent = post_soap(
                app.test_client(), "nodoInviaRPT", invia_rpt(iuv, "C", rpt(iuv, "C")), **as_tenant
            )
            result = answer_of(sent, "nodoInviaRPTRisposta")
            assert result.findtext("esito") == "OK", (case["id"], sent.get_data(as_text=True))
            cart_id = cart_in(app, tenant, result.findtext("url") or "")
            completed = sandbox.post(f"/_sandbox/v1/carts/{cart_id}/complete")
            assert completed.status_code == 200, (case["id"], completed.get_data(as_text=True))
            for _ in range(4):  # time passes: refused RTs are retried on the node's schedule
                notifier.deliver_due()
                assert sandbox.post("/_sandbox/v1/clock/advance", json={"seconds": 3600}).status_code == 200
            notifier.deliver_due()
    progress = api.get(f"/_sandbox/v1/certifications/{run_id}").get_json()
    report = api.get(f"/_sandbox/v1/certifications/{run_id}/report.xml")
    assert report.status_code == 200 and report.mimetype == "application/xml"
    return progress, JUnitXml.fromstring(report.get_data(as_text=True))


def test_the_reference_station_passes_modello1(app: Flask, api: ApiClient) -> None:
    progress, xml = certify(app, api)

    assert failures(xml) == {}, failures(xml)
    assert progress["complete"] and progress["passed"], progress["counts"]
    assert [c["state"] for c in progress["cases"]] == ["passed"] * 6
    assert xml.tests == sum(len(c["checks"]) for c in progress["cases"]) == 10
    assert xml.failures == 0 and xml.errors == 0


def test_a_station_that_answers_paainviart_with_a_web_page_fails_the_rt_checks(
    app: Flask, api: ApiClient
) -> None:
    progress, xml = certify(app, api, broken=True)

    failed = failures(xml)
    assert {check for _case, check in failed} == RT_CHECKS
    refused = {case for case, check in failed if check == "rt-acknowledged"}
    assert refused == {"ok", "rt-retried", "duplicate-rt"}  # every case with an RT, no other
    assert "paaInviaRT was not acknowledged" in failed[("ok", "rt-acknowledged")]
    assert "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE" in failed[("ok", "rt-acknowledged")]
    assert progress["complete"] and not progress["passed"]


def test_an_rpt_the_node_refused_fails_the_next_cases_rpt_check(app: Flask, api: ApiClient) -> None:
    progress, xml = certify(app, api, refused_first=True)

    failed = failures(xml)
    assert list(failed) == [("ok", "rpt-well-formed")]
    assert failed[("ok", "rpt-well-formed")].startswith("2 RPT submissions refused before this cart")
    assert "PPT_AUTENTICAZIONE" in failed[("ok", "rpt-well-formed")]
    assert progress["complete"] and not progress["passed"]
