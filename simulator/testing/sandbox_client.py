"""A creditor's test talking to a running sandbox as one tenant, over its public HTTP API only:
create debt positions, start carts, complete them, read their status, wait for notifications and
verify the request journal (in the spirit of WireMock's ``verify``).

The pytest plugin (``simulator.testing.pytest_plugin``) hands one to each test; anything else
can build one from a base URL.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from simulator.testing.headless import PayRun, pay_url
from simulator.testing.pages_client import Card

TENANT_HEADER = "X-Sandbox-Tenant"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
CART_ID = re.compile(r"/carts/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
DEFAULT_RETURN_URLS = {
    "returnOkUrl": "https://ec.example/ok",
    "returnCancelUrl": "https://ec.example/cancel",
    "returnErrorUrl": "https://ec.example/error",
    "returnWaitingUrl": "https://ec.example/wait",
}
# The journal is written in batches within about 50 ms of a request: a check that finds too few
# entries looks again for this long before it fails.
JOURNAL_GRACE_SECONDS = 1.0
T = TypeVar("T")


class SandboxRequestError(Exception):
    """The sandbox refused one of the client's requests (the message carries its status and answer)."""


@dataclass(frozen=True, slots=True)
class DebtPosition:
    """A published GPD debt position with one payment option: what a cart's notice needs."""

    fiscal_code: str
    iupd: str
    iuv: str
    nav: str
    amount: int
    description: str
    company_name: str

    def notice(self) -> dict[str, Any]:
        """The position as one of a cart's ``paymentNotices``."""
        return {
            "noticeNumber": self.nav,
            "fiscalCode": self.fiscal_code,
            "amount": self.amount,
            "companyName": self.company_name,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    location: str  # the cart API's Location: where the EC sends the citizen's browser


@dataclass
class SandboxUrls:
    """The base URL of every surface, as an EC's configuration names them."""

    root: str
    checkout: str = field(init=False)  # the EC cart API (v2)
    gpd: str = field(init=False)
    receipts: str = field(init=False)
    pages: str = field(init=False)
    sandbox: str = field(init=False)  # the sandbox's own API

    def __post_init__(self) -> None:
        self.root = self.root.rstrip("/")
        self.checkout = f"{self.root}/checkout/ec/v2"
        self.gpd = f"{self.root}/gpd/debt-positions-service/v1"
        self.receipts = f"{self.root}/gpd/payments-receipts-service/v1"
        self.pages = self.root
        self.sandbox = f"{self.root}/_sandbox/v1"


class SandboxClient:
    """One tenant of a running sandbox. ``session`` is a ``requests.Session`` that already sends
    the tenant header and a subscription key, for the calls an EC's own code makes."""

    def __init__(self, base_url: str, tenant: str, subscription_key: str = "pytest", timeout: float = 30.0):
        self.urls = SandboxUrls(base_url)
        self.tenant = tenant
        self.timeout = timeout
        self.headers = {TENANT_HEADER: tenant, KEY_HEADER: subscription_key}
        self.session = requests.Session()
        self.session.headers.update(self.headers)

    @property
    def url(self) -> str:
        return self.urls.root

    def close(self) -> None:
        self.session.close()

    # --- debt positions and carts -----------------------------------------------------------------

    def create_debt_position(
        self,
        *,
        fiscal_code: str = "77777777777",
        amount: int = 12050,
        description: str = "TARI 2026",
        company_name: str = "Comune di Prova",
        due_date: str = "2099-12-31T23:59:59Z",
    ) -> DebtPosition:
        """A fresh notice (IUV from the sandbox), published on GPD as a creditor's back office would."""
        iuv = self._json("GET", f"{self.urls.sandbox}/organizations/{fiscal_code}/iuv")["iuv"]
        iupd = f"PYTEST-{iuv}"
        body = {
            "iupd": iupd,
            "type": "F",
            "fiscalCode": "RSSMRA80A01H501U",
            "fullName": "Mario Rossi",
            "companyName": company_name,
            "switchToExpired": False,
            "paymentOption": [
                {
                    "iuv": iuv,
                    "amount": amount,
                    "description": description,
                    "isPartialPayment": False,
                    "dueDate": due_date,
                    "transfer": [
                        {
                            "idTransfer": "1",
                            "amount": amount,
                            "remittanceInformation": description,
                            "category": "9/0101108TS/",
                            "iban": "IT60X0542811101000000123456",
                        }
                    ],
                }
            ],
        }
        created = self._json(
            "POST",
            f"{self.urls.gpd}/organizations/{fiscal_code}/debtpositions",
            expect=201,
            params={"toPublish": "true"},
            json=body,
        )
        nav = created["paymentOption"][0]["nav"]
        return DebtPosition(fiscal_code, iupd, iuv, nav, amount, description, company_name)

    def start_cart(
        self,
        *notices: DebtPosition | Mapping[str, Any],
        return_urls: Mapping[str, str] | None = None,
        scenario: str | None = None,
        email: str | None = None,
        notify_url: str | None = None,
        append_outcome: bool | None = None,
    ) -> Cart:
        """``POST /checkout/ec/v2/carts`` for ``notices`` (positions or ``paymentNotices`` items);
        ``scenario`` is sent as ``X-Sandbox-Scenario``, ``notify_url``/``append_outcome`` in the
        proposal's ``sandbox`` object."""
        body: dict[str, Any] = {
            "paymentNotices": [n.notice() if isinstance(n, DebtPosition) else dict(n) for n in notices],
            "returnUrls": {**DEFAULT_RETURN_URLS, **(return_urls or {})},
        }
        if email is not None:
            body["emailNotice"] = email
        extra = {"notifyUrl": notify_url, "appendOutcome": append_outcome}
        if any(v is not None for v in extra.values()):
            body["sandbox"] = {k: v for k, v in extra.items() if v is not None}
        headers = {"X-Sandbox-Scenario": scenario} if scenario is not None else {}
        response = self._send("POST", f"{self.urls.checkout}/carts", expect=302, json=body, headers=headers)
        location = response.headers["Location"]
        match = CART_ID.search(location)
        if match is None:
            raise SandboxRequestError(f"the cart API's Location names no cart: {location}")
        return Cart(match.group(1), location)

    def choose_scenario(self, cart: Cart | str, scenario: str) -> dict[str, Any]:
        return self._json(
            "PUT", f"{self.urls.sandbox}/carts/{_id(cart)}/scenario", json={"scenario": scenario}
        )

    def complete(
        self,
        cart: Cart | str,
        outcome: str | int | None = None,
        *,
        scenario: str | None = None,
        method: str | None = None,
        psp: str | None = None,
    ) -> dict[str, Any]:
        """Pay headless (``POST /_sandbox/v1/carts/{id}/complete``) and answer the cart's status:
        ``outcome`` (``ok``, ``declined``, ``pending``, a code...) or else the scenario's payer."""
        if scenario is not None:
            self.choose_scenario(cart, scenario)
        body = {k: v for k, v in {"outcome": outcome, "method": method, "psp": psp}.items() if v is not None}
        return self._json("POST", f"{self.urls.sandbox}/carts/{_id(cart)}/complete", json=body)

    def pay(
        self,
        cart: Cart | str,
        *,
        card: Card | str | None = None,
        scenario: str | None = None,
        cancel: bool = False,
    ) -> PayRun:
        """Pay through the checkout pages, link by link and form by form, as a citizen would."""
        start = cart.location if isinstance(cart, Cart) else f"{self.urls.pages}/c/{cart}"
        chosen = Card(number=card) if isinstance(card, str) else card
        return pay_url(start, scenario=scenario, card=chosen, tenant=self.tenant, cancel=cancel)

    def status(self, cart: Cart | str) -> dict[str, Any]:
        """The status query: state, outcome, receipts, return URL, timeline."""
        return self._json("GET", f"{self.urls.sandbox}/carts/{_id(cart)}")

    def advance_clock(self, seconds: int) -> dict[str, Any]:
        """Move this tenant's clock (what falls due is applied on its next request)."""
        return self._json("POST", f"{self.urls.sandbox}/clock/advance", json={"seconds": seconds})

    def reset(self) -> None:
        """Delete all of this tenant's state, nothing of other tenants."""
        self._send("POST", f"{self.urls.sandbox}/reset", expect=204)

    # --- notifications ------------------------------------------------------------------------------

    def subscribe_webhook(
        self, url: str, fiscal_code: str = "77777777777", events: list[str] | None = None
    ) -> dict[str, Any]:
        """Subscribe ``url`` to the creditor's signed notifications; the answer holds the ``secret``."""
        body: dict[str, Any] = {"url": url, "fiscalCode": fiscal_code}
        if events is not None:
            body["events"] = events
        return self._json("POST", f"{self.urls.sandbox}/webhooks", expect=201, json=body)

    def deliveries(self, *, event: str | None = None, cart: Cart | str | None = None) -> list[dict[str, Any]]:
        params = {"event": event, "cart": _id(cart) if cart is not None else None}
        found = self._json("GET", f"{self.urls.sandbox}/deliveries", params=params)
        return list(found["deliveries"])

    def wait_for_notification(
        self,
        *,
        event: str | None = None,
        cart: Cart | str | None = None,
        status: str = "delivered",
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """The earliest delivery of the log that matches and reached ``status``, with its ``payload``
        and ``attempts``; fails with what the log holds after ``timeout`` seconds."""

        def found() -> dict[str, Any] | None:
            rows = [d for d in self.deliveries(event=event, cart=cart) if d["status"] == status]
            return rows[-1] if rows else None

        delivery = _poll(found, timeout, interval=0.25)  # each look is a journaled request
        if delivery is None:
            seen = [f"{d['event']} {d['status']} -> {d['url']}" for d in self.deliveries()]
            raise AssertionError(
                f"no {event or 'notification'} {status} within {timeout:g} s (tenant {self.tenant!r});"
                f" the delivery log holds {len(seen)}:" + "".join(f"\n  {line}" for line in seen)
            )
        return self._json("GET", f"{self.urls.sandbox}/deliveries/{delivery['id']}")

    # --- the journal ----------------------------------------------------------------------------------

    def journal(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        cart: Cart | str | None = None,
        direction: str | None = None,
    ) -> list[dict[str, Any]]:
        """This tenant's journal entries, newest first: ``path`` is matched whole, with shell-style
        wildcards (``/gpd/*``); ``direction`` is ``in`` (requests) or ``out`` (notifications)."""
        params: dict[str, Any] = {"limit": 1000, "status": status, "cart": _id(cart) if cart else None}
        if path:
            params["path"] = re.split(r"[*?\[]", path, maxsplit=1)[0] or None  # the server's prefix
        entries = self._json("GET", f"{self.urls.sandbox}/journal", params=params)["entries"]
        return [
            e
            for e in entries
            if (path is None or fnmatch.fnmatchcase(e["path"], path))
            and (method is None or e["method"] == method.upper())
            and (direction is None or e["direction"] == direction)
        ]

    def assert_called(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int | None = None,
        status: int | None = None,
        body_contains: str | None = None,
        direction: str | None = None,
    ) -> list[dict[str, Any]]:
        """Verify the journal: ``method path`` was called at least once (``times``: exactly so many
        times; 0: never); a notification sent is ``direction="out"``, its path the receiver's URL.
        The failure lists what this tenant's journal does hold."""

        def matching() -> list[dict[str, Any]]:
            return [
                e
                for e in self.journal(path=path, method=method, status=status, direction=direction)
                if body_contains is None or body_contains in (e.get("requestBody") or "")
            ]

        wanted = 1 if times is None else times

        def enough() -> list[dict[str, Any]] | None:
            entries = matching()
            return entries if len(entries) >= wanted else None

        found = _poll(enough, JOURNAL_GRACE_SECONDS, 0.05) or matching()
        if (times is None and found) or len(found) == times:
            return found
        what = " ".join(p for p in (method and method.upper(), path or "any path") if p)
        conditions = [
            f"status {status}" if status is not None else "",
            f"body containing {body_contains!r}" if body_contains else "",
            f"direction {direction!r}" if direction else "",
        ]
        expected = "at least once" if times is None else f"{times} time(s)"
        lines = self.journal_lines()
        raise AssertionError(
            f"expected {what}{''.join(f' with {c}' for c in conditions if c)} to be called {expected},"
            f" but it was called {len(found)} time(s).\n"
            f"The journal of tenant {self.tenant!r} holds {len(lines)} entries (newest first):"
            + "".join(f"\n  {line}" for line in lines)
        )

    def journal_lines(self) -> list[str]:
        """The tenant's journal, newest first, one ``in  POST /path -> 201`` line per entry."""
        return [f"{e['direction']:<3} {e['method']} {e['path']} -> {e.get('status')}" for e in self.journal()]

    def assert_not_called(self, method: str | None = None, path: str | None = None) -> None:
        self.assert_called(method, path, times=0)

    # --- plumbing -------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, expect: int = 200, **kwargs: Any) -> requests.Response:
        response = self.session.request(method, url, allow_redirects=False, timeout=self.timeout, **kwargs)
        if response.status_code != expect:
            raise SandboxRequestError(
                f"{method} {url} answered {response.status_code} (expected {expect}):"
                f" {response.text[:500].strip()}"
                + (
                    f" [{response.headers['X-Sandbox-Detail']}]"
                    if "X-Sandbox-Detail" in response.headers
                    else ""
                )
            )
        return response

    def _json(self, method: str, url: str, *, expect: int = 200, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._send(method, url, expect=expect, **kwargs).json()
        return body


def _id(cart: Cart | str) -> str:
    return cart.id if isinstance(cart, Cart) else cart


def _poll(probe: Callable[[], T | None], timeout: float, interval: float) -> T | None:
    """``probe()`` until it answers something other than None, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None or time.monotonic() >= deadline:
            return result
        time.sleep(interval)
