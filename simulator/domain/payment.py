"""Payment attempts (upstream: ecommerce transactions): the fault categories of verify/activate
and the attempt's state machine (the outcome codes are ``outcomes``'s, re-exported here). Pure:
``now`` is always passed in.

One attempt pays every notice of a cart at once: ``activate`` gives each notice a payment token
that lives ``TOKEN_LIFETIME``; ``choose`` picks method and PSP (fee); ``authorize`` ends it (or
leaves it pending on 17, later ``resolve``-d); ``cancel`` and ``settle`` (expiry) end it unpaid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from simulator.domain.cart import MAX_NOTICES, Ending, ReturnUrls, return_url
from simulator.domain.errors import AttemptReason, InvalidInput, PaymentAttemptError, PaymentFault
from simulator.domain.fault_codes import FaultCategory, classify_fault
from simulator.domain.outcomes import OutcomeCode, parse_outcome, shown_outcome
from simulator.domain.psps import PaymentMethod, Psp
from simulator.domain.selection import ScenarioChoice

__all__ = [
    "TOKEN_LIFETIME",
    "AttemptNotice",
    "AttemptState",
    "FaultCategory",
    "NoticeInfo",
    "OutcomeCode",
    "PaymentAttempt",
    "PaymentFault",
    "Resolution",
    "activate",
    "authorize",
    "cancel",
    "choose",
    "classify_fault",
    "close_refunded",
    "expire",
    "fault",
    "outcome_for",
    "parse_outcome",
    "resolve",
    "return_url_for",
    "settle",
    "shown_outcome",
]

TOKEN_LIFETIME = timedelta(seconds=900)  # Checkout's token; the node allows up to 30 minutes


# --- verify / activate faults (reference §2) ----------------------------------------------------


def fault(fault_code: str, description: str | None = None) -> PaymentFault:
    """The PaymentFault for a node/EC fault code (see ``classify_fault``)."""
    return PaymentFault(*classify_fault(fault_code, description))


# --- what verify answers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeInfo:
    """A payable notice as verify answers it. ``synthetic``: of an EC whose positions the sandbox
    does not hold, so its data came from the caller or was generated."""

    fiscal_code: str
    nav: str
    iuv: str
    amount: int
    description: str
    company_name: str
    due_date: datetime | None = None
    synthetic: bool = False

    @property
    def rpt_id(self) -> str:
        return self.fiscal_code + self.nav

    @property
    def key(self) -> tuple[str, str]:
        return (self.fiscal_code, self.nav)


# --- the attempt ------------------------------------------------------------------------------------


class AttemptState(Enum):
    """Upstream's transaction states. The sandbox moves through ACTIVATED -> NOTIFIED_OK /
    UNAUTHORIZED / CLOSED (pending) / CANCELED / EXPIRED_NOT_AUTHORIZED, CLOSED -> NOTIFIED_OK /
    REFUNDED; the other states exist so stored data and wire values can name them."""

    ACTIVATED = "ACTIVATED"
    AUTHORIZATION_REQUESTED = "AUTHORIZATION_REQUESTED"
    AUTHORIZATION_COMPLETED = "AUTHORIZATION_COMPLETED"
    CLOSURE_REQUESTED = "CLOSURE_REQUESTED"
    CLOSED = "CLOSED"
    CLOSURE_ERROR = "CLOSURE_ERROR"
    NOTIFIED_OK = "NOTIFIED_OK"
    NOTIFIED_KO = "NOTIFIED_KO"
    NOTIFICATION_REQUESTED = "NOTIFICATION_REQUESTED"
    NOTIFICATION_ERROR = "NOTIFICATION_ERROR"
    EXPIRED = "EXPIRED"
    EXPIRED_NOT_AUTHORIZED = "EXPIRED_NOT_AUTHORIZED"
    UNAUTHORIZED = "UNAUTHORIZED"
    CANCELED = "CANCELED"
    CANCELLATION_REQUESTED = "CANCELLATION_REQUESTED"
    CANCELLATION_EXPIRED = "CANCELLATION_EXPIRED"
    REFUND_REQUESTED = "REFUND_REQUESTED"
    REFUND_ERROR = "REFUND_ERROR"
    REFUNDED = "REFUNDED"


_S = AttemptState
_FIXED_OUTCOME = {
    _S.NOTIFIED_OK: OutcomeCode.SUCCESS,
    _S.NOTIFICATION_REQUESTED: OutcomeCode.SUCCESS,  # paid; only the e-mail to the payer is pending
    _S.NOTIFICATION_ERROR: OutcomeCode.SUCCESS,
    _S.CANCELED: OutcomeCode.CANCELED_BY_USER,
    _S.CANCELLATION_EXPIRED: OutcomeCode.CANCELED_BY_USER,
    _S.EXPIRED_NOT_AUTHORIZED: OutcomeCode.TIMEOUT,
    _S.CLOSED: OutcomeCode.TAKEN_IN_CHARGE,
    _S.NOTIFIED_KO: OutcomeCode.REFUNDED,
    _S.REFUND_REQUESTED: OutcomeCode.REFUNDED,
    _S.REFUND_ERROR: OutcomeCode.REFUNDED,
    _S.REFUNDED: OutcomeCode.REFUNDED,
    _S.EXPIRED: OutcomeCode.GENERIC_ERROR,
}
_IN_PROGRESS = frozenset(
    {
        _S.ACTIVATED,
        _S.AUTHORIZATION_REQUESTED,
        _S.AUTHORIZATION_COMPLETED,
        _S.CLOSURE_REQUESTED,
        _S.CANCELLATION_REQUESTED,
    }
)


def outcome_for(state: AttemptState, authorization: OutcomeCode | None = None) -> OutcomeCode | None:
    """The outcome code of a state (reference §2): NOTIFIED_OK -> 0, CANCELED -> 8,
    EXPIRED_NOT_AUTHORIZED -> 4, CLOSED (no result yet) -> 17, NOTIFIED_KO / REFUNDED -> 18;
    UNAUTHORIZED and CLOSURE_ERROR -> the authorization's own KO code (1 when unknown).
    None while the attempt is still in progress (the outcome page keeps waiting)."""
    if state in _IN_PROGRESS:
        return None
    fixed = _FIXED_OUTCOME.get(state)
    if fixed is not None:
        return fixed
    return authorization or OutcomeCode.GENERIC_ERROR


@dataclass(frozen=True, slots=True)
class AttemptNotice:
    """One activated notice of an attempt, with its payment token (the receipt's receiptId)."""

    fiscal_code: str
    nav: str
    iuv: str
    amount: int
    description: str
    company_name: str
    payment_token: str
    synthetic: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.fiscal_code, self.nav)


