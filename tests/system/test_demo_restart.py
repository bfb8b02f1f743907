"""``serve --demo`` started twice on the same data: the second table tells the truth."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.system.conftest import Server, start_server

pytestmark = pytest.mark.slow
ORG = "/gpd/debt-positions-service/v1/organizations/77777777777"
KEY = {"Ocp-Apim-Subscription-Key": "k"}


def tari_line(output: str) -> str:
    return next(line for line in output.splitlines() if "TARI 2026 - rata unica" in line)


def test_restarting_demo_lists_a_notice_paid_meanwhile_as_paid(
    tmp_path: Path, server_factory: list[Server]
) -> None:
    data = ("--data-dir", str(tmp_path / "data"), "--demo", "--workers", "1")
    first = start_server(*data, cwd=tmp_path)
    server_factory.append(first)
    nav = requests.get(first.url + ORG + "/debtpositions/DEMO-VALID-TARI", headers=KEY, timeout=30).json()[
        "paymentOption"
    ][0]["nav"]
    paid = requests.post(first.url + ORG + f"/paymentoptions/paids/{nav}", headers=KEY, timeout=30)
    assert paid.status_code == 200
    assert tari_line(first.stop()).split()[:3] == ["VALID", "PO_UNPAID", nav]

    second = start_server(*data, cwd=tmp_path)
    server_factory.append(second)
    listed = requests.get(second.url + ORG + "/debtpositions?limit=50", headers=KEY, timeout=30).json()
    assert len(listed["payment_position_list"]) == 10  # nothing seeded twice
    assert tari_line(second.stop()).split()[:3] == ["PAID", "PO_PAID", nav]
