"""The delivery thread of each worker process: attempts run concurrently, a few at most per
destination and per tenant, each free slot going to the tenant with the fewest in flight
(``domain.delivery_share``), so a receiver that never answers holds a few slots for its timeout and
delays nobody else's notifications. The rounds themselves are ``services.delivery``'s."""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures

from simulator.domain.delivery_share import InFlight, Share
from simulator.notify.transport import RequestsTransport, Transport
from simulator.services.context import Sandbox
from simulator.services.delivery import Claim, Notifier, destination_of

__all__ = ["NotifyWorker", "start_worker"]

log = logging.getLogger("simulator.notify")

# After an attempt ends, the delivery thread waits this long before claiming, so attempts that end
# together free their slots in one claim transaction rather than one each.
COALESCE_SECONDS = 0.01


class NotifyWorker:
    """A daemon thread starting due attempts on ``concurrency`` threads as slots free up: at most
    ``per_destination`` in flight to one host:port and half the slots for one tenant, each free
    slot to the tenant with the fewest in flight. Only what can start now is claimed, so nothing
    waits in memory behind an attempt that hangs; a finished attempt wakes the thread (attempts
    ending within ``COALESCE_SECONDS`` of each other share one claim)."""

    def __init__(self, notifier: Notifier, *, poll: float, concurrency: int, per_destination: int) -> None:
        self.notifier = notifier
        self.poll = poll
        self.concurrency = max(1, concurrency)
        self.share = Share(per_destination=max(1, per_destination), per_tenant=max(1, self.concurrency // 2))
        self._lock = threading.Lock()
        self._destinations: Counter[str] = Counter()
        self._tenants: Counter[str] = Counter()
        self._served: dict[str, None] = {}  # tenants, the least recently served first
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="notify")
        self._running: set[Future[None]] = set()
        self._thread = threading.Thread(target=self._run, name="notify-worker", daemon=True)

    def start(self) -> NotifyWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop claiming, and give the attempts in flight up to ``timeout`` seconds to be recorded
        (one cut short stays leased and is attempted again once its lease ends)."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        wait_for_futures(list(self._running), timeout)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                filled = self._round()
            except Exception:  # a database hiccup: log it and try again next round
                log.exception("notification round failed")
                filled = False
            if not filled and self._wake.wait(self.poll):
                self._stop.wait(COALESCE_SECONDS)  # let attempts ending together share one claim

    def _round(self) -> bool:
        """Claim and start what may start now; True when every slot was filled (more may be due)."""
        self._running = {f for f in self._running if not f.done()}
        with self._lock:
            free = self.concurrency - sum(self._tenants.values())
            busy = InFlight(dict(self._destinations), dict(self._tenants), tuple(self._served))
        if free <= 0:
            return False
        claims = self.notifier.claim(free, share=self.share, busy=busy)
        for claim in claims:
            self._count(claim, +1)
            self._running.add(self._pool.submit(self._attempt, claim))
        return len(claims) == free

    def _count(self, claim: Claim, change: int) -> None:
        with self._lock:
            self._destinations[destination_of(claim.delivery.url)] += change
            self._tenants[claim.tenant] += change
            if change > 0:
                self._served.pop(claim.tenant, None)
                self._served[claim.tenant] = None
            self._destinations = +self._destinations  # drop the zeros
            self._tenants = +self._tenants

    def _attempt(self, claim: Claim) -> None:
        try:
            self.notifier.attempt(claim)
        except Exception:
            log.exception("notification %s not attempted", claim.delivery.id)
        finally:
            self._count(claim, -1)
            self._wake.set()


def start_worker(sandbox: Sandbox, transport: Transport | None = None) -> NotifyWorker:
    """Start this process's delivery thread (stopped at exit)."""
    settings = sandbox.settings
    worker = NotifyWorker(
        Notifier(sandbox, transport or RequestsTransport.for_settings(settings)),
        poll=settings.notify_poll_seconds,
        concurrency=settings.notify_concurrency,
        per_destination=settings.notify_per_destination,
    ).start()
    atexit.register(worker.stop)
    return worker
