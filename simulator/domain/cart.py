"""Checkout carts: what an EC's online service hands to pagoPA Checkout to start a payment.

A cart holds 1..5 notices, one return URL per outcome and an optional email; it lives 10 minutes.
Which return URL the browser goes back to is decided here, exactly as production decides it
(reference §1): nothing is appended to it unless the cart or its EC opted in to the proposal's
signed outcome (``append_outcome``; simulator.domain.return_signature).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from simulator.domain.ec_settings import check_http_url
from simulator.domain.errors import CheckoutError, CheckoutReason, InvalidInput
from simulator.domain.money import MAX_CART_CENTS
from simulator.domain.return_signature import ReturnOutcome
from simulator.domain.rpt import WispSession
from simulator.domain.selection import ScenarioChoice

MAX_NOTICES = 5
CART_TTL = timedelta(minutes=10)
CLIENT_ID = "CHECKOUT_CART"
CART_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_cart_id(text: str) -> str:
    """A cart id as the sandbox makes them (a lower-case UUID); anything else is malformed input."""
    if not CART_ID.fullmatch(text):
        raise InvalidInput("cartId", "is not a cart id (a UUID)")
    return text


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    notice_number: str
    fiscal_code: str
    amount: int
    company_name: str
    description: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.fiscal_code, self.notice_number)


@dataclass(frozen=True, slots=True)
class ReturnUrls:
    ok: str
    cancel: str
    error: str
    waiting: str | None = None


@dataclass(frozen=True, slots=True)
class Cart:
    id: str
    notices: tuple[PaymentNotice, ...]
    return_urls: ReturnUrls
    created_at: datetime
    expires_at: datetime
    api_version: int = 1
    email: str | None = None
    id_cart: str | None = None
    all_ccp: bool | None = None
    # The sandbox's own: which scenario runs it and why; its latest payment attempt; the node/EC
    # fault code that stopped its payment before an attempt; for headless runs, where the browser
    # went back to (or that it never did).
    scenario: ScenarioChoice | None = None
    attempt_id: str | None = None
    fault: str | None = None
    landed_on: str | None = None
    never_returned: bool = False
    # The proposal (opt-in): where this cart's notifications also go, and whether its return URL
    # gets the signed outcome appended (the cart's "sandbox" object, else its EC's settings).
    notify_url: str | None = None
    append_outcome: bool = False
    # Modello 1: the cart a station's nodoInviaRPT / nodoInviaCarrelloRPT became (None otherwise).
    wisp: WispSession | None = None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def total_amount(self) -> int:
        return sum(n.amount for n in self.notices)


class Ending(Enum):
    """How a checkout session ended, as far as the choice of return URL is concerned."""

    OUTCOME = "outcome"  # an outcome code was shown on /esito
    CANCELLED = "cancelled"  # Annulla, or Indietro on the cart's first page
    ERROR = "error"  # generic error page
    EXPIRED = "expired"  # session expired


OUTCOME_OK = 0
OUTCOME_PENDING = 17


def return_url(urls: ReturnUrls, ending: Ending, outcome: int | None = None) -> str:
    """The URL the outcome page's button leads to: 0 -> ok, 17 -> waiting (else error),
    cancel -> cancel, anything else -> error. Returned exactly as the EC gave it."""
    if ending is Ending.CANCELLED:
        return urls.cancel
    if ending is Ending.OUTCOME and outcome == OUTCOME_OK:
        return urls.ok
    if ending is Ending.OUTCOME and outcome == OUTCOME_PENDING and urls.waiting:
        return urls.waiting
    return urls.error


def return_outcome(ending: Ending, outcome: int | None) -> ReturnOutcome:
    """The ``outcome`` a signed return URL carries (the proposal): OK for 0, PENDING for 17,
    CANCELLED after Annulla, KO for anything else (another code, an error, an expiry)."""
    if ending is Ending.CANCELLED:
        return ReturnOutcome.CANCELLED
    if ending is Ending.OUTCOME and outcome == OUTCOME_OK:
        return ReturnOutcome.OK
    if ending is Ending.OUTCOME and outcome == OUTCOME_PENDING:
        return ReturnOutcome.PENDING
    return ReturnOutcome.KO


def check_return_url(url: str, field: str) -> str:
    """Return URLs are absolute http(s) URLs with a host: never ``javascript:``, ``data:``,
    relative, malformed (``http://[::1``) or carrying spaces or line breaks (a header injection
    once the browser is redirected)."""
    return check_http_url(url, field)


def new_cart(
    cart_id: str,
    notices: tuple[PaymentNotice, ...],
    return_urls: ReturnUrls,
    now: datetime,
    *,
    api_version: int,
    email: str | None = None,
    id_cart: str | None = None,
    all_ccp: bool | None = None,
    ttl: timedelta = CART_TTL,
    scenario: ScenarioChoice | None = None,
    notify_url: str | None = None,
    append_outcome: bool = False,
) -> Cart:
    if not 1 <= len(notices) <= MAX_NOTICES:
        raise InvalidInput("paymentNotices", f"must have 1 to {MAX_NOTICES} notices")
    if api_version >= 2 and not return_urls.waiting:
        raise InvalidInput("returnUrls.returnWaitingUrl", "is required in v2")
    if sum(n.amount for n in notices) > MAX_CART_CENTS:
        raise InvalidInput("paymentNotices", f"the amounts must total at most {MAX_CART_CENTS} cents")
    keys = [n.key for n in notices]
    if len(set(keys)) != len(keys):
        raise CheckoutError(CheckoutReason.DUPLICATE_NOTICES)
    return Cart(
        id=cart_id,
        notices=notices,
        return_urls=return_urls,
        created_at=now,
        expires_at=now + ttl,
        api_version=api_version,
        email=email,
        id_cart=id_cart,
        all_ccp=all_ccp,
        scenario=scenario,
        notify_url=notify_url,
        append_outcome=append_outcome,
    )
