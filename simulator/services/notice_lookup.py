"""The node's verify of one notice, inside the caller's transaction: a managed EC's notice is
answered from its GPD position, any other EC's is synthetic (payable with the caller's data or
data derived from the NAV); paid -> PAYMENT_DUPLICATED, held by a live token -> PAYMENT_ONGOING."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from typing import Any

from simulator.domain import debt_position as dp
from simulator.domain import payment as pay
from simulator.domain.cart import PaymentNotice
from simulator.domain.codes import parse_fiscal_code, parse_nav
from simulator.domain.errors import InvalidInput, PaymentFault
from simulator.domain.money import MAX_SOAP_CENTS
from simulator.domain.payment import AttemptNotice, FaultCategory, NoticeInfo
from simulator.scenario.station_steps import NO_STATION_SCRIPT, StationStep
from simulator.services import organizations, station
from simulator.services.receipts import SYNTHETIC_DUE_IN
from simulator.services.unit import Unit

__all__ = [
    "DUPLICATED",
    "NODE_DUPLICATED",
    "ONGOING",
    "NoticeLike",
    "NoticeRequest",
    "as_request",
    "attempt_notice",
    "bind_at_station",
    "info_data",
    "lookup",
    "parsed",
]

ONGOING = "PPT_PAGAMENTO_IN_CORSO"
DUPLICATED = "PAA_PAGAMENTO_DUPLICATO"
EC_BAD_RESPONSE = "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE"  # an EC answer the node cannot validate
NODE_DUPLICATED = "PPT_PAGAMENTO_DUPLICATO"  # the node's own record says paid (the EC may not know)

_SYNTHETIC_SUBJECTS = (
    "Tassa sui rifiuti (TARI)",
    "Canone unico patrimoniale",
    "Servizio di mensa scolastica",
    "Sanzione al codice della strada",
    "Diritti di segreteria",
    "Trasporto scolastico",
)


@dataclass(frozen=True, slots=True)
class NoticeRequest:
    """A notice to verify or pay; amount/description/company name only matter for synthetic ones."""

    fiscal_code: str
    nav: str
    amount: int | None = None
    description: str | None = None
    company_name: str | None = None


NoticeLike = PaymentNotice | NoticeInfo | NoticeRequest


def lookup(
    unit: Unit,
    request: NoticeRequest,
    cart_id: str | None = None,
    *,
    from_rpt: bool = False,
    script: StationStep = NO_STATION_SCRIPT,
) -> NoticeInfo:
    """The node's verify of one notice at the unit's now: a payable notice's data, or its
    ``PaymentFault``. An EC with a station is asked (paVerifyPaymentNotice, or its scenario's
    ``script`` answers), not its GPD store; ``from_rpt``: a notice a station's RPT asked to pay
    (modello 1), payable as the RPT says."""
    fiscal_code = parse_fiscal_code(request.fiscal_code)
    nav = parse_nav(request.nav).value
    own_station = None if from_rpt else station.station_of(unit, fiscal_code)
    if from_rpt:
        info = _synthetic_notice(unit, request, fiscal_code, nav)
    elif own_station is not None:
        if unit.receipts.notice_paid(fiscal_code, nav):  # the node knows before asking the station
            raise PaymentFault(FaultCategory.PAYMENT_DUPLICATED, NODE_DUPLICATED)
        info = station.verify(unit, own_station, fiscal_code, nav, cart_id, script.verify)
    elif unit.positions.any_for(fiscal_code):
        info = _managed_notice(unit, fiscal_code, nav)
    else:
        info = _synthetic_notice(unit, request, fiscal_code, nav)
    if info.amount > MAX_SOAP_CENTS:  # the EC's answer breaks paForNode.xsd: the node refuses it
        raise PaymentFault(FaultCategory.DOMAIN_UNKNOWN, EC_BAD_RESPONSE)
    if unit.receipts.get(fiscal_code, info.iuv) is not None:
        raise PaymentFault(FaultCategory.PAYMENT_DUPLICATED, DUPLICATED)
    if unit.receipts.notice_paid(fiscal_code, nav):
        raise PaymentFault(FaultCategory.PAYMENT_DUPLICATED, NODE_DUPLICATED)
    if unit.checkout.lock_holder(fiscal_code, nav, unit.now) is not None:
        raise PaymentFault(FaultCategory.PAYMENT_ONGOING, ONGOING)
    return info


def bind_at_station(
    unit: Unit,
    info: NoticeInfo,
    cart_id: str | None,
    *,
    from_rpt: bool = False,
    script: StationStep = NO_STATION_SCRIPT,
) -> NoticeInfo:
    """At activation, a station's notice is bound to the payment the station describes
    (paGetPayment/paGetPaymentV2); any other notice (or one an RPT asked to pay) is as verified."""
    own_station = None if from_rpt else station.station_of(unit, info.fiscal_code)
    return (
        info if own_station is None else station.activate(unit, own_station, info, cart_id, script.activate)
    )


def _synthetic_notice(unit: Unit, request: NoticeRequest, fiscal_code: str, nav: str) -> NoticeInfo:
    if request.amount is not None and request.amount < 1:
        raise InvalidInput("amount", "is at least 1 euro cent")
    seed = zlib.crc32(nav.encode())
    company = request.company_name or organizations.ensure(unit, fiscal_code).company_name
    return NoticeInfo(
        fiscal_code=fiscal_code,
        nav=nav,
        iuv=parse_nav(nav).iuv,
        amount=request.amount or 1_000 + seed % 99_001,  # 10.00 to 1,000.00 euros
        description=request.description or _SYNTHETIC_SUBJECTS[seed % len(_SYNTHETIC_SUBJECTS)],
        company_name=company,
        due_date=unit.now + SYNTHETIC_DUE_IN,
        synthetic=True,
    )


def _managed_notice(unit: Unit, fiscal_code: str, nav: str) -> NoticeInfo:
    position = unit.positions.by_nav(fiscal_code, nav)
    view = dp.payer_view(position, nav, unit.now)
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


def parsed(request: NoticeRequest) -> NoticeRequest:
    """The request with its codes checked (``InvalidCode`` before any scenario is consulted)."""
    return replace(
        request, fiscal_code=parse_fiscal_code(request.fiscal_code), nav=parse_nav(request.nav).value
    )


def as_request(notice: NoticeLike) -> NoticeRequest:
    if isinstance(notice, NoticeRequest):
        return notice
    if isinstance(notice, PaymentNotice):
        return NoticeRequest(
            notice.fiscal_code, notice.notice_number, notice.amount, notice.description, notice.company_name
        )
    return NoticeRequest(
        notice.fiscal_code, notice.nav, notice.amount, notice.description, notice.company_name
    )


def attempt_notice(info: NoticeInfo, payment_token: str) -> AttemptNotice:
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


def info_data(info: NoticeInfo) -> dict[str, Any]:
    """A verified notice as events record it."""
    return {
        "fiscalCode": info.fiscal_code,
        "noticeNumber": info.nav,
        "amount": info.amount,
        "synthetic": info.synthetic,
    }
