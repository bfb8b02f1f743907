"""Payment attempts as the checkout pages and headless runs drive them: verify a notice, activate
every notice of a cart at once (locking them), choose method and PSP, authorize, cancel.

Expiry follows the tenant clock lazily: an attempt is settled whenever it is read, as GPD's
positions are. A second ``authorize`` of the same attempt raises ``PaymentAttemptError``
(ALREADY_PROCESSED) and changes nothing, so a payment is never charged twice.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.domain import debt_position as dp
from simulator.domain import payment as pay
from simulator.domain import psps
from simulator.domain.cart import Cart, PaymentNotice
from simulator.domain.codes import parse_fiscal_code, parse_nav
from simulator.domain.errors import (
    AttemptReason,
    CheckoutError,
    CheckoutReason,
    InvalidInput,
    PaymentAttemptError,
    PaymentFault,
)
from simulator.domain.payment import (
    AttemptNotice,
    AttemptState,
    FaultCategory,
    NoticeInfo,
    OutcomeCode,
    PaymentAttempt,
    Resolution,
)
from simulator.domain.receipt import PaymentFacts, build_receipt
from simulator.services import organizations, receipts
from simulator.services.context import Sandbox
from simulator.storage.store import Tx

ONGOING = "PPT_PAGAMENTO_IN_CORSO"
DUPLICATED = "PAA_PAGAMENTO_DUPLICATO"

# What a synthetic notice (an EC the sandbox holds no positions for) pays and how its receipt reads.
SYNTHETIC_DUE_IN = timedelta(days=30)
SYNTHETIC_IBAN = "IT60X0542811101000000123456"
SYNTHETIC_CATEGORY = "9/0101108TS/"
ANONYMOUS = "ANONIMO"  # pagoPA's identifier for a debtor nobody named
_SYNTHETIC_SUBJECTS = (
    "Tassa sui rifiuti (TARI)",
    "Canone unico patrimoniale",
    "Servizio di mensa scolastica",
    "Sanzione al codice della strada",
    "Diritti di segreteria",
    "Trasporto scolastico",
)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class NoticeRequest:
    """A notice to verify or pay; amount/description/company name only matter for synthetic ones."""

    fiscal_code: str
    nav: str
    amount: int | None = None
    description: str | None = None
    company_name: str | None = None


NoticeLike = PaymentNotice | NoticeInfo | NoticeRequest


@dataclass(frozen=True, slots=True)
class PaymentService:
    sandbox: Sandbox
    token_lifetime: timedelta = pay.TOKEN_LIFETIME
    new_id: Callable[[], str] = _new_id

    # --- verify -----------------------------------------------------------------------------
    def verify(
        self,
        tenant: str,
        fiscal_code: str,
        nav: str,
        *,
        amount: int | None = None,
        description: str | None = None,
        company_name: str | None = None,
    ) -> NoticeInfo:
        """The node's verify: a payable notice's data, or ``PaymentFault``.

        A managed EC (one with GPD positions in the tenant) is answered from its position; any
        other EC's notice is synthetic, payable with the given amount/description or with data
        generated from the NAV. Paid through the sandbox -> PAYMENT_DUPLICATED; held by a live
        token -> PAYMENT_ONGOING.
        """
        request = NoticeRequest(fiscal_code, nav, amount, description, company_name)
        with self.sandbox.store.transaction() as tx:
            return self._verify(tx, tenant, request, self.sandbox.tenant_now(tx, tenant))

    # --- the attempt --------------------------------------------------------------------------
    def start_attempt(
        self, tenant: str, notices: Cart | Sequence[NoticeLike], email: str | None = None
    ) -> PaymentAttempt:
        """Activate every notice (all or none) and lock each for the token's life.

        Any notice that is not payable raises its ``PaymentFault`` and nothing is activated;
        a notice another live attempt holds raises PAYMENT_ONGOING.
        """
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            cart_id = id_cart = None
            if isinstance(notices, Cart):
                if notices.expired(now):
                    raise CheckoutError(CheckoutReason.CART_NOT_FOUND, cart_id=notices.id)
                cart_id, id_cart, email = notices.id, notices.id_cart, email or notices.email
                requests = [_request(n) for n in notices.notices]
            else:
                requests = [_request(n) for n in notices]
            verified = [self._verify(tx, tenant, r, now) for r in requests]
            attempt = pay.activate(
                self.new_id(),
                [_attempt_notice(info, self.new_id()) for info in verified],
                now,
                cart_id=cart_id,
                id_cart=id_cart,
                email=(email or "").strip() or None,
                token_lifetime=self.token_lifetime,
            )
            for n in attempt.notices:
                if not tx.lock_notice(
                    tenant, n.fiscal_code, n.nav, attempt.id, attempt.token_expires_at, now
                ):
                    raise PaymentFault(FaultCategory.PAYMENT_ONGOING, ONGOING)  # lost a race
            tx.insert_attempt(tenant, attempt)
            return attempt

    def get_attempt(self, tenant: str, attempt_id: str) -> PaymentAttempt:
        """The attempt as of the tenant's now (an unauthorized one past its token has expired)."""
        with self.sandbox.store.transaction() as tx:
            return self._load(tx, tenant, attempt_id, self.sandbox.tenant_now(tx, tenant))

    def choose_method(
        self, tenant: str, attempt_id: str, method: psps.PaymentMethod | str, psp_id: str | None = None
    ) -> PaymentAttempt:
        """Pick the method, and the PSP (the cheapest for the total when ``psp_id`` is None)."""
        chosen = psps.parse_method(method)
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self._load(tx, tenant, attempt_id, now, for_update=True)
            return self._choose(tx, tenant, attempt, chosen, psp_id, now)

    def choose_psp(self, tenant: str, attempt_id: str, psp_id: str) -> PaymentAttempt:
        """Change the PSP for the method already chosen (``/lista-psp``)."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self._load(tx, tenant, attempt_id, now, for_update=True)
            if attempt.method is None:
                raise PaymentAttemptError(
                    AttemptReason.METHOD_NOT_CHOSEN, attempt_id=attempt.id, action="choose a PSP"
                )
            return self._choose(tx, tenant, attempt, attempt.method, psp_id, now)

    def authorize(self, tenant: str, attempt_id: str, outcome: OutcomeCode | int) -> PaymentAttempt:
        """The PSP's answer. On 0, one receipt per notice and every managed option PO_PAID, in
        the same transaction; on 17 the notices stay locked until ``resolve_pending``; on a KO
        code they are free again. A second call raises ALREADY_PROCESSED and charges nothing."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self._load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, pay.authorize(attempt, outcome, now), now)

    def resolve_pending(self, tenant: str, attempt_id: str, resolution: Resolution | str) -> PaymentAttempt:
        """A pending (17) payment ends: ``ok`` pays as ``authorize`` with 0 does, ``refunded`` frees."""
        try:
            how = Resolution(resolution)
        except ValueError:
            raise InvalidInput("resolution", "is ok or refunded") from None
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self._load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, pay.resolve(attempt, how, now), now)

    def cancel(self, tenant: str, attempt_id: str) -> PaymentAttempt:
        """The payer pressed Annulla: CANCELED (8), the notices free again."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self._load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, pay.cancel(attempt, now), now)

    def expire(self, tenant: str, attempt_id: str) -> PaymentAttempt:
        """End the session now, unpaid, as the token's end would (the payer abandoned it):
        EXPIRED_NOT_AUTHORIZED (4). Reading the attempt does the same by itself at the token's end."""
        with self.sandbox.store.transaction() as tx:
            now = self.sandbox.tenant_now(tx, tenant)
            attempt = self._load(tx, tenant, attempt_id, now, for_update=True)
            return self._save(tx, tenant, pay.expire(attempt, now), now)

    # --- inside a transaction --------------------------------------------------------------------
    def _verify(self, tx: Tx, tenant: str, request: NoticeRequest, now: datetime) -> NoticeInfo:
        fiscal_code = parse_fiscal_code(request.fiscal_code)
        nav = parse_nav(request.nav).value
        if tx.organization_has_positions(tenant, fiscal_code):
            info = _managed_notice(tx, tenant, fiscal_code, nav, now)
        else:
            info = self._synthetic_notice(tx, tenant, request, fiscal_code, nav, now)
        if tx.receipt(tenant, fiscal_code, info.iuv) is not None:
            raise PaymentFault(FaultCategory.PAYMENT_DUPLICATED, DUPLICATED)
        if tx.notice_lock(tenant, fiscal_code, nav, now) is not None:
            raise PaymentFault(FaultCategory.PAYMENT_ONGOING, ONGOING)
        return info

    def _synthetic_notice(
        self, tx: Tx, tenant: str, request: NoticeRequest, fiscal_code: str, nav: str, now: datetime
    ) -> NoticeInfo:
        if request.amount is not None and request.amount < 1:
            raise InvalidInput("amount", "is at least 1 euro cent")
        seed = zlib.crc32(nav.encode())
        company = (
            request.company_name
            or organizations.ensure(tx, tenant, fiscal_code, self.sandbox.settings.faker_seed).company_name
        )
        return NoticeInfo(
            fiscal_code=fiscal_code,
            nav=nav,
            iuv=parse_nav(nav).iuv,
            amount=request.amount or 1_000 + seed % 99_001,  # 10.00 to 1,000.00 euros
            description=request.description or _SYNTHETIC_SUBJECTS[seed % len(_SYNTHETIC_SUBJECTS)],
            company_name=company,
            due_date=now + SYNTHETIC_DUE_IN,
            synthetic=True,
        )

    def _load(
        self, tx: Tx, tenant: str, attempt_id: str, now: datetime, *, for_update: bool = False
    ) -> PaymentAttempt:
        attempt = tx.attempt(tenant, attempt_id, for_update=for_update)
        if attempt is None:
            raise PaymentAttemptError(AttemptReason.NOT_FOUND, attempt_id=attempt_id)
        settled = pay.settle(attempt, now)
        if settled != attempt:
            if not for_update:  # re-read locked: a concurrent authorize may have just committed
                return self._load(tx, tenant, attempt_id, now, for_update=True)
            tx.release_locks(tenant, attempt.id)
            tx.save_attempt(tenant, settled)
        return settled

    def _choose(
        self,
        tx: Tx,
        tenant: str,
        attempt: PaymentAttempt,
        method: psps.PaymentMethod,
        psp_id: str | None,
        now: datetime,
    ) -> PaymentAttempt:
        if psp_id is None:
            offers = psps.psps_for(method, attempt.amount)
            if not offers:
                raise InvalidInput("paymentMethod", f"no PSP offers {method.value} for this amount")
            psp = offers[0].psp
        else:
            found = psps.psp_by_id(psp_id)
            if found is None:
                raise InvalidInput("pspId", f"unknown PSP {psp_id!r}")
            psp = found
        chosen = pay.choose(attempt, method, psp, now)
        tx.save_attempt(tenant, chosen)
        return chosen

    def _save(self, tx: Tx, tenant: str, attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
        """Store a transition's result with its effects on locks, options and receipts."""
        if attempt.state is AttemptState.NOTIFIED_OK:
            _record_payment(tx, tenant, attempt, now)
        if attempt.state is AttemptState.CLOSED:
            tx.hold_locks(tenant, attempt.id)
        elif attempt.state is not AttemptState.ACTIVATED:
            tx.release_locks(tenant, attempt.id)
        tx.save_attempt(tenant, attempt)
        return attempt


def _request(notice: NoticeLike) -> NoticeRequest:
    if isinstance(notice, NoticeRequest):
        return notice
    if isinstance(notice, PaymentNotice):
        return NoticeRequest(
            notice.fiscal_code, notice.notice_number, notice.amount, notice.description, notice.company_name
        )
    return NoticeRequest(
        notice.fiscal_code, notice.nav, notice.amount, notice.description, notice.company_name
    )


def _attempt_notice(info: NoticeInfo, payment_token: str) -> AttemptNotice:
    return AttemptNotice(
        fiscal_code=info.fiscal_code,
        nav=info.nav,
        iuv=info.iuv,
        amount=info.amount,
        description=info.description,
        company_name=info.company_name,
        payment_token=payment_token,
        synthetic=info.synthetic,
    )


def _managed_notice(tx: Tx, tenant: str, fiscal_code: str, nav: str, now: datetime) -> NoticeInfo:
    position = tx.position_by_nav(tenant, fiscal_code, nav)
    view = dp.payer_view(position, nav, now)
    option = position.option_by_nav(nav) if position is not None else None
    if view is not dp.PayerView.PAYABLE or position is None or option is None:
        raise pay.fault(view.value or "PAA_PAGAMENTO_SCONOSCIUTO")
    return NoticeInfo(
        fiscal_code=fiscal_code,
        nav=nav,
        iuv=option.iuv,
        amount=option.amount,
        description=option.description,
        company_name=position.company_name,
        due_date=option.due_date,
    )


def _record_payment(tx: Tx, tenant: str, attempt: PaymentAttempt, now: datetime) -> None:
    """One receipt per notice; a managed notice's option turns PO_PAID. The fee was paid once,
    so only the first notice's receipt carries it."""
    psp = psps.psp_by_id(attempt.psp_id or "")
    for i, notice in enumerate(attempt.notices):
        facts = PaymentFacts(
            receipt_id=notice.payment_token,
            paid_at=now,
            id_psp=attempt.psp_id or "",
            psp_company_name=attempt.psp_name or "",
            id_channel=psp.channel_id if psp else f"{attempt.psp_id}_01",
            payment_method=attempt.method.value if attempt.method else None,
            fee=attempt.fee if i == 0 else 0,
            payment_note=attempt.id_cart,
        )
        if notice.synthetic:
            paid = dp.pay_option(_synthetic_position(notice, now), notice.nav, facts.gpd_payment())
            receipts.record_receipt(tx, tenant, build_receipt(paid, notice.nav, facts))
        else:
            receipts.pay_notice(tx, tenant, notice.fiscal_code, notice.nav, facts)


def _synthetic_position(notice: AttemptNotice, now: datetime) -> dp.DebtPosition:
    """The position a synthetic notice stands for, only to build its receipt (never stored: storing
    it would turn its EC into a managed one)."""
    transfer = dp.Transfer(
        id_transfer="1",
        amount=notice.amount,
        remittance_information=notice.description,
        category=SYNTHETIC_CATEGORY,
        iban=SYNTHETIC_IBAN,
    )
    option = dp.PaymentOption(
        iuv=notice.iuv,
        nav=notice.nav,
        amount=notice.amount,
        description=notice.description,
        is_partial_payment=False,
        due_date=now + SYNTHETIC_DUE_IN,
        transfers=(transfer,),
    )
    return dp.DebtPosition(
        organization_fiscal_code=notice.fiscal_code,
        iupd=f"SYNTHETIC-{notice.iuv}",
        debtor=dp.Debtor(type="F", fiscal_code=ANONYMOUS, full_name=ANONYMOUS),
        company_name=notice.company_name,
        options=(option,),
        status=dp.PositionStatus.VALID,
        validity_date=now,
    )
