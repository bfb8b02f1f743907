"""Pay a cart over HTTP the way a person without JavaScript would, from the URL an EC gets back.

Used by ``pagopa-sandbox pay``: it follows the redirect hop's meta refresh, optionally picks the
cart's scenario through the sandbox API, then walks the pages' own links and forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from html import unescape
from urllib.parse import urlsplit

from simulator.testing.pages_client import Card, Checkout, PagesClient, RequestsTransport, pay

META_REFRESH = re.compile(r'<meta\s+http-equiv="refresh"\s+content="\d+;\s*URL=([^"]+)"', re.IGNORECASE)
CART_PATH = re.compile(r"/(?:c|carts)/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


MAX_HOPS = 5


class PayError(Exception):
    """The URL could not be followed to the checkout pages."""


class PayResult(Enum):
    """How a headless payment ended, with the exit code ``pagopa-sandbox pay`` gives it (2 is
    click's usage error)."""

    PAID = ("paid", 0)
    FAILED = ("failed", 1)  # declined, a KO outcome, refunded, or the notice refused (a fault page)
    CANCELLED = ("cancelled", 3)
    EXPIRED = ("expired", 4)  # the session or the authorization timed out (outcome 4)
    PENDING = ("pending", 5)  # outcome 17: not final yet
    STOPPED = ("stopped", 6)  # no outcome: an unexpected page, or the sandbox did not answer

    def __init__(self, label: str, exit_code: int) -> None:
        self.label = label
        self.exit_code = exit_code


# Outcome codes shown on /esito that are not a plain failure (every other non-zero code is).
_BY_OUTCOME = {0: PayResult.PAID, 4: PayResult.EXPIRED, 8: PayResult.CANCELLED, 17: PayResult.PENDING}
# Pages that end a payment without an outcome code.
_BY_PAGE = {"/annullato": PayResult.CANCELLED, "/sessione-scaduta": PayResult.EXPIRED}
CANCELLED_OUTCOME = 8


@dataclass(frozen=True, slots=True)
class PayRun:
    checkout: Checkout
    start_url: str
    landing_url: str | None  # where the browser leaves the sandbox: a return URL (or / for a typed notice)
    message: str  # the heading of the last page the citizen read

    @property
    def outcome(self) -> int | None:
        """The outcome code the payer was shown (a cancellation's is 8); None for a refused notice."""
        if self.checkout.outcome is not None:
            return self.checkout.outcome
        return CANCELLED_OUTCOME if self.result is PayResult.CANCELLED else None

    @property
    def result(self) -> PayResult:
        if self.checkout.outcome is not None:
            return _BY_OUTCOME.get(self.checkout.outcome, PayResult.FAILED)
        last = self.checkout.last
        if last.path in _BY_PAGE:
            return _BY_PAGE[last.path]
        if last.status >= 400:  # a verify/activate fault: the notice was refused (already paid, ...)
            return PayResult.FAILED
        return PayResult.STOPPED

    def as_json(self) -> dict[str, object]:
        return {
            "result": self.result.label,
            "exitCode": self.result.exit_code,
            "outcome": self.outcome,
            "message": self.message,
            "page": self.checkout.last.path,
            "returnUrl": self.landing_url,
            "startUrl": self.start_url,
        }


def pay_url(
    url: str,
    *,
    scenario: str | None = None,
    card: Card | None = None,
    email: str = "mario.rossi@example.com",
    tenant: str | None = None,
    cancel: bool = False,
) -> PayRun:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PayError(f"not an http(s) URL: {url}")
    base = f"{parts.scheme}://{parts.netloc}"
    headers = {"X-Sandbox-Tenant": tenant} if tenant else {}
    transport = RequestsTransport(base, headers)
    start = _follow_redirect_hop(transport, url)
    if scenario is not None:
        _choose_scenario(transport, start, scenario)
    client = PagesClient(transport)
    checkout = pay(client, start, email=email, card=card, cancel=cancel)
    message = checkout.last.heading
    exit_url = checkout.exit_url
    for _ in range(MAX_HOPS):  # a fault page leads to /errore, whose button leads to the EC
        if exit_url is None or client.external(exit_url) or exit_url == "/":
            break
        page = client.get(exit_url)
        exit_link = page.elements.get("exit")
        exit_url = exit_link.attrs.get("href") if exit_link is not None else None
    landing = None if exit_url is None else (exit_url if client.external(exit_url) else base + exit_url)
    return PayRun(checkout, start, landing, message)


def _follow_redirect_hop(transport: RequestsTransport, url: str) -> str:
    """The cart API's Location answers 200 HTML with a meta refresh: follow it like a browser."""
    if "/ecommerce/checkout/" not in url:
        return url
    raw = transport.send("GET", url)
    match = META_REFRESH.search(raw.body)
    if raw.status != 200 or match is None:
        raise PayError(f"{url} answered {raw.status} without a redirect to the checkout pages")
    return unescape(match.group(1))


def _choose_scenario(transport: RequestsTransport, start: str, scenario: str) -> None:
    match = CART_PATH.search(urlsplit(start).path)
    if match is None:
        raise PayError("--scenario needs a cart URL (a notice entered by hand has no cart)")
    response = transport.session.put(
        f"{transport.base_url}/_sandbox/v1/carts/{match.group(1)}/scenario",
        json={"scenario": scenario},
        timeout=transport.timeout,
    )
    if response.status_code != 200:
        raise PayError(f"the scenario could not be chosen ({response.status_code}): {response.text[:300]}")
