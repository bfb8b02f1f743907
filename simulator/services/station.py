"""The node calling a creditor's own station (``paForNode.wsdl``) instead of its GPD store: verify
(``paVerifyPaymentNotice``), activation (``paGetPayment`` / ``paGetPaymentV2``) inside the
citizen's request, and the receipt (``paSendRT`` / ``paSendRTV2``) through the durable outbox,
retried as notifications are.

Every failure becomes the node's own fault code, as production reports it to Checkout: no answer
in time -> PPT_STAZIONE_INT_PA_TIMEOUT; no connection -> ..._IRRAGGIUNGIBILE; an answer that is not
the operation's SOAP response valid against paForNode.xsd -> ..._ERRORE_RESPONSE; a KO with the
station's PAA_* fault -> PPT_ERRORE_EMESSO_DA_PAA, its description carrying the PAA code. Each
exchange is journaled with both SOAP bodies and recorded in the timeline (``station.called``).

A scenario's ``station`` step scripts an operation (``scenario.station_steps``): the sandbox then
answers in the station's place, judges that answer with the same code, and marks the journal
entry and the event as scripted; a scripted delay at or past the station timeout is a timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from functools import lru_cache
from typing import NoReturn

from simulator.config import Settings
from simulator.domain import payment as pay
from simulator.domain.codes import parse_nav
from simulator.domain.events import EventType
from simulator.domain.fault_codes import WRAPPED_EC_FAULT
from simulator.domain.journal import JournalEntry, excerpt
from simulator.domain.notification import Delivery
from simulator.domain.payment import NoticeInfo
from simulator.domain.receipt import Receipt
from simulator.domain.receipt_xml import render_receipt
from simulator.domain.station import Station
from simulator.notify.transport import (
    Request,
    RequestsTransport,
    Response,
    Timeout,
    Transport,
    TransportError,
)
from simulator.scenario.model import format_duration
from simulator.scenario.station_steps import MALFORMED, StationCall
from simulator.services import organizations
from simulator.services.unit import Unit
from simulator.soap import nodo_per_pa as nodo
from simulator.soap import pa_for_node as pfn
from simulator.soap.envelope import CONTENT_TYPE, NotSoap, SoapFaultReceived, unwrap, wrap
from simulator.soap.scripted import MALFORMED_BODY, ko_answer

__all__ = [
    "ERRORE_RESPONSE",
    "IRRAGGIUNGIBILE",
    "RECEIPT_OPERATIONS",
    "TIMEOUT",
    "activate",
    "enqueue_receipt",
    "headers",
    "receipt_refusal",
    "scripted_response",
    "station_of",
    "unsent",
    "verify",
]

IRRAGGIUNGIBILE = "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE"
TIMEOUT = "PPT_STAZIONE_INT_PA_TIMEOUT"
ERRORE_RESPONSE = "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"
SYSTEM_ERROR = "PPT_SYSTEM_ERROR"  # a request the node could not build valid
# The outbox rows' event_type of what goes to a station: a receipt, or a modello 1 RT.
RECEIPT_OPERATIONS = ("paSendRT", "paSendRTV2", "paaInviaRT")
RECEIPT_ALREADY_HELD = "PAA_RECEIPT_DUPLICATA"  # the station has it: delivered, not retried
RT_ALREADY_HELD = "PAA_RT_DUPLICATA"  # the same for a modello 1 RT


@lru_cache(maxsize=8)
def _transport(settings: Settings) -> Transport:
    """The node's calls pass the notifications' destination guard: a station's name that now
    resolves to the sandbox itself is refused (unreachable), never called."""
    return RequestsTransport.for_settings(settings)


SCRIPTED = "[scripted by the scenario's station step: the station was not called] "


@dataclass(frozen=True, slots=True)
class _Exchange:
    """One call's result: the answer, or the node's fault code and why."""

    answer: pfn.Answer | None
    fault_code: str | None = None
    reason: str | None = None


def station_of(unit: Unit, fiscal_code: str) -> Station | None:
    """The EC's station, when it has one (then the node calls it instead of GPD)."""
    org = unit.tenants.organization(fiscal_code)
    return None if org is None else Station.from_stored(org.settings.get("station"))


def headers(operation: str) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{operation}"'}


# --- verify and activation, inside the citizen's request --------------------------------------------