@dataclass(frozen=True, slots=True)
class PaymentAttempt:
    id: str
    notices: tuple[AttemptNotice, ...]
    state: AttemptState
    created_at: datetime
    token_expires_at: datetime
    cart_id: str | None = None
    id_cart: str | None = None  # the EC's own cart id, the receipts' paymentNote
    email: str | None = None
    method: PaymentMethod | None = None
    psp_id: str | None = None
    psp_name: str | None = None
    fee: int = 0
    outcome: OutcomeCode | None = None
    ended_at: datetime | None = None
    scenario: ScenarioChoice | None = None  # the scenario that runs it, and what chose it
    # A pending (17) payment whose result is scripted: it turns into ``resolution`` at ``resolves_at``.
    resolves_at: datetime | None = None
    resolution: Resolution | None = None

    @property
    def amount(self) -> int:
        """The notices' total, without the fee."""
        return sum(n.amount for n in self.notices)

    @property
    def total(self) -> int:
        """What the payer pays: the notices' total plus the PSP's fee."""
        return self.amount + self.fee

    @property
    def payment_tokens(self) -> tuple[str, ...]:
        return tuple(n.payment_token for n in self.notices)

    @property
    def pending(self) -> bool:
        """Outcome 17: the PSP took the payment in charge, the result is not known yet."""
        return self.state is AttemptState.CLOSED

    @property
    def final(self) -> bool:
        """Nothing more will happen to it (an outcome is known and it is not pending)."""
        return self.outcome is not None and not self.pending

    def token_alive(self, now: datetime) -> bool:
        return now < self.token_expires_at


class Resolution(Enum):
    """How a pending (17) payment ends."""

    OK = "ok"
    REFUNDED = "refunded"


def activate(
    attempt_id: str,
    notices: Sequence[AttemptNotice],
    now: datetime,
    *,
    cart_id: str | None = None,
    id_cart: str | None = None,
    email: str | None = None,
    token_lifetime: timedelta = TOKEN_LIFETIME,
) -> PaymentAttempt:
    """A new attempt over 1..5 distinct notices, whose tokens live ``token_lifetime`` from ``now``."""
    if not 1 <= len(notices) <= MAX_NOTICES:
        raise InvalidInput("paymentNotices", f"must have 1 to {MAX_NOTICES} notices")
    keys = [n.key for n in notices]
    if len(set(keys)) != len(keys):
        raise InvalidInput("paymentNotices", "the same notice appears twice")
    if token_lifetime <= timedelta(0):
        raise InvalidInput("tokenLifetime", "must be positive")
    return PaymentAttempt(
        id=attempt_id,
        notices=tuple(notices),
        state=AttemptState.ACTIVATED,
        created_at=now,
        token_expires_at=now + token_lifetime,
        cart_id=cart_id,
        id_cart=id_cart,
        email=email,
    )


def choose(attempt: PaymentAttempt, method: PaymentMethod, psp: Psp, now: datetime) -> PaymentAttempt:
    """Pick the payment method and the PSP; the fee is that PSP's for the attempt's total.
    May be repeated (the payer changes their mind) while the token lives."""
    attempt = _require(settle(attempt, now), "choose a payment method", AttemptState.ACTIVATED)
    fee = psp.fee(method, attempt.amount)
    if fee is None:
        raise InvalidInput("pspId", f"{psp.name} does not offer {method.value} for this amount")
    return replace(attempt, method=method, psp_id=psp.id, psp_name=psp.name, fee=fee)


