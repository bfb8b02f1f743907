"""Bad input to the GPD API: every malformed request gets a 4xx ProblemJson naming the culprit,
changes nothing, and no input whatsoever makes the sandbox answer 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import START, ApiClient
from tests.functional.gpd_factories import (
    REQUEST_DATA_ERROR,
    assert_problem,
    create,
    get,
    iso,
    iuv_for,
    listed,
    option,
    paid_url,
    position_body,
    position_url,
    positions_url,
    transfer,
)

Body = dict[str, Any]
STAMP = {"hashDocument": "a" * 44, "stampType": "01", "provincialResidence": "RM"}


def send(api: ApiClient, method: str, url: str, body: Any) -> Any:
    """Send a JSON body escaped to ASCII, so that even a lone surrogate reaches the server."""
    return getattr(api, method)(url, data=json.dumps(body), content_type="application/json")


def without(path: str) -> Callable[[Body], None]:
    """Remove a field, addressed like ``paymentOption.0.transfer.0.amount``."""

    def change(body: Body) -> None:
        *parents, last = path.split(".")
        del _walk(body, parents)[int(last) if last.isdigit() else last]

    return change


def setting(path: str, value: Any) -> Callable[[Body], None]:
    """Set a field, addressed like ``paymentOption.0.amount``."""

    def change(body: Body) -> None:
        *parents, last = path.split(".")
        _walk(body, parents)[int(last) if last.isdigit() else last] = value

    return change


def _walk(node: Any, keys: list[str]) -> Any:
    for key in keys:
        node = node[int(key)] if key.isdigit() else node[key]
    return node


OPT = "paymentOption.0"
TR = "paymentOption.0.transfer.0"

# (case id, change to a valid body, text the detail must contain)
BAD_BODIES: list[tuple[str, Callable[[Body], None], str]] = [
    # missing required fields
    *[(f"missing {f}", without(f), f"{f}: is required") for f in ("iupd", "type", "fiscalCode", "fullName")],
    *[(f"missing {f}", without(f), f"{f}: is required") for f in ("companyName", "paymentOption")],
    ("missing switchToExpired", without("switchToExpired"), "switchToExpired: is required"),
    ("null switchToExpired", setting("switchToExpired", None), "switchToExpired: is required"),
    *[
        (f"missing option {f}", without(f"{OPT}.{f}"), f"paymentOption[0].{f}: is required")
        for f in ("iuv", "amount", "description", "isPartialPayment", "dueDate", "transfer")
    ],
    *[
        (f"missing transfer {f}", without(f"{TR}.{f}"), f"paymentOption[0].transfer[0].{f}: is required")
        for f in ("idTransfer", "amount", "remittanceInformation", "category")
    ],
    (
        "missing stamp hash",
        setting(f"{TR}.stamp", {"stampType": "01", "provincialResidence": "RM"}),
        "hashDocument",
    ),
    # wrong types
    ("amount abc", setting(f"{OPT}.amount", "abc"), "paymentOption[0].amount: must be a whole number"),
    ("amount 1.5", setting(f"{OPT}.amount", 1.5), "paymentOption[0].amount: must be a whole number"),
    ("amount true", setting(f"{OPT}.amount", True), "paymentOption[0].amount: must be a whole number"),
    ("partial maybe", setting(f"{OPT}.isPartialPayment", "maybe"), "isPartialPayment: must be true or false"),
    ("switch yes", setting("switchToExpired", "yes"), "switchToExpired: must be true or false"),
    ("paymentOption object", setting("paymentOption", {"iuv": "1"}), "paymentOption: must be a list"),
    ("paymentOption text", setting("paymentOption", "x"), "paymentOption: must be a list"),
    ("paymentOption empty", setting("paymentOption", []), "paymentOption: must have at least 1 item"),
    ("option not object", setting("paymentOption", [1]), "paymentOption[0]: must be a JSON object"),
    ("transfer not list", setting(f"{OPT}.transfer", {}), "paymentOption[0].transfer: must be a list"),
    ("transfer empty", setting(f"{OPT}.transfer", []), "paymentOption[0].transfer: must have at least 1"),
    (
        "transfer not object",
        setting(f"{OPT}.transfer", ["t"]),
        "paymentOption[0].transfer[0]: must be a JSON",
    ),
    (
        "stamp text",
        setting(f"{TR}.stamp", "stamp"),
        "paymentOption[0].transfer[0].stamp: must be a JSON object",
    ),
    ("fullName list", setting("fullName", ["Mario"]), "fullName: must be a string"),
    ("iupd object", setting("iupd", {"id": 1}), "iupd: must be a string"),
    (
        "dueDate words",
        setting(f"{OPT}.dueDate", "next monday"),
        "paymentOption[0].dueDate: must be an ISO 8601",
    ),
    (
        "dueDate number",
        setting(f"{OPT}.dueDate", 1775000000),
        "paymentOption[0].dueDate: must be an ISO 8601",
    ),
    ("dueDate 30 Feb", setting(f"{OPT}.dueDate", "2026-02-30T00:00:00Z"), "dueDate: must be an ISO 8601"),
    (
        "validity overflow",
        setting("validityDate", "9999-12-31T23:59:59-01:00"),
        "validityDate: must be an ISO",
    ),
    ("due underflow", setting(f"{OPT}.dueDate", "0001-01-01T00:00:00+01:00"), "dueDate: must be an ISO 8601"),
    (
        "metadata not list",
        setting(f"{OPT}.paymentOptionMetadata", {"k": "v"}),
        "paymentOptionMetadata: must be a",
    ),
    ("metadata no value", setting(f"{OPT}.paymentOptionMetadata", [{"key": "k"}]), "[0].value: is required"),
    # strings over their limits and patterns
    ("companyName 141", setting("companyName", "C" * 141), "companyName: must be at most 140 characters"),
    (
        "description 141",
        setting(f"{OPT}.description", "D" * 141),
        "paymentOption[0].description: must be at most",
    ),
    ("fullName 141", setting("fullName", "F" * 141), "fullName: must be at most 140 characters"),
    ("officeName 141", setting("officeName", "O" * 141), "officeName: must be at most 140 characters"),
    (
        "remittance 141",
        setting(f"{TR}.remittanceInformation", "R" * 141),
        "remittanceInformation: must be at",
    ),
    ("iupd 257", setting("iupd", "I" * 257), "iupd: must be at most 256 characters"),
    ("iuv 36", setting(f"{OPT}.iuv", "1" * 36), "paymentOption[0].iuv: must be at most 35 characters"),
    ("iuv 35 without nav", setting(f"{OPT}.iuv", "1" * 35), "paymentOption[0].iuv: must be at most 34"),
    ("iban with dashes", setting(f"{TR}.iban", "IT60-X054"), "paymentOption[0].transfer[0].iban: must match"),
    ("iban 36", setting(f"{TR}.iban", "I" * 36), "paymentOption[0].transfer[0].iban: must match"),
    ("country lower", setting("country", "it"), "country: must match"),
    (
        "transfer org 10 digits",
        setting(f"{TR}.organizationFiscalCode", "1234567890"),
        "organizationFiscalCode",
    ),
    ("stampType 3", setting(f"{TR}.stamp", {**STAMP, "stampType": "012"}), "stampType: must be at most 2"),
    ("iupd with NUL", setting("iupd", "IUPD\u0000-1"), "iupd: must not contain NUL"),
    ("name with lone surrogate", setting("fullName", "Mario \ud800"), "fullName: must not contain NUL"),
    # amounts
    ("amount 0", setting(f"{OPT}.amount", 0), "paymentOption[0].amount: must be at least 1"),
    ("amount negative", setting(f"{OPT}.amount", -100), "paymentOption[0].amount: must be at least 1"),
    (
        "transfer amount 0",
        setting(f"{TR}.amount", 0),
        "paymentOption[0].transfer[0].amount: must be at least 1",
    ),
    ("fee negative", setting(f"{OPT}.fee", -1), "paymentOption[0].fee: must be at least 0"),
    (
        "transfers do not sum",
        setting(f"{TR}.amount", 9000),
        "paymentOption[0]: the transfer amounts sum to 9000, not to the option amount 10000",
    ),
    # transfers
    (
        "six transfers",
        setting(f"{OPT}.transfer", [transfer(str(i % 5 + 1), 1) for i in range(6)]),
        "paymentOption[0].transfer: must have at most 5 items",
    ),
    (
        "duplicate idTransfer",
        setting(f"{OPT}.transfer", [transfer("1", 5000), transfer("1", 5000)]),
        "paymentOption[0].transfer: idTransfer values must be distinct",
    ),
    (
        "iban and stamp",
        setting(f"{TR}.stamp", STAMP),
        "paymentOption[0].transfer[0]: exactly one of iban and stamp",
    ),
    (
        "neither iban nor stamp",
        without(f"{TR}.iban"),
        "paymentOption[0].transfer[0]: exactly one of iban and stamp",
    ),
    # dates
    (
        "due before validity",
        setting("validityDate", iso(START + timedelta(days=31))),
        "paymentOption[0].dueDate: must not be before the validity date",
    ),
    (
        "due in the past",
        setting(f"{OPT}.dueDate", iso(START - timedelta(days=1))),
        "paymentOption[0].dueDate: must not be before the validity date (or now)",
    ),
    (
        "retention before due",
        setting(f"{OPT}.retentionDate", iso(START + timedelta(days=29))),
        "paymentOption[0].retentionDate: must not be before the due date",
    ),
    # enums
    ("type X", setting("type", "X"), "type: must be one of F, G"),
    ("type lower", setting("type", "f"), "type: must be one of F, G"),
    (
        "idTransfer 6",
        setting(f"{TR}.idTransfer", "6"),
        "paymentOption[0].transfer[0].idTransfer: must be one of",
    ),
    (
        "idTransfer 0",
        setting(f"{TR}.idTransfer", 0),
        "paymentOption[0].transfer[0].idTransfer: must be one of",
    ),
    # options within one position
    (
        "iuv twice in one position",
        setting("paymentOption", [option("01000000000000001"), option("01000000000000001")]),
        "paymentOption[1].iuv: duplicated in this debt position",
    ),
]


@pytest.mark.parametrize(("change", "detail"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES])
def test_a_bad_body_is_400_naming_the_field_and_changes_nothing(
    api: ApiClient, change: Callable[[Body], None], detail: str
) -> None:
    create(api, position_body("KEEP"), publish=True)
    bad_new, bad_update = position_body("IUPD-1"), position_body("KEEP")
    change(bad_new)
    change(bad_update)

    created = send(api, "post", positions_url() + "?toPublish=true", bad_new)
    updated = send(api, "put", position_url("KEEP"), bad_update)

    assert_problem(created, 400, title=REQUEST_DATA_ERROR, detail=detail)
    assert_problem(updated, 400, title=REQUEST_DATA_ERROR, detail=detail)
    assert listed(api) == ["KEEP"]
    kept = get(api, "KEEP")
    assert (kept["status"], kept["companyName"], kept["lastUpdatedDate"]) == (
        "VALID",
        "Comune di Roma",
        iso(START),
    )


def test_every_broken_rule_is_reported_at_once(api: ApiClient) -> None:
    body = position_body("IUPD-1", validityDate=iso(START - timedelta(days=1)))
    body["paymentOption"][0]["transfer"][0]["amount"] = 1

    response = api.post(positions_url(), json=body)

    assert_problem(response, 400, title=REQUEST_DATA_ERROR, detail="validityDate: must be in the future")
    assert "the transfer amounts sum to 1" in response.get_json()["detail"]


# --- bodies that are not a PaymentPositionModel at all -----------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "detail"),
    [
        ("{bad json", "application/json", "body: must be a JSON object"),
        ("", "application/json", "body: must be a JSON object"),
        ("null", "application/json", "body: must be a JSON object"),
        ("[]", "application/json", "body: must be a JSON object"),
        ('"text"', "application/json", "body: must be a JSON object"),
        ("42", "application/json", "body: must be a JSON object"),
        ("\xff\xfe", "application/json", "body: must be a JSON object"),
        (json.dumps(position_body("IUPD-1")), "text/plain", "body: must be a JSON object (Content-Type"),
        ("[" * 100_000 + "]" * 100_000, "application/json", "body: is nested too deeply"),
    ],
    ids=["malformed", "empty", "null", "list", "string", "number", "not utf-8", "text/plain", "deep nesting"],
)
def test_a_body_that_is_not_a_json_object_is_400(
    api: ApiClient, data: str, content_type: str, detail: str
) -> None:
    create(api, position_body("KEEP"))

    created = api.post(positions_url(), data=data.encode("latin-1"), content_type=content_type)
    updated = api.put(position_url("KEEP"), data=data.encode("latin-1"), content_type=content_type)

    assert_problem(created, 400, title=REQUEST_DATA_ERROR, detail=detail)
    assert_problem(updated, 400, title=REQUEST_DATA_ERROR, detail=detail)
    assert listed(api) == ["KEEP"]
    assert get(api, "KEEP")["status"] == "DRAFT"


def test_a_body_over_1_mib_is_413(api: ApiClient) -> None:
    create(api, position_body("KEEP"))
    huge = position_body("IUPD-1", officeName="x" * (1024 * 1024))

    created = api.post(positions_url(), json=huge)
    updated = api.put(position_url("KEEP"), json={**huge, "iupd": "KEEP"})

    assert_problem(created, 413, title="Request Entity Too Large")
    assert_problem(updated, 413, title="Request Entity Too Large")
    assert listed(api) == ["KEEP"]
    assert get(api, "KEEP")["officeName"] == "Ufficio Tributi"


def test_to_publish_must_be_true_or_false(api: ApiClient) -> None:
    response = api.post(positions_url() + "?toPublish=maybe", json=position_body("IUPD-1"))

    assert_problem(response, 400, title=REQUEST_DATA_ERROR, detail="toPublish: must be true or false")
    assert listed(api) == []


# --- query and path parameters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("status=FOO", "status: must be one of DRAFT"),
        ("status=valid", "status: must be one of DRAFT"),
        ("orderby=X", "orderby: must be one of INSERTED_DATE, IUPD, STATUS, COMPANY_NAME"),
        ("ordering=UP", "ordering: must be ASC or DESC"),
        ("page=-1", "page: must be between 0"),
        ("page=first", "page: must be a whole number"),
        ("limit=0", "limit: must be between 1 and 50"),
        ("limit=51", "limit: must be between 1 and 50"),
        ("limit=ten", "limit: must be a whole number"),
        ("limit=2.5", "limit: must be a whole number"),
        ("due_date_from=2026-13-01", "due_date_from: must be a date like"),
        ("due_date_to=yesterday", "due_date_to: must be a date like"),
        ("payment_date_from=2026-02-30", "payment_date_from: must be a date like"),
        ("payment_date_to=2026-03-02T10:00:00", "payment_date_to: must be a date like"),
    ],
)
def test_a_bad_list_parameter_is_400_naming_it(api: ApiClient, query: str, detail: str) -> None:
    create(api, position_body("KEEP"))

    response = api.get(positions_url() + "?" + query)

    assert_problem(response, 400, title=REQUEST_DATA_ERROR, detail=detail)
    assert listed(api) == ["KEEP"]


def test_extreme_but_valid_date_filters_are_answered(api: ApiClient) -> None:
    create(api, position_body("KEEP"))

    for query in ("due_date_from=0001-01-01", "due_date_to=0001-01-01", "due_date_from=9999-12-31"):
        assert listed(api, query) == []
    assert listed(api, "payment_date_to=9999-12-31") == []


@pytest.mark.parametrize("org", ["1234567890", "123456789012", "ABCDEFGHIJK", "7777777777x"])
def test_a_path_fiscal_code_that_is_not_11_digits_is_400_everywhere(api: ApiClient, org: str) -> None:
    create(api, position_body("IUPD-1"), publish=True)
    calls = [
        ("get", positions_url(org)),
        ("post", positions_url(org)),
        ("get", position_url("IUPD-1", org)),
        ("put", position_url("IUPD-1", org)),
        ("delete", position_url("IUPD-1", org)),
        ("post", position_url("IUPD-1", org) + "/publish"),
        ("post", position_url("IUPD-1", org) + "/invalidate"),
        ("post", paid_url("3" + iuv_for("IUPD-1"), org)),
    ]

    for method, url in calls:
        response = getattr(api, method)(url, json=position_body("IUPD-1"))
        assert_problem(
            response,
            400,
            title=REQUEST_DATA_ERROR,
            detail="organizationfiscalcode: an EC fiscal code is 11 digits",
        )

    assert get(api, "IUPD-1")["status"] == "VALID"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("delete", ""), ("post", "/publish"), ("post", "/invalidate"), ("put", "")],
)
def test_a_path_iupd_with_a_nul_character_is_400(any_db_api: ApiClient, method: str, suffix: str) -> None:
    response = send(any_db_api, method, position_url("IUPD%00") + suffix, position_body("IUPD\u0000"))

    assert_problem(response, 400, title=REQUEST_DATA_ERROR, detail="iupd: must not contain NUL")


def test_a_nav_with_a_nul_character_is_400(any_db_api: ApiClient) -> None:
    assert_problem(any_db_api.post(paid_url("3%0001")), 400, detail="nav: must not contain NUL")


@pytest.mark.parametrize(
    "report",
    [
        {"paymentDate": "yesterday"},
        {"fee": -1},
        {"paymentMethod": "M" * 36},
        {"idReceipt": ["R"]},
        {"pspCompany": "Poste\u0000"},
    ],
)
def test_a_bad_payment_report_is_400_and_the_option_stays_unpaid(api: ApiClient, report: Body) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    response = send(api, "post", paid_url("3" + iuv_for("IUPD-1")), report)

    assert_problem(response, 400, title=REQUEST_DATA_ERROR, detail=next(iter(report)))
    assert get(api, "IUPD-1")["paymentOption"][0]["status"] == "PO_UNPAID"


def test_a_payment_dated_year_1_is_answered_with_a_four_digit_year(api: ApiClient) -> None:
    create(api, position_body("IUPD-1"), publish=True)

    response = api.post(paid_url("3" + iuv_for("IUPD-1")), json={"paymentDate": "0001-01-01T00:00:00Z"})

    assert response.status_code == 200
    assert response.get_json()["paymentDate"] == "0001-01-01T00:00:00.000Z"
    assert get(api, "IUPD-1")["paymentDate"] == "0001-01-01T00:00:00.000Z"


# --- no input makes a 500 ----------------------------------------------------------------

ODD_VALUES: list[Any] = [
    None,
    [],
    {},
    "",
    " ",
    "x",
    0,
    -1,
    1.5,
    -0.0,
    1e308,
    -1e308,
    float("inf"),
    float("nan"),
    2**63,
    -(2**63) - 1,
    10**40,
    True,
    False,
    "true",
    "12345678901234567890",
    "٣٤٥",
    "１２３",
    "\u0000",
    "\ud800",
    "\U0001d518\U0001d52b\U0001d526",
    "é" * 300,
    "a" * 5000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n%x",
    "2026-02-30T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+01:00",
    {"$ref": "#/components"},
    [[[[[[[[[[[]]]]]]]]]]],
    {"a": [{"b": {"c": [None, 1, "x"]}}]},
    [None, 1, "x", {}],
]
FIELDS = [
    "iupd",
    "type",
    "fiscalCode",
    "companyName",
    "switchToExpired",
    "validityDate",
    "payStandIn",
    "paymentOption",
    f"{OPT}",
    f"{OPT}.iuv",
    f"{OPT}.nav",
    f"{OPT}.amount",
    f"{OPT}.dueDate",
    f"{OPT}.retentionDate",
    f"{OPT}.fee",
    f"{OPT}.paymentOptionMetadata",
    f"{OPT}.transfer",
    f"{TR}",
    f"{TR}.idTransfer",
    f"{TR}.amount",
    f"{TR}.iban",
    f"{TR}.postalIban",
    f"{TR}.stamp",
    f"{TR}.organizationFiscalCode",
    f"{TR}.transferMetadata",
]


def _answered_sanely(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert_problem(response, response.status_code)


@pytest.mark.parametrize("value", ODD_VALUES, ids=[repr(v)[:30] for v in ODD_VALUES])
def test_no_odd_json_value_makes_a_500(api: ApiClient, value: Any) -> None:
    create(api, position_body("KEEP"))
    text = json.dumps(value)  # NaN and Infinity go out as the JSON extensions Python also reads

    _answered_sanely(api.post(positions_url(), data=text, content_type="application/json"))
    _answered_sanely(api.put(position_url("KEEP"), data=text, content_type="application/json"))
    _answered_sanely(api.post(paid_url("3" + iuv_for("KEEP")), data=text, content_type="application/json"))
    for n, field in enumerate(FIELDS):
        iupd = f"ODD-{n}"
        body = position_body(iupd, iuv=f"0200000000000{n:04d}")
        setting(field, value)(body)
        _answered_sanely(send(api, "post", positions_url(), body))
        update = position_body("KEEP")
        setting(field, value)(update)
        _answered_sanely(send(api, "put", position_url("KEEP"), update))
    for params in (("limit", "page", "status", "orderby"), ("due_date_from", "payment_date_to", "ordering")):
        query = urlencode(dict.fromkeys(params, str(value)), errors="surrogatepass")
        _answered_sanely(api.get(positions_url() + "?" + query))


@pytest.mark.parametrize(
    "raw",
    [b"{", b"NaN", b"1e400", b"-1e400", b'{"iupd": 1e400}', b"\xef\xbb\xbf{}", b"\x00", b'{"a":' * 5000],
    ids=["open brace", "NaN", "1e400", "-1e400", "huge number field", "BOM", "NUL byte", "unclosed nesting"],
)
def test_no_raw_body_makes_a_500(api: ApiClient, raw: bytes) -> None:
    create(api, position_body("KEEP"))

    _answered_sanely(api.post(positions_url(), data=raw, content_type="application/json"))
    _answered_sanely(api.put(position_url("KEEP"), data=raw, content_type="application/json"))

    assert listed(api) == ["KEEP"]
    assert get(api, "KEEP")["status"] == "DRAFT"
