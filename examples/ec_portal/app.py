"""Comune di Esempio (fiscal code 15376371009): the online service of a municipality that lets a
citizen pay what they owe through pagoPA, written as an integration guide for the sandbox.

The steps, in the order a payment takes them (README.md tells the same story):

1. ``POST /paga/<due>``: create the debt position in GPD (published), then open a Checkout cart
   with the sandbox's opt-in (``appendOutcome`` and ``notifyUrl``) and send the browser there.
2. ``GET /pagopa/esito/<kind>``: the citizen is back. Verify the signed return parameters, then ask
   the sandbox's status query: the browser alone is never trusted.
3. ``POST /pagopa/notify``: the sandbox's signed notification (Standard Webhooks). Verify the raw
   body, de-duplicate on ``webhook-id`` (delivery is at least once), record the outcome.
4. ``GET /pagamenti/<id>``: what the citizen reads.
5. ``POST /riconcilia``: a payment not known as paid may have been paid elsewhere (at a counter)
   or lost its receipt: ask GPD's receipts API.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

from flask import Flask, abort, redirect, render_template, request
from standardwebhooks import Webhook, WebhookVerificationError
from werkzeug.wrappers import Response as WerkzeugResponse

from simulator.testing.signatures import InvalidReturnSignature, verify_return_url

FISCAL_CODE = "15376371009"
COMPANY = "Comune di Esempio"
IBAN = "IT60X0542811101000000123456"
SUBSCRIPTION_KEY = "ec-portal-demo-key"  # the sandbox accepts any key
RESULT_KINDS = ("ok", "annullato", "errore", "attesa")


# --- what the portal needs from an HTTP client (``requests.Session`` fits) ---------------------------


class HttpResponse(Protocol):
    status_code: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any: ...


class HttpSession(Protocol):
    def get(self, url: str, **kwargs: Any) -> HttpResponse: ...

    def post(self, url: str, **kwargs: Any) -> HttpResponse: ...


class SandboxError(RuntimeError):
    """The sandbox answered something the portal did not expect."""


# --- the citizen's dues (fixed: a real portal reads them from its own tax office) --------------------


@dataclass(frozen=True, slots=True)
class Due:
    id: str
    description: str
    amount: int  # euro cents
    category: str = "9/0101108TS/"

    @property
    def euros(self) -> str:
        return f"{self.amount // 100},{self.amount % 100:02d} €"


CITIZEN = {"fiscalCode": "RSSMRA80A01H501U", "fullName": "Mario Rossi", "email": "mario.rossi@example.com"}
DUES = (
    Due("TARI-2026", "TARI 2026 - rata unica", 12050),
    Due("MENSA-2026-03", "Mensa scolastica - marzo 2026", 4800),
    Due("PASSO-CARRABILE-2026", "Canone passo carrabile 2026", 3500),
)


# --- the portal's own records: payments and the notifications already processed ---------------------


class Store:
    """A small SQLite database (in memory unless a path is given), one connection behind a lock."""

    def __init__(self, path: str = ":memory:") -> None:
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS payments (
                id TEXT PRIMARY KEY, due_id TEXT NOT NULL, iupd TEXT NOT NULL, nav TEXT NOT NULL,
                cart_id TEXT, status TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS notifications (
                webhook_id TEXT PRIMARY KEY, type TEXT NOT NULL, received_at TEXT NOT NULL);
            """
        )

    def add_payment(self, payment_id: str, due_id: str, iupd: str, nav: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO payments VALUES (?, ?, ?, ?, NULL, 'CREATED', ?)",
                (payment_id, due_id, iupd, nav, _now()),
            )

    def set_cart(self, payment_id: str, cart_id: str) -> None:
        with self.lock:
            self.db.execute("UPDATE payments SET cart_id = ? WHERE id = ?", (cart_id, payment_id))

    def set_status(self, payment_id: str, status: str) -> None:
        """Record an outcome; PAID is final (a late or replayed KO never undoes it)."""
        with self.lock:
            self.db.execute(
                "UPDATE payments SET status = ?, updated_at = ? WHERE id = ? AND status != 'PAID'",
                (status, _now(), payment_id),
            )

    def payment(self, payment_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()
        return dict(row) if row else None

    def payment_by(self, column: str, value: str) -> dict[str, Any] | None:
        assert column in ("cart_id", "nav")
        with self.lock:
            row = self.db.execute(f"SELECT * FROM payments WHERE {column} = ?", (value,)).fetchone()
        return dict(row) if row else None

    def unpaid(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM payments WHERE status != 'PAID'").fetchall()
        return [dict(row) for row in rows]

    def paid_dues(self) -> set[str]:
        with self.lock:
            rows = self.db.execute("SELECT due_id FROM payments WHERE status = 'PAID'").fetchall()
        return {row["due_id"] for row in rows}

    def first_time(self, webhook_id: str, event_type: str) -> bool:
        """True for a ``webhook-id`` never seen before (and remember it), False for a repeat."""
        with self.lock:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO notifications VALUES (?, ?, ?)", (webhook_id, event_type, _now())
            )
            return cursor.rowcount == 1

    def notifications(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM notifications ORDER BY received_at").fetchall()
        return [dict(row) for row in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat()


# --- talking to the sandbox --------------------------------------------------------------------------


class Sandbox:
    def __init__(
        self, base_url: str, http: HttpSession, secret: str | None = None, tenant: str | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self._secret = secret
        self.headers = {"Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY}
        if tenant:  # a sandbox tenant of its own, e.g. the one a certification run gives
            self.headers["X-Sandbox-Tenant"] = tenant

    def secret(self) -> str:
        """The EC's ``whsec_`` secret: it signs both the return URL and the notifications."""
        if self._secret is None:
            answer = self.http.get(
                f"{self.base_url}/_sandbox/v1/organizations/{FISCAL_CODE}", headers=self.headers, timeout=10
            )
            self._expect(answer, 200, "reading the EC's secret")
            self._secret = str(answer.json()["secret"])
        return self._secret

    def create_position(self, due: Due, iupd: str, iuv: str) -> str:
        """Step 1a: the debt position, published at once; returns the notice number (NAV)."""
        body = {
            "iupd": iupd,
            "type": "F",
            **CITIZEN,
            "switchToExpired": False,
            "companyName": COMPANY,
            "officeName": "Ufficio Tributi",
            "paymentOption": [
                {
                    "iuv": iuv,
                    "amount": due.amount,
                    "description": due.description,
                    "isPartialPayment": False,
                    "dueDate": (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "transfer": [
                        {
                            "idTransfer": "1",
                            "amount": due.amount,
                            "remittanceInformation": due.description,
                            "category": due.category,
                            "iban": IBAN,
                        }
                    ],
                }
            ],
        }
        url = (
            f"{self.base_url}/gpd/debt-positions-service/v1/organizations/{FISCAL_CODE}"
            "/debtpositions?toPublish=true"
        )
        answer = self.http.post(url, json=body, headers=self.headers, timeout=10)
        self._expect(answer, 201, "creating the debt position")
        return str(answer.json()["paymentOption"][0]["nav"])

    def create_cart(self, due: Due, nav: str, payment_id: str, public_url: str) -> str:
        """Step 1b: the Checkout cart, with the sandbox's opt-in; returns where to send the browser."""
        back = f"{public_url}/pagopa/esito"
        body = {
            "paymentNotices": [
                {
                    "noticeNumber": nav,
                    "fiscalCode": FISCAL_CODE,
                    "amount": due.amount,
                    "companyName": COMPANY,
                    "description": due.description,
                }
            ],
            "idCart": payment_id,
            "emailNotice": CITIZEN["email"],
            "returnUrls": {
                "returnOkUrl": f"{back}/ok",
                "returnCancelUrl": f"{back}/annullato",
                "returnErrorUrl": f"{back}/errore",
                "returnWaitingUrl": f"{back}/attesa",
            },
            # Production ignores this object; the sandbox signs the return URL and notifies us.
            "sandbox": {"appendOutcome": True, "notifyUrl": f"{public_url}/pagopa/notify"},
        }
        answer = self.http.post(
            f"{self.base_url}/checkout/ec/v2/carts",
            json=body,
            headers=self.headers,
            allow_redirects=False,
            timeout=10,
        )
        self._expect(answer, 302, "creating the cart")
        return str(answer.headers["Location"])

    def cart_status(self, cart_id: str) -> dict[str, Any]:
        """The status query: what the sandbox knows of the cart, whatever the browser said."""
        answer = self.http.get(
            f"{self.base_url}/_sandbox/v1/carts/{quote(cart_id, safe='')}", headers=self.headers, timeout=10
        )
        self._expect(answer, 200, "asking the cart's status")
        result: dict[str, Any] = answer.json()
        return result

    def receipt_exists(self, nav: str) -> bool:
        """GPD's receipts API: a receipt for the notice (its IUV: the NAV without its aux digit)
        means it was paid, through Checkout or any other channel."""
        answer = self.http.get(
            f"{self.base_url}/gpd/payments-receipts-service/v1/payments/{FISCAL_CODE}/receipts/{nav[1:]}",
            headers=self.headers,
            timeout=10,
        )
        if answer.status_code == 404:
            return False
        self._expect(answer, 200, "asking for the receipt")
        return True

    @staticmethod
    def _expect(answer: HttpResponse, status: int, doing: str) -> None:
        if answer.status_code != status:
            raise SandboxError(f"{doing}: HTTP {answer.status_code} {answer.text[:300]}")


# --- the application ---------------------------------------------------------------------------------

# The cart's state (status query) -> the portal's record of the payment.
STATES = {"PAID": "PAID", "PENDING": "PENDING", "CANCELLED": "CANCELLED", "FAILED": "FAILED"}
STATES.update({"EXPIRED": "FAILED", "OPEN": "PENDING", "IN_PROGRESS": "PENDING"})


def create_app(
    sandbox_url: str,
    public_url: str,
    secret: str | None = None,
    http: HttpSession | None = None,
    database: str = ":memory:",
    tenant: str | None = None,
) -> Flask:
    """The portal. ``public_url`` is where the browser and the sandbox reach it; ``http`` defaults
    to a ``requests.Session``; ``secret`` to the EC's secret read from the sandbox; ``tenant`` to
    the sandbox's default tenant."""
    if http is None:
        import requests

        http = requests.Session()
    app = Flask(__name__)
    public_url = public_url.rstrip("/")
    sandbox = Sandbox(sandbox_url, http, secret, tenant)
    store = Store(database)
    app.extensions["ec_portal"] = store
    dues = {due.id: due for due in DUES}

    @app.get("/")
    def home() -> str:
        return render_template("home.html", dues=DUES, paid=store.paid_dues(), citizen=CITIZEN)

    @app.post("/paga/<due_id>")
    def pay(due_id: str) -> WerkzeugResponse:
        due = dues.get(due_id) or abort(404)
        payment_id = f"{due.id}-{secrets.token_hex(4)}"
        iuv = f"01{secrets.randbelow(10**15):015d}"
        nav = sandbox.create_position(due, iupd=payment_id, iuv=iuv)
        store.add_payment(payment_id, due.id, payment_id, nav)
        location = sandbox.create_cart(due, nav, payment_id, public_url)
        store.set_cart(payment_id, location.split("/carts/")[1].split("/")[0])
        return redirect(location, code=303)

    @app.get("/pagopa/esito/<kind>")
    def back_from_checkout(kind: str) -> WerkzeugResponse | tuple[str, int]:
        if kind not in RESULT_KINDS:
            abort(404)
        try:
            values = verify_return_url(request.url, sandbox.secret(), tolerance=300)
        except InvalidReturnSignature as exc:
            app.logger.warning("return URL refused: %s", exc)
            return render_template("error.html", message="Link di ritorno non valido."), 400
        payment = store.payment_by("cart_id", values["cartId"])
        if payment is None or payment["id"] != values["idCart"]:
            return render_template("error.html", message="Pagamento sconosciuto."), 400
        # Signed, but still a browser's word: the status query decides what is recorded.
        state = sandbox.cart_status(values["cartId"]).get("state", "")
        store.set_status(payment["id"], STATES.get(state, "FAILED"))
        return redirect(f"/pagamenti/{quote(payment['id'])}", code=303)

    @app.post("/pagopa/notify")
    def notify() -> tuple[str, int]:
        raw = request.get_data()  # verify the raw bytes, before any JSON parsing
        try:
            event = Webhook(sandbox.secret()).verify(raw, dict(request.headers))
        except WebhookVerificationError:
            return "invalid signature", 401
        if not store.first_time(request.headers["webhook-id"], str(event.get("type", ""))):
            return "", 204  # already processed: at-least-once delivery sends repeats
        apply_event(store, event)
        return "", 204

    @app.post("/riconcilia")
    def reconcile() -> tuple[str, int]:
        """Step 5, what a nightly job does: a payment not known as paid may have been paid
        elsewhere (a counter, another channel) or its receipt lost: ask GPD's receipts API."""
        confirmed = 0
        for payment in store.unpaid():
            if sandbox.receipt_exists(payment["nav"]):
                store.set_status(payment["id"], "PAID")
                confirmed += 1
        return f"{confirmed} pagamenti confermati", 200

    @app.get("/pagamenti/<payment_id>")
    def result(payment_id: str) -> str:
        payment = store.payment(payment_id) or abort(404)
        return render_template("result.html", payment=payment, due=dues[payment["due_id"]])

    return app


def apply_event(store: Store, event: Mapping[str, Any]) -> None:
    """Record what a verified notification says; unknown types and fields are ignored."""
    data = event.get("data") or {}
    kind = event.get("type")
    payment = None
    if data.get("cartId"):
        payment = store.payment_by("cart_id", str(data["cartId"]))
    if payment is None and data.get("noticeNumber"):
        payment = store.payment_by("nav", str(data["noticeNumber"]))
    if payment is None:
        return
    if kind == "receipt.created":
        store.set_status(payment["id"], "PAID")
    elif kind in ("attempt.closed", "attempt.resolved"):
        store.set_status(payment["id"], "PAID" if data.get("outcome") == "OK" else "FAILED")
    elif kind == "attempt.cancelled":
        store.set_status(payment["id"], "CANCELLED")
    elif kind == "attempt.expired":
        store.set_status(payment["id"], "FAILED")
    elif kind == "attempt.pending":
        store.set_status(payment["id"], "PENDING")


__all__ = ["DUES", "FISCAL_CODE", "Store", "apply_event", "create_app"]
