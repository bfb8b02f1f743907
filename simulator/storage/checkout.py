"""The checkout aggregate: carts, their payment attempts, and the notice locks an attempt holds
for its token's life (one row per notice: the unique constraint is what stops two workers from
activating the same notice at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from simulator.domain.cart import Cart
from simulator.domain.payment import AttemptState, PaymentAttempt
from simulator.storage import tables as t
from simulator.storage.documents import from_document, to_document

_c, _a, _n = t.carts.c, t.payment_attempts.c, t.notice_locks.c
_CART = select(_c.document).where(_c.tenant == bindparam("tenant"), _c.id == bindparam("id"))
_CART_LOCKED = _CART.with_for_update()
_CART_TENANT = select(_c.tenant).where(_c.id == bindparam("id")).limit(1)
_INSERT_CART = insert(t.carts)
_SAVE_CART = (
    update(t.carts)
    .where(_c.tenant == bindparam("k_tenant"), _c.id == bindparam("k_id"))
    .values(expires_at=bindparam("expires_at"), document=bindparam("document"))
)
_ATTEMPT = select(_a.document).where(_a.tenant == bindparam("tenant"), _a.id == bindparam("id"))
_ATTEMPT_LOCKED = _ATTEMPT.with_for_update()
_CLOSED, _ACTIVATED = AttemptState.CLOSED.value, AttemptState.ACTIVATED.value
# Attempts that time has moved by ``now``: a pending result that has come, a token that has ended.
_DUE = or_(
    (_a.state == _CLOSED) & (_a.resolves_at <= bindparam("now")),
    (_a.state == _ACTIVATED) & (_a.token_expires_at <= bindparam("now")),
)
_DUE_IDS = select(_a.id).where(_a.tenant == bindparam("tenant"), _DUE).order_by(_a.created_at, _a.id)
# Asked when a unit opens, as two questions each answered from its own index.
ANY_RESULT_DUE = exists().where(
    _a.tenant == bindparam("tenant"), _a.state == _CLOSED, _a.resolves_at <= bindparam("now")
)
ANY_TOKEN_ENDED = exists().where(
    _a.tenant == bindparam("tenant"), _a.state == _ACTIVATED, _a.token_expires_at <= bindparam("now")
)
_LIVE_LOCK = select(_n.attempt_id).where(
    _n.tenant == bindparam("tenant"),
    _n.fiscal_code == bindparam("fc"),
    _n.nav == bindparam("nav"),
    or_(_n.expires_at.is_(None), _n.expires_at > bindparam("now")),
)


class CheckoutRepository:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    # --- carts ---------------------------------------------------------------------------------
    def insert_cart(self, cart: Cart) -> None:
        self.conn.execute(
            _INSERT_CART,
            {
                "tenant": self.tenant,
                "id": cart.id,
                "created_at": cart.created_at,
                "expires_at": cart.expires_at,
                "document": to_document(cart),
            },
        )

    def cart(self, cart_id: str, *, for_update: bool = False) -> Cart | None:
        """One cart; ``for_update`` locks its row until the transaction ends (PostgreSQL; SQLite
        write transactions are already exclusive): two payments of one cart take turns."""
        query = _CART_LOCKED if for_update else _CART
        doc = self.conn.execute(query, {"tenant": self.tenant, "id": cart_id}).scalar()
        return None if doc is None else from_document(Cart, doc)

    def save_cart(self, cart: Cart) -> None:
        self.conn.execute(
            _SAVE_CART,
            {
                "k_tenant": self.tenant,
                "k_id": cart.id,
                "expires_at": cart.expires_at,
                "document": to_document(cart),
            },
        )

    # --- payment attempts ----------------------------------------------------------------------
    def insert_attempt(self, attempt: PaymentAttempt) -> None:
        self.conn.execute(insert(t.payment_attempts).values(tenant=self.tenant, **_attempt_columns(attempt)))

    def save_attempt(self, attempt: PaymentAttempt) -> None:
        self.conn.execute(
            update(t.payment_attempts)
            .where(_a.tenant == self.tenant, _a.id == attempt.id)
            .values(**_attempt_columns(attempt))
        )

    def attempt(self, attempt_id: str, *, for_update: bool = False) -> PaymentAttempt | None:
        """One attempt; ``for_update`` locks its row until the transaction ends (PostgreSQL; SQLite
        write transactions are already exclusive)."""
        query = _ATTEMPT_LOCKED if for_update else _ATTEMPT
        doc = self.conn.execute(query, {"tenant": self.tenant, "id": attempt_id}).scalar()
        return None if doc is None else from_document(PaymentAttempt, doc)

    def due_attempt_ids(self, now: datetime) -> list[str]:
        """Attempts whose scripted pending result has come, or whose token has ended, by ``now``."""
        return [str(v) for v in self.conn.execute(_DUE_IDS, {"tenant": self.tenant, "now": now}).scalars()]

    # --- notice locks --------------------------------------------------------------------------
    def lock_notice(
        self, fiscal_code: str, nav: str, attempt_id: str, expires_at: datetime, now: datetime
    ) -> bool:
        """Take a notice for ``attempt_id`` until ``expires_at``. False when a live lock holds it; a
        lock that has expired by ``now`` is taken over in place. The unique constraint decides races."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.notice_locks).values(
                        tenant=self.tenant,
                        fiscal_code=fiscal_code,
                        nav=nav,
                        attempt_id=attempt_id,
                        expires_at=expires_at,
                    )
                )
            return True
        except IntegrityError:
            pass
        # Re-evaluated against the committed row under PostgreSQL's READ COMMITTED: of two workers
        # taking over the same expired lock, the second finds it live and updates nothing.
        taken = self.conn.execute(
            update(t.notice_locks)
            .where(
                _n.tenant == self.tenant,
                _n.fiscal_code == fiscal_code,
                _n.nav == nav,
                _n.expires_at.is_not(None),
                _n.expires_at <= now,
            )
            .values(attempt_id=attempt_id, expires_at=expires_at)
        )
        return bool(taken.rowcount == 1)

    def lock_holder(self, fiscal_code: str, nav: str, now: datetime) -> str | None:
        """The attempt holding a live lock on the notice, if any."""
        key = {"tenant": self.tenant, "fc": fiscal_code, "nav": nav, "now": now}
        return self.conn.execute(_LIVE_LOCK, key).scalar()

    def hold_locks(self, attempt_id: str) -> None:
        """Keep an attempt's locks until released, whatever the clock says (a pending payment)."""
        self.conn.execute(
            update(t.notice_locks)
            .where(_n.tenant == self.tenant, _n.attempt_id == attempt_id)
            .values(expires_at=None)
        )

    def release_locks(self, attempt_id: str) -> None:
        self.conn.execute(delete(t.notice_locks).where(_n.tenant == self.tenant, _n.attempt_id == attempt_id))


