"""Races between worker PROCESSES of one served sandbox, on SQLite and on PostgreSQL.

Inside one process the store serialises SQLite transactions with a lock, so only several processes
racing each other can show a missing database-level guard. Each race sends every request but the
last byte of its body, one connection each, keeps them spread over the 4 worker processes (at most
half on one; which worker accepted a connection is read from /proc), checks that no answer came
yet, then sends all the last bytes in one tight loop: in every round all the requests are in the
workers at once, served by at least two processes. Each race runs 3 rounds. No answer of a race may be a 5xx.
"""

from __future__ import annotations

import http.client
import json
import select
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
WORKERS = 4


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    pid: int  # the worker process that served it


def race(server: Server, calls: list[tuple[str, str, Any]], workers: int = WORKERS) -> list[Answer]:
    """Send ``calls`` (method, path, JSON body) all at once, one connection each (see the module).

    Each request is sent but for the last byte of its body, so that the worker that accepts it
    starts it and waits for the rest; requests are kept only while every worker process holds its
    share of them (the others are dropped unfinished: an incomplete JSON body changes nothing).
    Once all are held, no answer has come yet, and every last byte is sent in one tight loop.
    """
    held = hold_requests(server, calls, workers)
    readable, _, _ = select.select([conn.sock for conn, _, _ in held], [], [], 0)
    assert not readable, "a server answered a request before it was complete: no race"
    for conn, last_byte, _ in held:
        assert conn.sock is not None
        conn.sock.sendall(last_byte)
    answers = []
    try:
        for conn, _, pid in held:
            response = conn.getresponse()
            raw = response.read()
            answers.append(Answer(response.status, json.loads(raw) if raw else None, pid))
    finally:
        for conn, _, _ in held:
            conn.close()
    assert not [a for a in answers if a.status >= 500], [a.body for a in answers if a.status >= 500]
    return answers


def hold_requests(
    server: Server, calls: list[tuple[str, str, Any]], workers: int
) -> list[tuple[http.client.HTTPConnection, bytes, int]]:
    """Each call sent but its last byte, on a connection of its own, with the pid of the worker
    holding it: at most half of them per worker, so that at least two workers take part (asking
    for an even spread over all workers means dropping many more requests)."""
    host, port = server.url.removeprefix("http://").split(":")
    share = -(-len(calls) // 2)
    held: list[tuple[http.client.HTTPConnection, bytes, int]] = []
    try:
        for _ in range(20 * len(calls)):
            if len(held) == len(calls):
                break
            method, path, body = calls[len(held)]
            data = json.dumps(body).encode()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.putrequest(method, path)
            for name, value in {**KEY, "Content-Type": "application/json"}.items():
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(data)))
            conn.endheaders(data[:-1])
            assert conn.sock is not None
            pid = accepted_by(server, conn.sock.getsockname()[1])
            if sum(1 for _, _, p in held if p == pid) < share:
                held.append((conn, data[-1:], pid))
            else:
                conn.close()
    except BaseException:
        for conn, _, _ in held:
            conn.close()
        raise
    pids = {pid for _, _, pid in held}
    assert len(held) == len(calls), f"could not spread {len(calls)} requests over {workers} workers: {pids}"
    assert len(pids) >= 2, pids  # requests of different processes race
    return held


def accepted_by(server: Server, client_port: int) -> int:
    """The worker process that accepted the connection from ``client_port`` (waiting for one to)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pid = serving_pid(server, client_port)
        if pid is not None:
            return pid
        time.sleep(0.005)
    raise AssertionError(f"no worker accepted the connection from port {client_port}")


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
    server = start_server(*storage, "--workers", str(WORKERS))
    server_factory.append(server)
    for n in range(ROUNDS):
        iupd = f"IUPD-RACE-{n}-{uuid.uuid4().hex[:6]}"
        iuv = gpd_factories.iuv_for(iupd)
        same = position_body(iupd)
        others = [f"{iupd}-{k}" for k in range(4)]
        bodies = [same] * 4 + [_with_iuv(position_body(other), iuv) for other in others]
        answers = race(server, [("POST", GPD + "?toPublish=true", body) for body in bodies])
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
    server = start_server(*storage, "--workers", str(WORKERS))
    server_factory.append(server)
    for n in range(ROUNDS):
        iupd = f"IUPD-CART-{n}-{uuid.uuid4().hex[:6]}"
        option = published(server, iupd)
        cart_id = new_cart(server, [notice_of(option)])
        answers = race(server, [("POST", f"/_sandbox/v1/carts/{cart_id}/complete", {})] * 8)
        status = status_of(server, cart_id)
        kinds = [e["type"] for e in status["timeline"]]
        assert kinds.count("attempt.activated") == 1, kinds
        assert kinds.count("receipt.created") == 1, kinds
        assert len(status["receipts"]) == 1, status["receipts"]
        assert status["payment"]["state"] == "NOTIFIED_OK"
        assert_paid_once(server, iupd, option["iuv"], status["receipts"][0]["receiptId"])
        for a in answers:  # no answer tells of another payment
            if a.status == 200:
                assert a.body["receipts"] in ([], status["receipts"]), a.body


def test_one_cart_completed_at_once_ends_paid_and_every_other_call_is_told_409(
    storage: tuple[str, ...], server_factory: list[Server]
) -> None:
    """The documented contract of the same race: the cart ends PAID, exactly one call answers 200
    PAID and every other one 409 ``Cart already completed`` (README, headless runs)."""
    server = start_server(*storage, "--workers", str(WORKERS))
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
    server = start_server(*storage, "--workers", str(WORKERS))
    server_factory.append(server)
    for n in range(ROUNDS):
        iupd = f"IUPD-NOTICE-{n}-{uuid.uuid4().hex[:6]}"
        option = published(server, iupd)
        carts = [new_cart(server, [notice_of(option)]) for _ in range(4)]
        answers = race(server, [("POST", f"/_sandbox/v1/carts/{c}/complete", {}) for c in carts])
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
