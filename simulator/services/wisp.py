"""Modello 1 as production now runs it (WISP dismantling): a station's ``nodoInviaRPT`` /
``nodoInviaCarrelloRPT`` becomes a Checkout cart of the RPTs' notices; the node answers with a
WISP-shaped address (``/wisp-converter/redirect/api/v1/payments?sessionId=...``) that leads to
the cart; the citizen returns to the station's redirect URL with ``idSession`` and ``esito``;
each paid RPT's RT reaches the station with ``paaInviaRT``, through the outbox.

The cart's id is derived from the tenant, the broker and the cart's key (identificativoCarrello,
or domain+IUV+CCP for a single RPT), so a second submission of the same key is found and refused
(PPT_ID_CARRELLO_DUPLICATO / PPT_RPT_DUPLICATA) without a table of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from simulator.domain.cart import Cart, PaymentNotice, ReturnUrls
from simulator.domain.codes import parse_nav
from simulator.domain.errors import DomainError, SandboxNotFound
from simulator.domain.notification import Delivery, DeliveryQuery
from simulator.domain.receipt import Receipt
from simulator.domain.rpt import Rpt, WispRpt, WispSession, read_rpt, render_rt
from simulator.domain.station import Station
from simulator.services import checkout, notices
from simulator.services.checkout import CartRequest
from simulator.services.station import station_of, unsent
from simulator.services.unit import Unit
from simulator.soap import nodo_per_pa as nodo
from simulator.soap.safe_xml import parse
from simulator.soap.schemas import RPT_XSD, first_error
from simulator.storage.checkout import recent_carts

__all__ = ["REDIRECT_PATH", "RT_OPERATION", "copy_rt", "enqueue_rt", "session_cart", "start"]

REDIRECT_PATH = "/wisp-converter/redirect/api/v1/payments"
RT_OPERATION = "paaInviaRT"
RECENT_CARTS = 1000  # how far back nodoChiediCopiaRT looks for the RPT, newest carts first
_SESSIONS = uuid.UUID("6f1c3b52-8d0e-4d55-9a57-3c1f3f0c2a11")  # the namespace of derived cart ids


def start(unit: Unit, submission: nodo.Submission, base_url: str) -> str:
    """The address to send the citizen to, once every RPT is valid and the station known; else
    ``nodo.Refusal`` with production's code, and nothing is stored."""
    roots = [nodo.read_rpt(item) for item in submission.items]
    rpts = [read_rpt(root) for root in roots]
    for item, rpt in zip(submission.items, rpts, strict=True):
        if (item.domain, item.iuv, item.ccp) != (rpt.domain, rpt.iuv, rpt.ccp):
            raise nodo.Refusal("PPT_SEMANTICA", f"RPT {item.iuv}: the header's domain, IUV or CCP differ")
    station = _known_station(
        unit, submission.id_broker_pa, submission.id_station, submission.password, [r.domain for r in rpts]
    )
    if station.redirect_url is None:
        raise nodo.Refusal("PPT_STAZIONE_INT_PA_SCONOSCIUTA", "the station has no redirectUrl in the sandbox")
    first = rpts[0]
    key = submission.cart_id or f"{first.domain}{first.iuv}{first.ccp}"
    cart_id = str(uuid.uuid5(_SESSIONS, f"{unit.tenant}|{submission.id_broker_pa}|{key}"))
    if unit.checkout.cart(cart_id) is not None:
        if submission.cart_id is not None:
            raise nodo.Refusal("PPT_ID_CARRELLO_DUPLICATO", f"identificativoCarrello {key} was already sent")
        raise nodo.Refusal("PPT_RPT_DUPLICATA", f"RPT {first.iuv} was already sent")
    session_id = f"{submission.id_broker_pa}_{cart_id}"
    navs = [_nav(unit, rpt) for rpt in rpts]
    session = WispSession(
        session_id=session_id,
        id_broker_pa=submission.id_broker_pa,
        id_station=submission.id_station,
        redirect_url=station.redirect_url,
        rpts=tuple(
            WispRpt(rpt.domain, rpt.iuv, rpt.ccp, nav, item.rpt.decode("utf-8", "replace"))
            for rpt, nav, item in zip(rpts, navs, submission.items, strict=True)
        ),
    )
    request = CartRequest(
        notices=tuple(
            PaymentNotice(nav, rpt.domain, rpt.total, rpt.beneficiary, rpt.description)
            for rpt, nav in zip(rpts, navs, strict=True)
        ),
        return_urls=ReturnUrls(
            ok=_return_url(station.redirect_url, session_id, "OK"),
            cancel=_return_url(station.redirect_url, session_id, "ERROR"),
            error=_return_url(station.redirect_url, session_id, "ERROR"),
        ),
        api_version=1,
        email=first.payer_email,
        id_cart=key,
    )
    try:
        checkout.create_cart(unit, request, cart_id=cart_id, wisp=session)
    except DomainError as exc:
        raise nodo.Refusal("PPT_SEMANTICA", exc.message[:300]) from None
    return f"{base_url}{REDIRECT_PATH}?sessionId={session_id}"