def cart_tenant(conn: Connection, cart_id: str) -> str | None:
    """The tenant a cart belongs to, whoever asks: cart ids are random UUIDs, unique across tenants."""
    value = conn.execute(_CART_TENANT, {"id": cart_id}).scalar()
    return None if value is None else str(value)


def _attempt_columns(attempt: PaymentAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "cart_id": attempt.cart_id,
        "state": attempt.state.value,
        "created_at": attempt.created_at,
        "token_expires_at": attempt.token_expires_at,
        "resolves_at": attempt.resolves_at if attempt.state is AttemptState.CLOSED else None,
        "document": to_document(attempt),
    }


_RECENT_CARTS = (
    select(_c.document)
    .where(_c.tenant == bindparam("tenant"))
    .order_by(_c.created_at.desc())
    .limit(bindparam("n"))
)
_TENANTS_WITH_CARTS = select(_c.tenant).distinct().order_by(_c.tenant).limit(200)


def recent_carts(repo: CheckoutRepository, limit: int) -> list[Cart]:
    """The tenant's newest carts first (what the dashboard lists)."""
    docs = repo.conn.execute(_RECENT_CARTS, {"tenant": repo.tenant, "n": limit}).scalars()
    return [from_document(Cart, doc) for doc in docs]


def tenants_with_carts(conn: Connection) -> list[str]:
    """Every tenant that has made a cart (the dashboard's tenant switcher offers them)."""
    return [str(name) for name in conn.execute(_TENANTS_WITH_CARTS).scalars()]
