"""Where a cart stands, as the status query tells an EC: one of a few states derived from the cart
and its latest payment attempt, the outcome code, and the return URL the browser lands on.

    OPEN         no payment started yet, the cart still lives
    IN_PROGRESS  an attempt is activated: its payment token lives (900 s from the activation,
                 whatever the cart's age; the node holds the notices until it ends)
    PENDING      outcome 17: taken in charge, the result is not known yet
    PAID         outcome 0
    FAILED       any other outcome, or verify/activate failed (a fault, no outcome code)
    CANCELLED    the payer pressed Annulla (outcome 8)
    EXPIRED      the cart or the session ran out before a payment (outcome 4 if one was started)
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from simulator.domain.cart import Cart, Ending, return_url
from simulator.domain.payment import AttemptState, OutcomeCode, PaymentAttempt, return_url_for

__all__ = ["CartState", "cart_outcome", "cart_return_url", "cart_state"]


class CartState(Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    PENDING = "PENDING"
    PAID = "PAID"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"

    @property
    def final(self) -> bool:
        """Nothing more will happen (a pending payment still will: it is not final)."""
        return self not in (CartState.OPEN, CartState.IN_PROGRESS, CartState.PENDING)


_BY_ATTEMPT = {
    AttemptState.ACTIVATED: CartState.IN_PROGRESS,
    AttemptState.CLOSED: CartState.PENDING,
    AttemptState.NOTIFIED_OK: CartState.PAID,
    AttemptState.CANCELED: CartState.CANCELLED,
    AttemptState.EXPIRED_NOT_AUTHORIZED: CartState.EXPIRED,
}


def cart_state(cart: Cart, attempt: PaymentAttempt | None, now: datetime) -> CartState:
    """The state of ``cart`` whose latest attempt (settled at ``now``) is ``attempt``. A fault is
    only recorded on a cart with no live attempt, and a new attempt clears it: it wins."""
    if cart.fault is not None:
        return CartState.FAILED
    if attempt is None:
        return CartState.EXPIRED if cart.expired(now) else CartState.OPEN
    return _BY_ATTEMPT.get(attempt.state, CartState.FAILED)


def cart_outcome(cart: Cart, attempt: PaymentAttempt | None) -> OutcomeCode | None:
    """The outcome code the payer was shown (None: no outcome yet, or a verify/activate fault)."""
    if cart.fault is not None or attempt is None:
        return None
    return attempt.outcome


def cart_return_url(cart: Cart, attempt: PaymentAttempt | None, now: datetime) -> str | None:
    """Where the browser lands back at the EC: where a headless run's browser went, else the URL
    the outcome leads to (reference §1, nothing appended); None while nothing is decided, or when
    the payer never went back."""
    if cart.never_returned:
        return None
    if cart.landed_on is not None:
        return cart.landed_on
    state = cart_state(cart, attempt, now)
    if state in (CartState.OPEN, CartState.IN_PROGRESS):
        return None
    if state is CartState.EXPIRED or attempt is None or cart.fault is not None:
        return return_url(cart.return_urls, Ending.ERROR)
    return return_url_for(attempt, cart.return_urls)
