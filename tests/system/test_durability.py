"""Every acknowledged write survives ``kill -9`` of every server process, on SQLite and PostgreSQL.

Client threads write for a bounded time (debt positions, carts, headless payments of GPD notices
and of other ECs' notices, webhook subscriptions) and record every write the server acknowledged.
While writes are still in flight, the master and every worker get SIGKILL at once: no graceful
stop, no atexit, nothing flushed. A new server on the same data must then show each acknowledged
write exactly as it was acknowledged, and the data must be consistent (no receipt without its paid
option, no paid option or PAID cart without its receipt).

What makes it fail: a write acknowledged before its transaction commits (a response sent before
the commit, a write-behind cache or batch, a commit deferred to a later request or to shutdown),
a payment stored in several transactions so that a kill between them leaves a receipt without its
paid option (or the reverse), a database the restarted server cannot open after the kill (a
corrupt file, a lock file or stale state the code insists on), or data kept only in memory.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.system.conftest import Server, kill_hard, start_server
from tests.system.test_races import RECEIPTS, RETURN_URLS, notice_of, receipts_for, status_of
from tests.system.test_server import GPD, KEY, position_body

pytestmark = pytest.mark.slow

CLIENTS = 6
KILL_AFTER = 1.0  # seconds of writes at least before the kill ...
ENOUGH = 3  # ... and until each kind of write was acknowledged this many times ...
WRITE_AT_MOST = 8.0  # ... but no longer than this
OTHER_EC = "15376371009"  # an EC without positions: its notices are the node's own (synthetic)


@dataclass
class Acknowledged:
    positions: dict[str, dict[str, Any]] = field(default_factory=dict)  # iupd -> the 201 body
    carts: set[str] = field(default_factory=set)  # every cart whose creation was answered 302
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)  # cart id -> the 200 PAID body
    paid_positions: dict[str, str] = field(default_factory=dict)  # iupd -> cart id that paid it
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> the 201 body
    interrupted: int = 0  # writes cut by the kill (no answer)
    unexpected: list[str] = field(default_factory=list)  # answers no write should get
    lock: threading.Lock = field(default_factory=threading.Lock)

    def counts(self) -> tuple[int, int, int, int]:
        """Acknowledged positions, payments of GPD notices, of other notices, and webhooks."""
        with self.lock:
            gpd = len(self.paid_positions)
            return len(self.positions), gpd, len(self.payments) - gpd, len(self.webhooks)


def test_every_acknowledged_write_survives_kill_9_of_every_process(
    storage: tuple[str, ...], server_factory: list[Server]
) -> None:
    """See the module: acknowledged writes from 6 clients, SIGKILL of the master and its 2 workers
    while they write, a new server on the same data."""
    server = start_server(*storage, "--workers", "2")
    server_factory.append(server)
    acked = Acknowledged()
    run = uuid.uuid4().hex[:6]
    counter = itertools.count()
    started = time.monotonic()
    give_up = started + WRITE_AT_MOST + 5

    def client(n: int) -> None:
        session = requests.Session()
        while time.monotonic() < give_up:  # the kill ends the loop; this bounds it if the kill failed
            i = next(counter)
            try:
                _one_write(server, session, acked, f"IUPD-{run}-{i}", i, n)
            except requests.RequestException:
                with acked.lock:
                    acked.interrupted += 1
                return  # the server is gone
            except AssertionError as error:
                with acked.lock:
                    acked.unexpected.append(str(error))
                return

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    while time.monotonic() < started + WRITE_AT_MOST and (
        time.monotonic() < started + KILL_AFTER or min(acked.counts()) < ENOUGH
    ):
        time.sleep(0.02)
    killed = kill_hard(server)  # the clients are still writing: some writes are cut mid-flight
    for thread in threads:
        thread.join(timeout=30)
    assert len(killed) >= 3, f"expected the master and 2 workers, killed {killed}"
    assert not acked.unexpected, acked.unexpected
    assert acked.interrupted >= 1, "no write was in flight at the kill"
    assert min(acked.counts()) >= ENOUGH, acked.counts()
    print(
        f"acknowledged (positions, GPD payments, other payments, webhooks): {acked.counts()};"
        f" cut by the kill: {acked.interrupted}"
    )

    again = start_server(*storage, "--workers", "2")
    server_factory.append(again)
    _assert_positions(again, acked)
    _assert_payments(again, acked)
    _assert_webhooks(again, acked)
    _assert_consistent(again, acked)


# --- the writes -------------------------------------------------------------------------------------


def _one_write(
    server: Server, session: requests.Session, acked: Acknowledged, iupd: str, i: int, n: int
) -> None:
    """One write of the mix, picked by ``i``: each step is recorded as soon as it is acknowledged."""
    kind = i % 4
    if kind == 3:
        # an EC of its own each: an EC takes at most 20 webhooks
        body = {"url": f"http://127.0.0.1:9/hook/{iupd}", "fiscalCode": f"9{i:010d}"}
        response = session.post(server.url + "/_sandbox/v1/webhooks", json=body, timeout=30)
        assert response.status_code == 201, response.text
        with acked.lock:
            acked.webhooks[response.json()["id"]] = response.json()
        return
    if kind == 2:  # a payment of a notice of an EC GPD knows nothing about
        notice = {
            "noticeNumber": f"3{i:017d}",
            "fiscalCode": OTHER_EC,
            "amount": 1000 + i,
            "companyName": "Comune di Prova",
            "description": "TARI",
        }
        _pay(server, session, acked, notice, None)
        return
    created = session.post(
        server.url + GPD + "?toPublish=true", json=position_body(iupd), headers=KEY, timeout=30
    )
    assert created.status_code == 201, created.text
    with acked.lock:
        acked.positions[iupd] = created.json()
    if kind == 1:  # and its payment
        _pay(server, session, acked, notice_of(created.json()["paymentOption"][0]), iupd)


def _pay(
    server: Server, session: requests.Session, acked: Acknowledged, notice: dict[str, Any], iupd: str | None
) -> None:
    cart_id = _new_cart(server, session, notice)
    with acked.lock:
        acked.carts.add(cart_id)
    done = session.post(server.url + f"/_sandbox/v1/carts/{cart_id}/complete", json={}, timeout=30)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "PAID", done.json()
    with acked.lock:
        acked.payments[cart_id] = done.json()
        if iupd is not None:
            acked.paid_positions[iupd] = cart_id


def _new_cart(server: Server, session: requests.Session, notice: dict[str, Any]) -> str:
    response = session.post(
        server.url + "/checkout/ec/v2/carts",
        json={"paymentNotices": [notice], "returnUrls": RETURN_URLS},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"].split("/carts/")[1].split("/")[0]


# --- the checks after the restart ----------------------------------------------------------------------


def _stored(position: dict[str, Any]) -> dict[str, Any]:
    """What a creation fixes of a position, in both the 201 body and the GET body."""
    return {
        "iupd": position["iupd"],
        "type": position["type"],
        "companyName": position["companyName"],
        "officeName": position["officeName"],
        "paymentOption": [
            {
                "nav": o["nav"],
                "iuv": o["iuv"],
                "amount": o["amount"],
                "description": o["description"],
                "dueDate": o["dueDate"],
                "isPartialPayment": o["isPartialPayment"],
                "transfer": [
                    {k: t[k] for k in ("idTransfer", "amount", "remittanceInformation", "category", "iban")}
                    for t in o["transfer"]
                ],
            }
            for o in position["paymentOption"]
        ],
    }


def _assert_positions(server: Server, acked: Acknowledged) -> None:
    for iupd, created in acked.positions.items():
        found = requests.get(server.url + GPD + f"/{iupd}", headers=KEY, timeout=30)
        assert found.status_code == 200, f"acknowledged position {iupd} lost: {found.text}"
        assert _stored(found.json()) == _stored(created)
        paid = iupd in acked.paid_positions
        if paid or found.json()["status"] != "PAID":  # an unacknowledged payment may have landed
            assert found.json()["status"] == ("PAID" if paid else "VALID"), (iupd, found.json()["status"])


def _assert_payments(server: Server, acked: Acknowledged) -> None:
    for cart_id, paid in acked.payments.items():
        status = status_of(server, cart_id)
        assert status["state"] == "PAID", (cart_id, status["state"])
        assert status["payment"]["transactionId"] == paid["payment"]["transactionId"]
        assert status["receipts"] == paid["receipts"]
        assert len(status["receipts"]) == 1
        for receipt in status["receipts"]:
            xml = requests.get(server.url + receipt["url"], headers=KEY, timeout=30)
            assert xml.status_code == 200, f"receipt XML of paid cart {cart_id} lost: {xml.text}"
            assert receipt["receiptId"] in xml.text
    for iupd, cart_id in acked.paid_positions.items():
        receipt_id = acked.payments[cart_id]["receipts"][0]["receiptId"]
        position = requests.get(server.url + GPD + f"/{iupd}", headers=KEY, timeout=30).json()
        assert [(o["status"], o.get("idReceipt")) for o in position["paymentOption"]] == [
            ("PO_PAID", receipt_id)
        ]


def _assert_webhooks(server: Server, acked: Acknowledged) -> None:
    listed = requests.get(server.url + "/_sandbox/v1/webhooks", timeout=30)
    assert listed.status_code == 200
    by_id = {w["id"]: w for w in listed.json()["webhooks"]}
    for webhook_id, created in acked.webhooks.items():
        assert webhook_id in by_id, f"acknowledged webhook {webhook_id} lost"
        assert by_id[webhook_id] == {k: v for k, v in created.items() if k != "secret"}


def _assert_consistent(server: Server, acked: Acknowledged) -> None:
    """Whatever landed, acknowledged or not: each receipt GPD lists pays an option of a position,
    each paid option has its receipt, and a PAID cart has its receipt (and a cart no receipt else)."""
    listed = requests.get(server.url + GPD + "?limit=50", headers=KEY, timeout=30).json()
    pages = listed["page_info"]["total_pages"]
    positions = list(listed["payment_position_list"])
    for page in range(1, pages):
        more = requests.get(server.url + GPD + f"?limit=50&page={page}", headers=KEY, timeout=30).json()
        positions += more["payment_position_list"]
    assert {p["iupd"] for p in positions} >= set(acked.positions)
    options = {o["iuv"]: o for p in positions for o in p["paymentOption"]}
    receipts: dict[str, dict[str, Any]] = {}
    page, total = 0, 1
    while page < total:
        answer = requests.get(
            server.url + RECEIPTS + f"?pageNum={page}&pageSize=100", headers=KEY, timeout=30
        )
        assert answer.status_code == 200, answer.text
        total = answer.json()["totalPages"]
        receipts.update({r["iuv"]: r for r in answer.json()["results"]})
        page += 1
    for iuv in receipts:
        assert iuv in options, f"receipt {iuv} pays no option"
        assert options[iuv]["status"] == "PO_PAID", f"receipt {iuv} without its paid option"
        assert len(receipts_for(server, iuv)) == 1
    for iuv, option in options.items():
        if option["status"] == "PO_PAID":
            assert iuv in receipts, f"option {iuv} PO_PAID without a receipt"
            xml = requests.get(server.url + RECEIPTS + f"/{iuv}", headers=KEY, timeout=30)
            assert xml.status_code == 200 and option["idReceipt"] in xml.text
    for cart_id in acked.carts:
        status = status_of(server, cart_id)
        if status["state"] == "PAID":
            assert len(status["receipts"]) == 1, (cart_id, status)
        else:
            assert status["receipts"] == [], (cart_id, status)
