"""The signed return URL: the documented test vector, and every way a URL can be refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from simulator.domain.return_signature import (
    InvalidReturnSignature,
    ReturnOutcome,
    ReturnParams,
    append_outcome,
    canonical_string,
    check_appendable,
    secret_key,
    sign,
)
from simulator.testing.signatures import verify_return_url

# The test vector of docs/proposal.md (the secret is Standard Webhooks' own example secret).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
PARAMS = ReturnParams(
    outcome=ReturnOutcome.OK,
    outcome_code=0,
    cart_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
    id_cart="TARI-2026-0001",
    transaction_id="7c3e2f0a9b1d4e5f8a6b2c1d0e9f8a7b",
    total_amount=12050,
    fees=150,
    ts=1772442000,  # 2026-03-02T09:00:00Z
)
RETURN_URL = "https://ec.example/pagopa/ok?session=abc%20123&lang=it#done"
CANONICAL = (
    "outcome=OK\noutcomeCode=0\ncartId=3fa85f64-5717-4562-b3fc-2c963f66afa6\nidCart=TARI-2026-0001\n"
    "transactionId=7c3e2f0a9b1d4e5f8a6b2c1d0e9f8a7b\ntotalAmount=12050\nfees=150\nts=1772442000"
)
SIG = "7cd3fe096b46d2a33029554ef921e3c4ed96dc71f67f4039eb8726acd1e9d6e5"
SIGNED_URL = (
    "https://ec.example/pagopa/ok?session=abc%20123&lang=it&outcome=OK&outcomeCode=0"
    "&cartId=3fa85f64-5717-4562-b3fc-2c963f66afa6&idCart=TARI-2026-0001"
    "&transactionId=7c3e2f0a9b1d4e5f8a6b2c1d0e9f8a7b&totalAmount=12050&fees=150&ts=1772442000"
    f"&sig={SIG}#done"
)
NOW = datetime(2026, 3, 2, 9, 1, tzinfo=UTC)


def test_the_documented_vector_gives_the_documented_canonical_string_signature_and_url() -> None:
    assert canonical_string(PARAMS.values()) == CANONICAL
    assert sign(PARAMS.values(), SECRET) == SIG
    assert append_outcome(RETURN_URL, PARAMS, SECRET) == SIGNED_URL


def test_the_verifier_accepts_the_vector_and_returns_the_parameters() -> None:
    values = verify_return_url(SIGNED_URL, SECRET, now=NOW, tolerance=300)

    assert values["outcome"] == "OK"
    assert values["totalAmount"] == "12050"
    assert values["cartId"] == PARAMS.cart_id


def test_the_return_url_keeps_its_own_query_and_fragment() -> None:
    parts = urlsplit(append_outcome(RETURN_URL, PARAMS, SECRET))

    assert parts.query.startswith("session=abc%20123&lang=it&")
    assert parts.fragment == "done"
    assert parts.path == "/pagopa/ok"


def test_a_url_without_query_gets_one() -> None:
    url = append_outcome("https://ec.example/ok", PARAMS, SECRET)

    assert url.startswith("https://ec.example/ok?outcome=OK&")


def test_absent_values_are_appended_empty_and_signed_as_such() -> None:
    params = ReturnParams(ReturnOutcome.CANCELLED, PARAMS.cart_id, 12050, PARAMS.ts, outcome_code=8)
    url = append_outcome("https://ec.example/cancel", params, SECRET)
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))

    assert query["idCart"] == "" and query["transactionId"] == "" and query["fees"] == ""
    assert "idCart=\n" in canonical_string(params.values())
    assert verify_return_url(url, SECRET, now=NOW)["outcome"] == "CANCELLED"


@pytest.mark.parametrize(
    ("original", "forged"),
    [
        ("outcome=OK", "outcome=KO"),
        ("totalAmount=12050", "totalAmount=1"),
        ("fees=150", "fees=0"),
        ("ts=1772442000", "ts=1772442001"),
        (f"sig={SIG}", "sig=" + "0" * 64),
    ],
)
def test_a_tampered_return_url_is_rejected(original: str, forged: str) -> None:
    with pytest.raises(InvalidReturnSignature, match="does not match"):
        verify_return_url(SIGNED_URL.replace(original, forged), SECRET, now=NOW)


def test_the_wrong_secret_is_rejected() -> None:
    with pytest.raises(InvalidReturnSignature):
        verify_return_url(SIGNED_URL, "whsec_" + "A" * 32, now=NOW)


def test_an_old_return_url_is_rejected_as_expired() -> None:
    with pytest.raises(InvalidReturnSignature, match="too old"):
        verify_return_url(SIGNED_URL, SECRET, now=NOW + timedelta(minutes=10), tolerance=timedelta(minutes=5))


def test_a_return_url_from_the_future_is_rejected() -> None:
    with pytest.raises(InvalidReturnSignature, match="future"):
        verify_return_url(SIGNED_URL, SECRET, now=NOW - timedelta(hours=1))


def test_a_repeated_parameter_is_rejected_even_when_the_signature_matches() -> None:
    with pytest.raises(InvalidReturnSignature, match="more than once"):
        verify_return_url(SIGNED_URL.replace("#done", "&outcome=KO#done"), SECRET, now=NOW)


def test_a_missing_parameter_is_rejected() -> None:
    with pytest.raises(InvalidReturnSignature, match="missing fees"):
        verify_return_url(SIGNED_URL.replace("&fees=150", ""), SECRET, now=NOW)


def test_a_value_with_a_line_break_cannot_be_signed_nor_verified() -> None:
    params = ReturnParams(ReturnOutcome.OK, PARAMS.cart_id, 1, PARAMS.ts, id_cart="a\ntransactionId=x")
    with pytest.raises(ValueError, match="line break"):
        append_outcome("https://ec.example/ok", params, SECRET)
    with pytest.raises(InvalidReturnSignature, match="line break"):
        verify_return_url(SIGNED_URL.replace("idCart=TARI-2026-0001", "idCart=a%0Ab"), SECRET, now=NOW)


def test_a_return_url_already_using_an_appended_name_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        check_appendable("https://ec.example/ok?outcome=mine")
    check_appendable("https://ec.example/ok?outcomes=fine")


def test_the_key_is_the_raw_bytes_of_the_secrets_base64_part() -> None:
    assert secret_key(SECRET) == bytes.fromhex("31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0")
    with pytest.raises(ValueError):
        secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    with pytest.raises(ValueError):
        secret_key("whsec_not base64!")