def authorize(
    attempt: PaymentAttempt,
    outcome: OutcomeCode | int,
    now: datetime,
    *,
    resolves_at: datetime | None = None,
    resolution: Resolution | None = None,
) -> PaymentAttempt:
    """The PSP's answer: 0 -> NOTIFIED_OK, 17 -> CLOSED (pending), any KO code -> UNAUTHORIZED.

    Only an ACTIVATED attempt whose token lives and whose method and PSP are chosen can be
    authorized; a second authorization raises ALREADY_PROCESSED (so it never charges twice).
    A pending payment given ``resolves_at`` turns into ``resolution`` (default ok) then, by
    ``settle``; without it, it stays pending until ``resolve``.
    """
    code = parse_outcome(outcome)
    if code is OutcomeCode.REFUNDED:
        raise InvalidInput("outcome", "18 (refunded) is not an authorization outcome: resolve a pending one")
    if resolves_at is not None and code is not OutcomeCode.TAKEN_IN_CHARGE:
        raise InvalidInput("outcome", "only a pending (17) payment resolves later")
    attempt = _authorizable(attempt, now)
    if code is OutcomeCode.SUCCESS:
        return _end(attempt, AttemptState.NOTIFIED_OK, now)
    if code is OutcomeCode.TAKEN_IN_CHARGE:
        return replace(
            attempt,
            state=AttemptState.CLOSED,
            outcome=code,
            resolves_at=resolves_at,
            resolution=(resolution or Resolution.OK) if resolves_at is not None else None,
        )
    return _end(attempt, AttemptState.UNAUTHORIZED, now, code)


def close_refunded(attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    """Authorized, but closing the payment failed and the money went back: REFUNDED (18)."""
    return _end(_authorizable(attempt, now), AttemptState.REFUNDED, now)


def _authorizable(attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    attempt = _require(settle(attempt, now), "be authorized", AttemptState.ACTIVATED)
    if attempt.method is None or attempt.psp_id is None:
        raise PaymentAttemptError(
            AttemptReason.METHOD_NOT_CHOSEN, attempt_id=attempt.id, action="be authorized"
        )
    return attempt


def cancel(attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    """The payer pressed Annulla: CANCELED (8). Only before authorization, while the token lives."""
    attempt = _require(settle(attempt, now), "be cancelled", AttemptState.ACTIVATED)
    return _end(attempt, AttemptState.CANCELED, now)


def expire(attempt: PaymentAttempt, at: datetime) -> PaymentAttempt:
    """The session ended unpaid at ``at``: EXPIRED_NOT_AUTHORIZED (4). Only before authorization."""
    attempt = _require(attempt, "expire", AttemptState.ACTIVATED)
    return _end(attempt, AttemptState.EXPIRED_NOT_AUTHORIZED, at)


def settle(attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    """Apply what time does (idempotent): an unauthorized attempt expires at its token's end; a
    pending one with a scripted result gets it when its time comes (dated then, not now)."""
    if attempt.state is AttemptState.ACTIVATED and not attempt.token_alive(now):
        return expire(attempt, attempt.token_expires_at)
    if (
        attempt.state is AttemptState.CLOSED
        and attempt.resolves_at is not None
        and now >= attempt.resolves_at
    ):
        return resolve(attempt, attempt.resolution or Resolution.OK, attempt.resolves_at)
    return attempt


def resolve(attempt: PaymentAttempt, resolution: Resolution, now: datetime) -> PaymentAttempt:
    """A pending (17) payment's result arrives: NOTIFIED_OK (0) or REFUNDED (18)."""
    attempt = _require(attempt, "be resolved", AttemptState.CLOSED)
    if resolution is Resolution.OK:
        return _end(attempt, AttemptState.NOTIFIED_OK, now)
    return _end(attempt, AttemptState.REFUNDED, now)


def return_url_for(attempt: PaymentAttempt, urls: ReturnUrls) -> str:
    """Where the outcome page's button leads (reference §1): cancel URL after Annulla, else by the
    outcome shown (0 -> ok, 17 -> waiting or error, anything else -> error)."""
    if attempt.state is AttemptState.CANCELED:
        return return_url(urls, Ending.CANCELLED)
    if attempt.outcome is None:
        return return_url(urls, Ending.ERROR)
    return return_url(urls, Ending.OUTCOME, shown_outcome(attempt.outcome).value)


def _require(attempt: PaymentAttempt, action: str, *states: AttemptState) -> PaymentAttempt:
    if attempt.state not in states:
        raise PaymentAttemptError(
            AttemptReason.ALREADY_PROCESSED, attempt_id=attempt.id, state=attempt.state.value, action=action
        )
    return attempt


def _end(
    attempt: PaymentAttempt, state: AttemptState, at: datetime, authorization: OutcomeCode | None = None
) -> PaymentAttempt:
    return replace(attempt, state=state, outcome=outcome_for(state, authorization), ended_at=at)
