"""The URL the browser goes back to, signed when the cart opted in (the proposal's appendOutcome):
the faithful return URL, plus the outcome, the amounts and an HMAC with the EC's secret. Without
the opt-in the URL is returned exactly as the EC gave it."""

from __future__ import annotations

from simulator.domain.cart import Cart, Ending, return_outcome
from simulator.domain.payment import AttemptState, PaymentAttempt, shown_outcome
from simulator.domain.return_signature import ReturnParams, append_outcome
from simulator.services.outbound import ec_secret
from simulator.services.unit import Unit

__all__ = ["ending_of", "sign_return_url"]


def ending_of(attempt: PaymentAttempt | None) -> Ending:
    """How a cart's session ended, as far as the return URL is concerned, from its attempt."""
    if attempt is None or attempt.outcome is None:
        return Ending.ERROR
    if attempt.state is AttemptState.CANCELED:
        return Ending.CANCELLED
    return Ending.OUTCOME


def sign_return_url(unit: Unit, cart: Cart, url: str, ending: Ending | None = None) -> str:
    """``url`` with the signed outcome when ``cart`` opted in, else ``url`` itself. ``ending``
    defaults to what the cart's attempt says."""
    if not cart.append_outcome:
        return url
    attempt = unit.checkout.attempt(cart.attempt_id) if cart.attempt_id else None
    ending = ending or ending_of(attempt)
    code = (
        shown_outcome(attempt.outcome).value if attempt is not None and attempt.outcome is not None else None
    )
    params = ReturnParams(
        outcome=return_outcome(ending, code),
        cart_id=cart.id,
        total_amount=cart.total_amount,
        ts=int(unit.clock().timestamp()),  # the real time: the EC compares it with its own clock
        outcome_code=code,
        id_cart=cart.id_cart,
        transaction_id=attempt.id if attempt is not None else None,
        fees=attempt.fee if attempt is not None and attempt.psp_id else None,
    )
    secret = ec_secret(unit, cart.notices[0].fiscal_code)
    return append_outcome(url, params, secret)
