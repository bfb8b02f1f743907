"""Delivering the outbox (what to send was decided by ``services.outbound``; how it travels is
``simulator.notify``'s): claim what is due (a lease, so across worker processes each attempt is
made by exactly one of them), sign, send through the transport, log the attempt, and reschedule
on the retry schedule. ``Notifier.deliver_due`` does one round (the tests call it directly, after
moving the tenant clock); ``services.delivery_worker`` runs rounds on a background thread in
each worker process. The
outbox stays the only record: a claim is a lease on its rows, nothing is queued in memory.

Two clocks: "due" is judged on each delivery's tenant clock (so advancing it makes retries due),
while leases and the ``webhook-timestamp`` header use the real clock: receivers compare that
timestamp with their own clock, whatever the tenant's offset.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from simulator import __version__
from simulator.domain.delivery_share import Due, InFlight, Share, pick_fairly
from simulator.domain.journal import JournalEntry
from simulator.domain.notification import NOTIFIER_PRODUCT, Delivery, DeliveryAttempt
from simulator.domain.notify_destination import endpoint_of
from simulator.domain.retry_schedule import RetrySchedule
from simulator.notify.signing import signed_headers
from simulator.notify.transport import Request, Response, Transport, TransportError
from simulator.scenario.model import NotifyMode, NotifyStep, StationReceipt
from simulator.services.clock import shifted
from simulator.services.context import Sandbox
from simulator.services.outbound import DELIVERED, FAILED, PENDING, ec_secret
from simulator.services.station import RECEIPT_OPERATIONS, SCRIPTED, receipt_refusal, scripted_response
from simulator.services.station import headers as station_headers
from simulator.services.unit import Unit
from simulator.storage.notifications import DeliveryQueue, NotificationRepository
from simulator.storage.tenants import clock_offset

__all__ = ["EXCERPT_LIMIT", "Claim", "Notifier", "destination_of"]

log = logging.getLogger("simulator.notify")

# A receiver's reply is shown as its status and at most this much of its body (the delivery log,
# the journal): enough to read an error, too little to turn the sandbox into a reader of whatever
# answers at an address it was pointed to.
EXCERPT_LIMIT = 200
# Due deliveries looked at per tenant in one claim: enough to see past a backlog to one receiver.
CLAIM_WINDOW = 256
LEASE_MARGIN = timedelta(seconds=30)
RECEIPT_EVENT = "receipt.created"
OUT_OF_ORDER_GAP = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Claim:
    tenant: str
    delivery: Delivery
    secret: str | None = None  # read with the claim; None: the subscription is gone


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: int | None
    error: str | None
    excerpt: str | None
    latency_ms: float
    simulated: bool = False
    scripted: bool = False  # a station's answer given by the scenario: simulated, and journaled
    refused: bool = False  # a 2xx whose SOAP answer says no (a station's paSendRT KO)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.refused


class Notifier:
    """Claims and delivers due notifications of every tenant, through ``transport``."""

    def __init__(self, sandbox: Sandbox, transport: Transport, *, worker_id: str | None = None) -> None:
        settings = sandbox.settings
        self.sandbox = sandbox
        self.transport = transport
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{sandbox.ids.hex()[:6]}"
        self.schedule = RetrySchedule(settings.notify_retry_schedule)
        self.timeout = settings.notify_timeout_seconds
        self.lease = timedelta(seconds=self.timeout) + LEASE_MARGIN

    def claim(
        self,
        limit: int = 100,
        now: datetime | None = None,
        *,
        share: Share | None = None,
        busy: InFlight | None = None,
    ) -> list[Claim]:
        """Lease up to ``limit`` due deliveries, the tenants taking turns (and, with ``share``, none
        over its limits given what is ``busy``), in one transaction; then read their signing
        secrets, each tenant's in a unit of its own."""
        base = now or self.sandbox.clock()
        with self.sandbox.transaction() as tx:
            queue = DeliveryQueue(tx.conn)
            due: dict[str, list[Due]] = {}
            for tenant in queue.tenants_with_pending():
                due_by = shifted(base, clock_offset(tx.conn, tenant))
                candidates = queue.due(tenant, due_by=due_by, now=base, limit=CLAIM_WINDOW)
                due[tenant] = [Due(seq, tenant, destination_of(url)) for seq, url in candidates]
            picked = [d.key for d in pick_fairly(due, limit, share, busy)]
            leased = queue.lease(picked, now=base, lease_until=base + self.lease, worker=self.worker_id)
        by_tenant: dict[str, list[Delivery]] = {}
        for tenant, delivery in leased:
            by_tenant.setdefault(tenant, []).append(delivery)
        claims: list[Claim] = []
        for tenant, rows in by_tenant.items():
            with self.sandbox.unit(tenant) as unit:  # the EC's secret is made on first use
                claims += [Claim(tenant, d, self._secret(unit, d)) for d in rows]
        return claims

    def deliver_due(self, now: datetime | None = None, limit: int = 100) -> int:
        """One round: claim what is due by ``now`` (default: the sandbox's clock) and attempt each,
        one after the other. Returns the number of attempts made."""
        return sum(self.attempt(claim, now) for claim in self.claim(limit, now))

    def attempt(self, claim: Claim, now: datetime | None = None) -> bool:
        """Make one attempt of a claimed delivery and record it (never raises for the endpoint's
        sake: every failure is an attempt in the log). False: not attempted now, its scenario
        holds it back (a delay, or out-of-order)."""
        if not claim.delivery.prepared:
            prepared = self._prepare(claim, now)
            if prepared is None:
                return False
            claim = Claim(claim.tenant, prepared, claim.secret)
        delivery = claim.delivery
        number = delivery.attempts + 1
        if number <= delivery.fail_first:
            outcome = _Outcome(
                503,
                f"simulated by the scenario's notify step: failure {number} of {delivery.fail_first}",
                None,
                0.0,
                simulated=True,
            )
        else:
            secret = claim.secret
            if secret is None:
                outcome = _Outcome(None, "the webhook subscription was deleted", None, 0.0)
                self._finish(claim, number, outcome, now, give_up=True)
                return True
            outcome = self._send(delivery, secret, now, number)
        self._finish(claim, number, outcome, now)
        return True

    def _prepare(self, claim: Claim, now: datetime | None) -> Delivery | None:
        """Apply the scenario's notify step on the first claim: ``fail`` (simulated 503s),
        ``delay`` (not due before created + delay), ``duplicate`` (a second delivery of the same
        webhook-id) and ``out-of-order`` (an outcome waits until its cart's receipt notification
        to the same endpoint was attempted, then follows it by a second). None: not now."""
        d = claim.delivery
        step = self._notify_step(d.scenario_id)
        with self.sandbox.transaction() as tx:
            outbox = NotificationRepository(tx.conn, claim.tenant)
            at = shifted(now or self.sandbox.clock(), clock_offset(tx.conn, claim.tenant))
            if step.mode is NotifyMode.OUT_OF_ORDER and d.cart_id and d.event_type != RECEIPT_EVENT:
                receipt_due = outbox.first_attempt_due(d.cart_id, d.url, RECEIPT_EVENT)
                if receipt_due is not None:
                    later = max(receipt_due, d.next_attempt_at or at) + OUT_OF_ORDER_GAP
                    outbox.release(d.id, self.worker_id, next_attempt_at=later)
                    return None
            due = d.created_at + step.delay
            changes: dict[str, Any] = {"prepared": True, "fail_first": step.fail}
            if step.mode is NotifyMode.DUPLICATE:
                copy = replace(
                    d,
                    id="dlv_" + self.sandbox.ids.hex(),
                    prepared=True,
                    scenario_id=None,
                    next_attempt_at=due,
                )
                outbox.insert_deliveries([copy])
            if due > at:
                outbox.release(d.id, self.worker_id, next_attempt_at=due, **changes)
                return None
            if not outbox.update_claimed(d.id, self.worker_id, **changes):
                return None
        return replace(d, prepared=True, fail_first=step.fail)

    def _notify_step(self, scenario_id: str | None) -> NotifyStep:
        library = self.sandbox.scenarios
        scenario = library.find(scenario_id) if library is not None and scenario_id else None
        return scenario.steps.notify if scenario is not None else NotifyStep()

    def _station_receipt(self, scenario_id: str | None) -> StationReceipt | None:
        library = self.sandbox.scenarios
        scenario = library.find(scenario_id) if library is not None and scenario_id else None
        return scenario.steps.station.receipt if scenario is not None else None

    def _secret(self, unit: Unit, delivery: Delivery) -> str | None:
        """The signing secret: the subscription's, or the EC's (created on first use)."""
        if delivery.subscription_id is None:
            return ec_secret(unit, delivery.fiscal_code)
        webhook = unit.notifications.webhook(delivery.subscription_id)
        return None if webhook is None else webhook.secret

    def _send(self, delivery: Delivery, secret: str, now: datetime | None, number: int) -> _Outcome:
        if delivery.event_type in RECEIPT_OPERATIONS:
            return self._send_to_station(delivery, number)
        body = delivery.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"{NOTIFIER_PRODUCT}/{__version__}",
            **signed_headers(secret, delivery.webhook_id, now or self.sandbox.clock(), body),
        }
        started = time.perf_counter()
        try:
            response = self.transport.send(Request(delivery.url, headers, body, self.timeout))
        except TransportError as exc:
            kind = type(exc).__name__.lower()
            return _Outcome(None, f"{kind}: {exc}", None, _ms(started))
        return _Outcome(response.status, _error_of(response), _excerpt(response), _ms(started))

    def _send_to_station(self, delivery: Delivery, number: int) -> _Outcome:
        """A receipt to a creditor's station: SOAP, judged by its answer's outcome too. The
        ``number``-th attempt is answered in the station's place when the scenario scripts it."""
        started = time.perf_counter()
        operation = delivery.event_type
        script = self._station_receipt(delivery.scenario_id)
        if script is not None and script.answers(number):
            response = scripted_response(operation, script.answer, delivery.fiscal_code)
            refusal = receipt_refusal(operation, response)
            note = f"scripted answer {number} of {script.times}"
            return _Outcome(
                response.status,
                f"{refusal} ({note})" if refusal else None,
                _excerpt(response, soap=True),
                0.0,
                simulated=True,
                scripted=True,
                refused=refusal is not None,
            )
        request = Request(delivery.url, station_headers(operation), delivery.body.encode(), self.timeout)
        try:
            response = self.transport.send(request)
        except TransportError as exc:
            return _Outcome(None, f"{type(exc).__name__.lower()}: {exc}", None, _ms(started))
        refusal = receipt_refusal(operation, response)
        error = refusal if 200 <= response.status < 300 else _error_of(response)
        excerpt = _excerpt(response, soap=True)
        return _Outcome(response.status, error, excerpt, _ms(started), refused=refusal is not None)

    def _finish(
        self, claim: Claim, number: int, outcome: _Outcome, now: datetime | None, *, give_up: bool = False
    ) -> None:
        delivery = claim.delivery
        with self.sandbox.transaction() as tx:
            at = shifted(now or self.sandbox.clock(), clock_offset(tx.conn, claim.tenant))
            changes: dict[str, object] = {"last_status": outcome.status, "last_error": outcome.error}
            if outcome.ok:
                changes.update(status=DELIVERED, delivered_at=at, next_attempt_at=None)
            else:
                wait = None if give_up else self._wait_after(delivery, number)
                if wait is None:
                    changes.update(status=FAILED, next_attempt_at=None)
                else:
                    changes.update(status=PENDING, next_attempt_at=at + wait)
            attempt = DeliveryAttempt(
                number=number,
                at=at,
                status=outcome.status,
                error=outcome.error,
                latency_ms=outcome.latency_ms,
                response_excerpt=outcome.excerpt,
                worker=self.worker_id,
                simulated=outcome.simulated,
            )
            outbox = NotificationRepository(tx.conn, claim.tenant)
            if not outbox.finish_attempt(delivery.id, self.worker_id, attempt, **changes):
                return  # the row is gone (a tenant reset) or no longer ours
        if outcome.scripted or not outcome.simulated:
            self._journal(claim, outcome, now)

    def _wait_after(self, delivery: Delivery, number: int) -> timedelta | None:
        """The schedule's wait after the ``number``-th failure; None: give up. A scenario's simulated
        failures never exhaust the schedule: one real attempt always follows them (past its end,
        the schedule's last wait is reused)."""
        delays = self.schedule.delays
        if number >= max(len(delays), delivery.fail_first + 1):
            return None
        return timedelta(seconds=delays[min(number, len(delays) - 1)])

    def _journal(self, claim: Claim, outcome: _Outcome, now: datetime | None) -> None:
        delivery = claim.delivery
        self.sandbox.journal.record(
            claim.tenant,
            JournalEntry(
                at=now or self.sandbox.clock(),
                direction="out",
                method="POST",
                url=delivery.url,
                path=delivery.url[:2048],
                status=outcome.status,
                latency_ms=outcome.latency_ms,
                cart_id=delivery.cart_id,
                request_body=delivery.body[:2048],
                response_body=_journaled_answer(outcome),
            ),
        )