def verify(
    unit: Unit,
    station: Station,
    fiscal_code: str,
    nav: str,
    cart_id: str | None,
    script: StationCall | None = None,
) -> NoticeInfo:
    """paVerifyPaymentNotice: the notice's data as the station (or ``script``) tells it, or its
    PaymentFault."""
    try:
        request = pfn.verify_request(_addressing(station, fiscal_code), fiscal_code, nav)
    except pfn.InvalidMessage as exc:
        _fail(unit, "paVerifyPaymentNotice", cart_id, SYSTEM_ERROR, f"the request is invalid: {exc}")
    answer = _call(unit, station, "paVerifyPaymentNotice", request, cart_id, script)
    data = pfn.verify_data(answer)
    if data.amount is None:
        _fail(unit, "paVerifyPaymentNotice", cart_id, ERRORE_RESPONSE, "outcome OK without paymentList")
    return NoticeInfo(
        fiscal_code=fiscal_code,
        nav=nav,
        iuv=parse_nav(nav).iuv,
        amount=data.amount,
        description=data.description or nav,
        company_name=data.company_name or organizations.ensure(unit, fiscal_code).company_name,
        due_date=_midnight(data.due_date),
        synthetic=True,  # the sandbox holds no position for it: its receipt is built from the notice
    )


def activate(
    unit: Unit, station: Station, info: NoticeInfo, cart_id: str | None, script: StationCall | None = None
) -> NoticeInfo:
    """paGetPayment(V2): the payment the station binds to the notice (its amount may differ from
    the verify's: the station's word at activation is the one paid)."""
    operation = station.operations[0]
    try:
        request = pfn.get_payment_request(
            operation, _addressing(station, info.fiscal_code), info.fiscal_code, info.nav, info.amount
        )
    except pfn.InvalidMessage as exc:
        _fail(unit, operation, cart_id, SYSTEM_ERROR, f"the request is invalid: {exc}")
    answer = _call(unit, station, operation, request, cart_id, script)
    try:
        data = pfn.payment_data(answer)
    except pfn.InvalidMessage as exc:
        _fail(unit, operation, cart_id, ERRORE_RESPONSE, str(exc))
    return replace(
        info,
        amount=data.amount,
        description=data.description or info.description,
        company_name=data.company_name or info.company_name,
        due_date=_midnight(data.due_date) or info.due_date,
    )


def _call(
    unit: Unit,
    station: Station,
    operation: str,
    message_xml: str,
    cart_id: str | None,
    script: StationCall | None,
) -> pfn.Answer:
    body = wrap(message_xml)
    timeout = timedelta(seconds=unit.settings.station_timeout_seconds)
    scripted = script is not None and script.replaces_station(timeout)
    if script is not None and script.delay:
        _wait(unit, operation, cart_id, min(script.delay, timeout))
    started = time.perf_counter()
    response: Response | None = None
    try:
        response = _answer(unit.settings, station, operation, body, timeout, script)
        exchange = _read(operation, response)
    except Timeout as exc:
        exchange = _Exchange(None, TIMEOUT, str(exc))
    except TransportError as exc:
        exchange = _Exchange(None, IRRAGGIUNGIBILE, str(exc))
    answered = excerpt(response.body) if response is not None else exchange.reason
    unit.journal(
        JournalEntry(
            at=unit.clock(),
            direction="out",
            method="POST",
            url=station.url,
            path=station.url[:2048],
            status=response.status if response is not None else None,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            cart_id=cart_id,
            request_body=excerpt(body),
            response_body=SCRIPTED + (answered or "") if scripted else answered,
        )
    )
    if exchange.answer is None:
        _fail(
            unit,
            operation,
            cart_id,
            exchange.fault_code or ERRORE_RESPONSE,
            exchange.reason,
            scripted=scripted,
        )
    answer = exchange.answer
    if answer.outcome != "OK":
        fault = answer.fault
        code = fault.fault_code if fault is not None else "PAA_SYSTEM_ERROR"
        _fail(unit, operation, cart_id, WRAPPED_EC_FAULT, code, station_code=code, scripted=scripted)
    unit.record(
        EventType.STATION_CALLED,
        cart_id=cart_id,
        operation=operation,
        outcome="OK",
        scripted=scripted or None,
    )
    return answer


def _answer(
    settings: Settings,
    station: Station,
    operation: str,
    body: bytes,
    timeout: timedelta,
    script: StationCall | None,
) -> Response:
    """The station's answer, or the script's in its place (``Timeout`` when the script makes the
    station slower than the node waits). A scripted delay is the station's: the node's timeout
    covers it and the real call together."""
    if script is None or not script.replaces_station(timeout):
        left = timeout - (script.delay if script is not None else timedelta(0))
        return _transport(settings).send(Request(station.url, headers(operation), body, left.total_seconds()))
    if script.times_out(timeout):
        raise Timeout(f"the station answers after {format_duration(script.delay)}, past the node's timeout")
    assert script.answer is not None
    return scripted_response(operation, script.answer, station.id_station)


def scripted_response(operation: str, answer: str, answered_by: str) -> Response:
    """The answer a scenario's station step gives in the station's place (judged as a real one)."""
    body = MALFORMED_BODY if answer == MALFORMED else ko_answer(operation, answer, answered_by)
    return Response(200, body, {"Content-Type": CONTENT_TYPE})