def session_cart(unit: Unit, session_id: str) -> Cart:
    """The cart of a WISP session id (``<idBrokerPA>_<cartId>``), or SandboxNotFound."""
    cart_id = session_id.rpartition("_")[2]
    try:
        cart = unit.checkout.cart(str(uuid.UUID(cart_id)))
    except ValueError:
        cart = None
    if cart is None or cart.wisp is None or cart.wisp.session_id != session_id:
        raise SandboxNotFound("WISP session", session_id)
    return cart


def enqueue_rt(
    unit: Unit, cart: Cart, receipt: Receipt, *, at: datetime, scenario_id: str | None = None
) -> Delivery | None:
    """paaInviaRT of the RT of the paid RPT, to the station, written to the outbox in the payment's
    transaction (retried as notifications are; ``scenario_id``'s station step may answer it).
    None when the RPT's EC has no station any more."""
    session = cart.wisp
    assert session is not None
    rpt = session.rpt_for(receipt.fiscal_code, receipt.notice_number)
    station = station_of(unit, receipt.fiscal_code)
    if rpt is None or station is None:
        return None
    rt = render_rt(
        parse(rpt.xml.encode()),
        receipt_id=receipt.receipt_id,
        paid_at=receipt.payment_date_time,
        psp_id=receipt.id_psp,
        psp_name=receipt.psp_company_name,
        fee=receipt.fee,
    )
    error = first_error(parse(rt.encode()), RPT_XSD)
    if error is not None:  # never sent: the station would rightly refuse it
        unsent(unit, RT_OPERATION, cart.id, f"the RT is not valid against its XSD: {error}", at=at)
        return None
    body = nodo.paa_invia_rt(
        id_broker_pa=session.id_broker_pa,
        id_station=session.id_station,
        domain=rpt.domain,
        iuv=rpt.iuv,
        ccp=rpt.ccp,
        rt_xml=rt,
    )
    row = Delivery(
        id="dlv_" + unit.ids.hex(),
        webhook_id="msg_" + unit.ids.hex(),
        event_type=RT_OPERATION,
        fiscal_code=receipt.fiscal_code,
        url=station.url,
        body=body.decode(),
        created_at=at,
        next_attempt_at=at,
        cart_id=cart.id,
        scenario_id=scenario_id,
    )
    unit.notifications.insert_deliveries([row])
    return row


def copy_rt(unit: Unit, request: nodo.CopyRequest) -> str:
    """nodoChiediCopiaRT: the RT (base64) the node sent the station for the RPT of ``request``'s
    domain, IUV and CCP, as production's converter keeps it; else ``nodo.Refusal``:
    PPT_RT_NONDISPONIBILE while the RPT has no RT (not paid, or its receipt not made yet),
    PPT_RT_SCONOSCIUTA for an RPT the node never had."""
    _known_station(unit, request.id_broker_pa, request.id_station, request.password, [request.domain])
    key = (request.domain, request.iuv, request.ccp)
    for cart in recent_carts(unit.checkout, RECENT_CARTS):
        if cart.wisp is None or cart.wisp.id_broker_pa != request.id_broker_pa:
            continue
        if not any((r.domain, r.iuv, r.ccp) == key for r in cart.wisp.rpts):
            continue
        sent = unit.notifications.deliveries(DeliveryQuery(event_type=RT_OPERATION, cart_id=cart.id))
        for delivery in sent:
            found = nodo.rt_of_paa_invia_rt(delivery.body)
            if found is not None and delivery.fiscal_code == request.domain and found[:2] == key[1:]:
                return found[2]
        raise nodo.Refusal("PPT_RT_NONDISPONIBILE", "RT non disponibile, riprovare in un secondo momento")
    raise nodo.Refusal("PPT_RT_SCONOSCIUTA", f"no RPT of {request.domain} with this IUV and CCP")


def _known_station(
    unit: Unit, id_broker_pa: str, id_station: str, password: str, domains: list[str]
) -> Station:
    """The station every RPT's EC has in the sandbox, checked as the node checks its caller."""
    found: Station | None = None
    for domain in dict.fromkeys(domains):
        station = station_of(unit, domain)
        if station is None:
            raise nodo.Refusal("PPT_DOMINIO_SCONOSCIUTO", f"{domain} has no station in the sandbox")
        if station.id_broker_pa != id_broker_pa:
            raise nodo.Refusal("PPT_INTERMEDIARIO_PA_SCONOSCIUTO", f"{domain} is not brokered by it")
        if station.id_station != id_station:
            raise nodo.Refusal("PPT_STAZIONE_INT_PA_SCONOSCIUTA", f"{id_station} is not {domain}'s")
        if station.password is not None and station.password != password:
            raise nodo.Refusal("PPT_AUTENTICAZIONE", "wrong password")
        found = found or station
    assert found is not None
    return found


def _nav(unit: Unit, rpt: Rpt) -> str:
    """The notice number the cart pays: ``3`` + the IUV when that is a valid aux-3 notice number;
    otherwise a fresh one of the EC (production's converter creates a position with a new NAV)."""
    if len(rpt.iuv) == 17 and rpt.iuv.isdigit():
        nav = parse_nav("3" + rpt.iuv)
        if nav.check_ok is not False:
            return nav.value
    return notices.fresh_notice(unit, rpt.domain).nav.value


def _return_url(redirect: str, session_id: str, esito: str) -> str:
    joiner = "&" if "?" in redirect else "?"
    return f"{redirect}{joiner}idSession={session_id}&esito={esito}"