def _journaled_answer(outcome: _Outcome) -> str | None:
    answer = outcome.excerpt or outcome.error
    return SCRIPTED + (answer or "") if outcome.scripted else answer


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _error_of(response: Response) -> str | None:
    if 200 <= response.status < 300:
        return None
    if 300 <= response.status < 400:
        where = response.headers.get("Location") or response.headers.get("location") or "?"
        return f"HTTP {response.status}: redirect to {where[:EXCERPT_LIMIT]} not followed"
    return f"HTTP {response.status}"


def _excerpt(response: Response, *, soap: bool = False) -> str | None:
    """The reply's first characters; for a station's SOAP answer, those of its Body, where the
    outcome and fault code are (the envelope before it would fill the excerpt)."""
    body = response.body
    if soap:
        start = body.find(b"Body>")
        body = body[start + len(b"Body>") :] if start >= 0 else body
    if not body:
        return None
    text = body[:EXCERPT_LIMIT].decode("utf-8", "replace")
    if response.truncated or len(body) > EXCERPT_LIMIT:
        text += "…[truncated]"
    return text


def destination_of(url: str) -> str:
    """Where a delivery goes, as the per-destination limit counts it: its host:port."""
    endpoint = endpoint_of(url)
    return url if endpoint is None else str(endpoint)