def _wait(unit: Unit, operation: str, cart_id: str | None, delay: timedelta) -> None:
    """The node waiting for a slow station: slept with the unit paused (capped as every scenario
    delay), recorded as the step's delay."""
    slept = unit.pause(lambda: unit.engine.wait(delay))
    unit.record(
        EventType.STEP_DELAYED,
        cart_id=cart_id,
        step=f"station.{operation}",
        delay=format_duration(delay),
        sleptSeconds=round(slept, 3),
    )


def _read(operation: str, response: Response) -> _Exchange:
    if response.truncated:
        return _Exchange(None, ERRORE_RESPONSE, "the answer is too large")
    if not 200 <= response.status < 300:
        return _Exchange(None, ERRORE_RESPONSE, f"HTTP {response.status}")
    try:
        return _Exchange(pfn.read_answer(operation, unwrap(response.body)))
    except SoapFaultReceived as fault:
        return _Exchange(None, ERRORE_RESPONSE, f"SOAP Fault {fault.faultcode}: {fault.faultstring}")
    except (NotSoap, pfn.InvalidMessage) as exc:
        return _Exchange(None, ERRORE_RESPONSE, str(exc))


def _fail(
    unit: Unit,
    operation: str,
    cart_id: str | None,
    fault_code: str,
    reason: str | None,
    *,
    station_code: str | None = None,
    scripted: bool = False,
) -> NoReturn:
    """Record the failed call in the timeline and raise the node's fault."""
    unit.record(
        EventType.STATION_CALLED,
        cart_id=cart_id,
        operation=operation,
        outcome="KO",
        faultCode=fault_code,
        stationFaultCode=station_code,
        reason=(reason or "")[:300] or None,
        scripted=scripted or None,
    )
    raise pay.fault(fault_code, station_code)


def _addressing(station: Station, fiscal_code: str) -> pfn.Addressing:
    return pfn.Addressing(fiscal_code, station.id_broker_pa, station.id_station)


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, day_time(0), UTC)


def _rt_refusal(response: Response) -> str | None:
    if response.truncated or not 200 <= response.status < 300:
        return f"{ERRORE_RESPONSE}: HTTP {response.status}"
    try:
        refusal = nodo.paa_invia_rt_refusal(unwrap(response.body))
        return None if refusal is not None and refusal.endswith(RT_ALREADY_HELD) else refusal
    except SoapFaultReceived as fault:
        return f"{ERRORE_RESPONSE}: SOAP Fault {fault.faultcode}"
    except NotSoap as exc:
        return f"{ERRORE_RESPONSE}: {exc}"


# --- the receipt, through the outbox ----------------------------------------------------------------


def enqueue_receipt(
    unit: Unit,
    station: Station,
    receipt: Receipt,
    *,
    at: datetime,
    cart_id: str | None,
    scenario_id: str | None = None,
) -> Delivery | None:
    """paSendRT(V2) of ``receipt``, written to the outbox in the payment's transaction: the
    delivery worker sends it (or ``scenario_id``'s station step answers it) and retries it on the
    notifications' schedule."""
    operation = station.operations[1]
    document = render_receipt(
        receipt, id_broker_pa=station.id_broker_pa, id_station=station.id_station, version=station.version
    )
    try:
        message = pfn.check(document.split("?>", 1)[1].strip())
    except pfn.InvalidMessage as exc:  # never sent: the station would rightly refuse it
        unsent(unit, operation, cart_id, f"the receipt is not valid against paForNode.xsd: {exc}", at=at)
        return None
    row = Delivery(
        id="dlv_" + unit.ids.hex(),
        webhook_id="msg_" + unit.ids.hex(),
        event_type=operation,
        fiscal_code=receipt.fiscal_code,
        url=station.url,
        body=wrap(message).decode(),
        created_at=at,
        next_attempt_at=at,
        cart_id=cart_id,
        scenario_id=scenario_id,
    )
    unit.notifications.insert_deliveries([row])
    return row


def unsent(unit: Unit, operation: str, cart_id: str | None, reason: str, *, at: datetime) -> None:
    """A message for the station the sandbox could not build valid: in the timeline, not sent."""
    unit.record(
        EventType.STATION_CALLED,
        at=at,
        cart_id=cart_id,
        operation=operation,
        outcome="NOT_SENT",
        reason=reason[:300],
    )


def receipt_refusal(operation: str, response: Response) -> str | None:
    """Why the station did not take the receipt (the attempt failed and is retried), or None."""
    if operation == "paaInviaRT":
        return _rt_refusal(response)
    exchange = _read(operation, response)
    if exchange.answer is None:
        return f"{exchange.fault_code}: {exchange.reason}"
    answer = exchange.answer
    if answer.outcome == "OK":
        return None
    code = answer.fault.fault_code if answer.fault is not None else "?"
    if code == RECEIPT_ALREADY_HELD:
        return None
    return f"{WRAPPED_EC_FAULT}: {code}"
