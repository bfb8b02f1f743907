"""Races between worker PROCESSES of one served sandbox, on SQLite and on PostgreSQL.

Inside one process the store serialises SQLite transactions with a lock, so only several processes
racing each other can show a missing database-level guard. Each race opens one kept-alive
connection per client, finds from /proc which worker process holds it, sends every request but its
last byte, waits at a barrier, then sends the last bytes together: every request is in flight at
once, and the test asserts that different workers served them and that they overlapped in time.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.functional import gpd_factories
from tests.system.conftest import Server, serving_pid, start_server
from tests.system.test_server import GPD, KEY, position_body

pytestmark = pytest.mark.slow

ORG = "77777777777"  # a GPD-managed EC once it has positions; its "3xx00..." NAVs mean happy-path
RECEIPTS = f"/gpd/payments-receipts-service/v1/payments/{ORG}/receipts"
RETURN_URLS = {
    "returnOkUrl": "https://ec.example/ok",
    "returnCancelUrl": "https://ec.example/cancel",
    "returnErrorUrl": "https://ec.example/error",
    "returnWaitingUrl": "https://ec.example/wait",
}
ROUNDS = 3


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    pid: int | None  # the worker process that served it
    last_byte_at: float  # when its last byte was sent
    answered_at: float


def race(server: Server, calls: list[tuple[str, str, Any]]) -> list[Answer]:
    """Send ``calls`` (method, path, JSON body) all at once, one connection each (see the module).

    Each client thread opens its connection (a health check, so a worker accepts it and keeps it
    alive) and notes the worker; once all are open, each sends its request but the last byte; once
    all have, this thread sends every last byte in one tight loop, and the clients read the answers.
    """
    host, port = server.url.removeprefix("http://").split(":")
    opened = threading.Barrier(len(calls))  # no request may tie up a worker thread before all are open
    ready = threading.Barrier(len(calls) + 1)
    conns: list[http.client.HTTPConnection | None] = [None] * len(calls)
    pids: list[int | None] = [None] * len(calls)
    last_bytes: list[bytes] = [b""] * len(calls)
    sent_at: list[float] = [0.0] * len(calls)
    answers: list[Answer | BaseException | None] = [None] * len(calls)

    def one(i: int) -> None:
        method, path, body = calls[i]
        conn = conns[i] = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("GET", "/_sandbox/v1/health")
            conn.getresponse().read()
            assert conn.sock is not None
            pids[i] = serving_pid(server, conn.sock.getsockname()[1])
            opened.wait(timeout=20)
            data = json.dumps(body).encode()
            conn.putrequest(method, path)
            for name, value in {**KEY, "Content-Type": "application/json"}.items():
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(data)))
            conn.endheaders()
            conn.send(data[:-1])
            last_bytes[i] = data[-1:]
            ready.wait(timeout=20)
            response = conn.getresponse()
            raw = response.read()
            answered_at = time.perf_counter()
            answers[i] = Answer(
                response.status, json.loads(raw) if raw else None, pids[i], sent_at[i], answered_at
            )
        except BaseException as error:  # re-raised below
            opened.abort()
            ready.abort()
            answers[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    try:
        ready.wait(timeout=30)
        for i, conn in enumerate(conns):
            assert conn is not None and conn.sock is not None
            conn.sock.sendall(last_bytes[i])
            sent_at[i] = time.perf_counter()
    except threading.BrokenBarrierError:
        pass  # a client failed: its error is raised below
    for thread in threads:
        thread.join(timeout=60)
    for conn in conns:
        if conn is not None:
            conn.close()
    errors = [a for a in answers if isinstance(a, BaseException)]
    if errors:  # the first cause, not the broken barriers it left behind
        raise next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), errors[0])
    done = [a for a in answers if isinstance(a, Answer)]
    assert len(done) == len(calls)
    # every last byte was sent before any answer was read: the requests were all in flight together
    assert max(sent_at) < min(a.answered_at for a in done), "the race did not overlap"
    assert not [a for a in done if a.status >= 500], [a.body for a in done if a.status >= 500]
    return done


def assert_real_race(rounds: list[list[Answer]]) -> None:
    """Requests of the races were served by more than one worker process."""
    pids = {a.pid for answers in rounds for a in answers}
    assert None not in pids, "a request's worker process was not found"
    assert len(pids) >= 2, f"every request was served by one process ({pids}): no race between processes"


def new_cart(server: Server, notices: list[dict[str, Any]]) -> str:
    response = requests.post(
        server.url + "/checkout/ec/v2/carts",
        json={"paymentNotices": notices, "returnUrls": RETURN_URLS},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"].split("/carts/")[1].split("/")[0]


def published(server: Server, iupd: str) -> dict[str, Any]:
    created = requests.post(
        server.url + GPD + "?toPublish=true", json=position_body(iupd), headers=KEY, timeout=30
    )
    assert created.status_code == 201, created.text
    option: dict[str, Any] = created.json()["paymentOption"][0]
    return option


def notice_of(option: dict[str, Any]) -> dict[str, Any]:
    return {
        "noticeNumber": option["nav"],
        "fiscalCode": ORG,
        "amount": option["amount"],
        "companyName": "Comune di Roma",
        "description": option["description"],
    }


def status_of(server: Server, cart_id: str) -> dict[str, Any]:
    response = requests.get(server.url + f"/_sandbox/v1/carts/{cart_id}", timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def receipts_for(server: Server, iuv: str) -> list[dict[str, Any]]:
    response = requests.get(
        server.url + RECEIPTS + f"?debtorOrIuv={iuv}&pageSize=100", headers=KEY, timeout=30
    )
    assert response.status_code == 200, response.text
    return [r for r in response.json()["results"] if r["iuv"] == iuv]


def assert_paid_once(server: Server, iupd: str, iuv: str, receipt_id: str) -> None:
    """GPD holds exactly one receipt for the notice, and its option is paid by that receipt."""
    assert len(receipts_for(server, iuv)) == 1
    xml = requests.get(server.url + RECEIPTS + f"/{iuv}", headers=KEY, timeout=30)
    assert xml.status_code == 200 and receipt_id in xml.text
    position = requests.get(server.url + GPD + f"/{iupd}", headers=KEY, timeout=30).json()
    assert position["status"] == "PAID"
    assert [(o["status"], o.get("idReceipt")) for o in position["paymentOption"]] == [("PO_PAID", receipt_id)]


# --- (a) the same debt position, created by every worker at once ------------------------------------


def test_one_notice_created_at_once_by_several_processes_exists_once(
    storage: tuple[str, ...], server_factory: list[Server]
) -> None:
    """Per round, 8 creations that all claim one IUV race: 4 with the same IUPD and body, 4 with
    IUPDs of their own holding that IUV. Exactly one is 201, every other one 409 (the uniqueness
    violation), and only the winner's IUPD exists. It fails if the IUPD or IUV uniqueness is checked
    in Python rather than enforced by the database (two processes would both see "free")."""
    server = start_server(*storage, "--workers", "4")
    server_factory.append(server)
    rounds = []
    for n in range(ROUNDS):
        iupd = f"IUPD-RACE-{n}-{uuid.uuid4().hex[:6]}"
        iuv = gpd_factories.iuv_for(iupd)
        same = position_body(iupd)
        others = [f"{iupd}-{k}" for k in range(4)]
        bodies = [same] * 4 + [_with_iuv(position_body(other), iuv) for other in others]
        answers = race(server, [("POST", GPD + "?toPublish=true", body) for body in bodies])
        rounds.append(answers)
        statuses = sorted(a.status for a in answers)
        assert statuses == [201] + [409] * 7, statuses
        for a in answers:
            if a.status == 409:
                assert a.body["title"] == "The debt position violated constraints of uniqueness", a.body
        winner = next(a.body for a in answers if a.status == 201)
        present = [
            i for i in [iupd, *others] if requests.get(server.url + GPD + f"/{i}", headers=KEY, timeout=30).ok
        ]
        assert present == [winner["iupd"]]
        listed = requests.get(server.url + GPD + "?limit=50", headers=KEY, timeout=30).json()
        holders = [
            p["iupd"] for p in listed["payment_position_list"] for o in p["paymentOption"] if o["iuv"] == iuv
        ]
        assert holders == [winner["iupd"]]
    assert_real_race(rounds)


def _with_iuv(body: dict[str, Any], iuv: str) -> dict[str, Any]:
    body["paymentOption"][0]["iuv"] = iuv
    return body


# --- (b) one cart, completed by every worker at once -------------------------------------------------


def test_one_cart_completed_at_once_by_several_processes_is_paid_once(
    storage: tuple[str, ...], server_factory: list[Server]
) -> None:
    """8 concurrent ``complete`` calls on one cart of a GPD notice: whatever they answer, none is a
    5xx, exactly one payment happens (one activation, one receipt, in the cart and in GPD) and the
    option is paid by that receipt. It fails if two processes could both activate the cart's notice
    (the notice lock not held by the database) or both close the attempt (a double receipt)."""
    server = start_server(*storage, "--workers", "4")
    server_factory.append(server)
    rounds = []
    for n in range(ROUNDS):
        iupd = f"IUPD-CART-{n}-{uuid.uuid4().hex[:6]}"
        option = published(server, iupd)
        cart_id = new_cart(server, [notice_of(option)])
        answers = race(server, [("POST", f"/_sandbox/v1/carts/{cart_id}/complete", {})] * 8)
        rounds.append(answers)
        status = status_of(server, cart_id)
        kinds = [e["type"] for e in status["timeline"]]
        assert kinds.count("attempt.activated") == 1, kinds
        assert kinds.count("receipt.created") == 1, kinds
        assert len(status["receipts"]) == 1, status["receipts"]
        assert status["payment"]["state"] == "NOTIFIED_OK"
        assert_paid_once(server, iupd, option["iuv"], status["receipts"][0]["receiptId"])
    assert_real_race(rounds)


@pytest.mark.xfail(
    reason="bug: a losing complete can record a fault on the paid cart (state FAILED with its receipt)"
    " and answer 200 FAILED or 400 'Transaction ... is NOTIFIED_OK' instead of 409 Cart already completed",
    strict=False,
)
def test_one_cart_completed_at_once_ends_paid_and_every_other_call_is_told_409(
    storage: tuple[str, ...], server_factory: list[Server]
) -> None:
    """The documented contract of the same race: the cart ends PAID, exactly one call answers 200
    PAID and every other one 409 ``Cart already completed`` (README, headless runs)."""
    server = start_server(*storage, "--workers", "4")
    server_factory.append(server)
    for n in range(ROUNDS):
        option = published(server, f"IUPD-DOC-{n}-{uuid.uuid4().hex[:6]}")
        cart_id = new_cart(server, [notice_of(option)])
        answers = race(server, [("POST", f"/_sandbox/v1/carts/{cart_id}/complete", {})] * 8)
        seen = sorted((a.status, a.body.get("state") or a.body.get("title")) for a in answers)
        assert seen == [(200, "PAID")] + [(409, "Cart already completed")] * 7, seen
        assert status_of(server, cart_id)["state"] == "PAID"


# --- (c) carts holding one notice, completed at once -------------------------------------------------

ONGOING = {"faultCodeCategory": "PAYMENT_ONGOING", "faultCode": "PPT_PAGAMENTO_IN_CORSO"}
DUPLICATED = {
    "faultCodeCategory": "PAYMENT_DUPLICATED",
    "faultCode": "PAA_PAGAMENTO_DUPLICATO",
}  # GPD's receipt
NODE_DUPLICATED = {
    "faultCodeCategory": "PAYMENT_DUPLICATED",
    "faultCode": "PPT_PAGAMENTO_DUPLICATO",
}  # node's


def test_carts_holding_one_notice_completed_at_once_pay_it_once(
    storage: tuple[str, ...], server_factory: list[Server]
) -> None:
    """4 carts holding the same notice of a GPD-managed EC, each completed once, all at once:
    exactly one answers 200 PAID; each other one answers 200 with its cart FAILED and the fault
    the node gives (PAYMENT_ONGOING while the winner's token holds the notice, PAYMENT_DUPLICATED
    once it is paid: PAA_ when the receipt is seen, PPT_ when only the node's record of the paid
    notice is, as a PostgreSQL statement can see a commit the one before it did not), and no
    receipt. GPD has one receipt, the option is paid by it. It fails if the notice lock is not
    exclusive across processes (two activations, two receipts, or a 5xx from a unique constraint
    the code does not expect)."""
    server = start_server(*storage, "--workers", "4")
    server_factory.append(server)
    rounds = []
    for n in range(ROUNDS):
        iupd = f"IUPD-NOTICE-{n}-{uuid.uuid4().hex[:6]}"
        option = published(server, iupd)
        carts = [new_cart(server, [notice_of(option)]) for _ in range(4)]
        answers = race(server, [("POST", f"/_sandbox/v1/carts/{c}/complete", {}) for c in carts])
        rounds.append(answers)
        assert [a.status for a in answers] == [200] * 4, [a.body for a in answers]
        paid = [a.body for a in answers if a.body["state"] == "PAID"]
        refused = [a.body for a in answers if a.body["state"] != "PAID"]
        assert len(paid) == 1, [a.body["state"] for a in answers]
        for body in refused:
            assert body["state"] == "FAILED"
            assert body["fault"] in (ONGOING, DUPLICATED, NODE_DUPLICATED), body["fault"]
            assert body["receipts"] == []
            assert status_of(server, body["id"])["state"] == "FAILED"
        assert status_of(server, paid[0]["id"])["state"] == "PAID"
        assert len(paid[0]["receipts"]) == 1
        assert_paid_once(server, iupd, option["iuv"], paid[0]["receipts"][0]["receiptId"])
    assert_real_race(rounds)
