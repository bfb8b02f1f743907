"""The checkout pages (reference §2), server-rendered: plain links and forms, POST-redirect-GET.

Each view parses its form, makes one service call and renders or redirects. Where a page stands in
the flow is decided by ``pages_flow``; every error becomes a page in ``simulator.web.errors``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from simulator.domain import psps, test_cards
from simulator.domain.cart import Ending, check_cart_id
from simulator.domain.codes import parse_rpt_id
from simulator.domain.italian_time import wall_clock
from simulator.domain.payment import shown_outcome
from simulator.services import checkout, journey
from simulator.services.unit import Unit
from simulator.web import pages_flow as flow
from simulator.web import pages_forms as forms
from simulator.web import pages_session as ps
from simulator.web.errors import see_other
from simulator.web.pages_text import euro, outcome_text, test_card_rows
from simulator.web.pipeline import sandbox, tenant

bp = Blueprint("pages", __name__)

LABELS = {
    "qrCode": _l("Codice QR"),
    "billCode": _l("Codice Avviso"),
    "cf": _l("Codice Fiscale Ente Creditore"),
    "email": _l("Indirizzo email"),
    "confirmEmail": _l("Ripeti l'indirizzo email"),
    "methods": _l("Metodo di pagamento"),
    "psps": _l("Gestore del pagamento"),
    "number": _l("Numero della carta"),
    "expirationDate": _l("Scadenza"),
    "cvv": _l("Codice di sicurezza"),
    "name": _l("Titolare della carta"),
    "otp": _l("Codice di verifica"),
}
INVALID = 422  # a form with errors is shown again with this status


def page(template: str, heading: str, status: int = 200, **context: Any) -> Response:
    html = render_template(f"pages/{template}", heading=heading, labels=LABELS, **context)
    return Response(html, status=status, mimetype="text/html")


# --- entry points -------------------------------------------------------------------------------


@bp.get("/")
def home() -> Response:
    return page("home.html", _("Paga un avviso"))


@bp.route("/leggi-codice-qr", methods=["GET", "POST"])
def read_qr() -> Response:
    heading = _("Inserisci il codice QR")
    if request.method == "GET":
        return page("qr.html", heading, form=forms.Form())
    ps.check_csrf()
    form, qr = forms.parse_qr_form(request.form)
    if qr is None:
        return page("qr.html", heading, INVALID, form=form)
    g.fault_back_url = "/leggi-codice-qr"
    _begin_with_notice(qr.fiscal_code, qr.nav.value, amount=qr.amount_cents)
    return see_other("/dati-pagamento")


@bp.route("/inserisci-dati-avviso", methods=["GET", "POST"])
def enter_notice() -> Response:
    heading = _("Cosa devi pagare?")
    if request.method == "GET":
        return page("notice_form.html", heading, form=forms.Form())
    ps.check_csrf()
    form = forms.parse_notice(request.form)
    if not form.ok:
        return page("notice_form.html", heading, INVALID, form=form)
    _begin_with_notice(form.get("cf"), form.get("nav"))
    return see_other("/dati-pagamento")


@bp.get("/<rptid:rpt_id>")
def deep_link(rpt_id: str) -> Response:
    parsed = parse_rpt_id(rpt_id)
    g.fault_back_url = "/"
    _begin_with_notice(parsed.fiscal_code, parsed.nav.value)
    return see_other("/dati-pagamento")


@bp.get("/c/<cart_id>")
def cart_entry(cart_id: str) -> Response:
    """A browser cannot send X-Sandbox-Tenant: without the header, the cart's own tenant applies
    (cart ids are random UUIDs, unique across tenants), found in the request's one unit. An id
    that is no UUID is a malformed link (400), not a cart that could not be found."""
    check_cart_id(cart_id)
    opened = (
        ps.page_unit(entry=True)
        if "X-Sandbox-Tenant" in request.headers
        else sandbox().cart_unit(cart_id, tenant())
    )
    with opened as unit:
        g.journal_tenant = unit.tenant  # the request is journaled in the cart's tenant
        cart = checkout.get_cart(unit, cart_id)  # unknown or expired: the cart-not-found page
        ps.start(unit, journey.for_cart(cart), until=cart.expires_at)
    return see_other("/inserisci-email")


def _begin_with_notice(fiscal_code: str, nav: str, amount: int | None = None) -> None:
    """Verify a notice typed, scanned or deep-linked, and start a session paying it."""
    with ps.page_unit(entry=True) as unit:
        ps.start(unit, journey.for_notice(unit, fiscal_code, nav, amount))


# --- the flow ------------------------------------------------------------------------------------
# Each view reads and writes in one unit (a GET that only shows the session's state reads), then
# renders outside it.


@bp.get("/dati-pagamento")
def payment_details() -> Response:
    with ps.page_unit(write=False) as unit:
        current = flow.step(unit, flow.Need.NOTHING)
    back = "/" if current.state.origin == ps.ORIGIN_CART else "/inserisci-dati-avviso"
    return page("details.html", _("Dati del pagamento"), state=current.state, back_url=back)


@bp.route("/inserisci-email", methods=["GET", "POST"])
def enter_email() -> Response:
    """The email, asked twice as checkout asks it: the cart's ``emailNotice`` fills the first field
    only, the second starts empty until the payer has confirmed the address once. "Indietro" on a
    cart leaves for the cart's cancel URL at once, as checkout does (nothing was activated yet)."""
    heading = _("Inserisci la tua email")
    if request.method == "GET":
        with ps.page_unit(write=False) as unit:
            current = flow.step(unit, flow.Need.NOTHING)
            leave_url = _leave_url(unit, current)
        state = current.state
        email = state.email or ""
        return page(
            "email.html",
            heading,
            state=state,
            form=forms.Form(),
            email_value=email,
            confirm_value=email if state.email_confirmed else "",
            leave_url=leave_url,
        )
    ps.check_csrf()
    with ps.page_unit() as unit:
        current = flow.step(unit, flow.Need.NOTHING)
        form = forms.parse_email(request.form)
        if form.ok:
            current.state.email = form.get("email")
            current.state.email_confirmed = True
            ps.save(unit, current)
        leave_url = _leave_url(unit, current)
    if not form.ok:
        return page(
            "email.html",
            heading,
            INVALID,
            state=current.state,
            form=form,
            email_value=form.get("email"),
            confirm_value=form.get("confirmEmail"),
            leave_url=leave_url,
        )
    return see_other("/scegli-metodo")


def _leave_url(unit: Unit, current: ps.Current) -> str:
    """Where "Indietro" on the first page leads: a cart's cancel URL; a notice's details page."""
    if current.state.origin != ps.ORIGIN_CART:
        return "/dati-pagamento"
    return flow.exit_url(unit, current, Ending.CANCELLED)


@bp.route("/scegli-metodo", methods=["GET", "POST"])
def choose_method() -> Response:
    heading = _("Come vuoi pagare?")
    if request.method == "GET":
        with ps.page_unit(write=False) as unit:
            current = flow.step(unit, flow.Need.EMAIL)
        return page("methods.html", heading, state=current.state, form=None, methods=flow.methods(current))
    ps.check_csrf()
    with ps.page_unit() as unit:
        current = flow.step(unit, flow.Need.EMAIL)
        code = request.form.get("method", "")
        offered = {m.code for m in flow.methods(current)}
        if code in offered:
            current.state.method = code
            if code != psps.PaymentMethod.CP.value:
                current.state.card = None
                _activate(unit, current)
            else:
                ps.save(unit, current)
    if code not in offered:
        form = forms.Form(errors={"methods": _l("Scegli uno dei metodi elencati")})
        return page(
            "methods.html", heading, INVALID, state=current.state, form=form, methods=flow.methods(current)
        )
    return see_other("/inserisci-carta" if code == psps.PaymentMethod.CP.value else "/lista-psp")


@bp.route("/inserisci-carta", methods=["GET", "POST"])
def enter_card() -> Response:
    heading = _("Inserisci i dati della carta")
    if request.method == "GET":
        with ps.page_unit(write=False) as unit:
            flow.step(unit, flow.Need.CARD_METHOD)
        return page("card.html", heading, form=forms.Form(), values={}, cards=test_card_rows())
    ps.check_csrf()
    with ps.page_unit() as unit:
        current = flow.step(unit, flow.Need.CARD_METHOD)
        form = forms.parse_card(request.form, wall_clock(current.now).date())
        if form.ok:
            current.state.card = journey.card_view(form.get("number"), form.get("name"), form.get("expiry"))
            _activate(unit, current, card_number=form.get("number"))
    if not form.ok:
        values = forms.shown_again(form, "number", "cvv")
        return page("card.html", heading, INVALID, form=form, values=values, cards=test_card_rows())
    return see_other("/lista-psp")


def _activate(unit: Unit, current: ps.Current, card_number: str | None = None) -> None:
    """The notices activated (once per session) and the method chosen, with the session, in the
    request's unit: all of it or nothing."""
    journey.activate_and_choose(unit, current.state, card_number=card_number)
    ps.save(unit, current)


@bp.route("/lista-psp", methods=["GET", "POST"])
def choose_psp() -> Response:
    heading = _("Scegli chi gestirà il pagamento")
    if request.method == "POST":
        ps.check_csrf()
    with ps.page_unit(write=request.method == "POST") as unit:
        current = flow.step(unit, flow.Need.ATTEMPT)
        psp_id = request.form.get("psp", "")
        chosen = request.method == "POST" and psp_id in {o.psp.id for o in flow.offers(current)}
        if chosen:
            journey.choose_psp(unit, current.state, psp_id)
            ps.save(unit, current)
    back = "/inserisci-carta" if flow.uses_card(current.state) else "/scegli-metodo"
    if request.method == "GET":
        return page("psps.html", heading, form=None, offers=flow.offers(current), back_url=back)
    if not chosen:
        form = forms.Form(errors={"psps": _l("Scegli uno dei gestori elencati")})
        return page("psps.html", heading, INVALID, form=form, offers=flow.offers(current), back_url=back)
    return see_other("/riepilogo-pagamento")


@bp.route("/riepilogo-pagamento", methods=["GET", "POST"])
def summary() -> Response:
    if request.method == "POST":
        ps.check_csrf()
        with ps.page_unit() as unit:
            current = flow.step(unit, flow.Need.PSP)  # after the payment this already leads to /esito
            pick = request.form.get("scenario") if unit.settings.trainer_mode else None
            led_to = journey.press_pay(unit, current.state, pick or None)
            ps.save(unit, current)
        return see_other("/verifica-3ds" if led_to == journey.CHALLENGE else "/esito")
    with ps.page_unit(write=False) as unit:
        current = flow.step(unit, flow.Need.PSP)
        trainer = flow.trainer_panel(unit, current)
    state = current.state
    return page(
        "summary.html",
        _("Controlla e conferma il pagamento"),
        state=state,
        pay_with=flow.pay_with(state),
        psp_name=flow.psp_name(state.psp_id),
        trainer=trainer,
    )


@bp.route("/verifica-3ds", methods=["GET", "POST"])
def challenge() -> Response:
    heading = _("Conferma il pagamento con la tua banca")
    code = test_cards.CHALLENGE_CODE
    if request.method == "GET":
        with ps.page_unit(write=False) as unit:
            flow.step(unit, flow.Need.CHALLENGE)
        return page("challenge.html", heading, form=forms.Form(), challenge_code=code)
    ps.check_csrf()
    with ps.page_unit() as unit:
        current = flow.step(unit, flow.Need.CHALLENGE)
        form = forms.parse_challenge(request.form)
        if form.ok:
            journey.answer_challenge(unit, current.state, form.get("otp"))
            ps.save(unit, current)
    if not form.ok:
        return page("challenge.html", heading, INVALID, form=form, challenge_code=code)
    return see_other("/esito")


@bp.route("/annulla", methods=["GET", "POST"])
def cancel() -> Response:
    if request.method == "GET":
        with ps.page_unit(write=False) as unit:
            current = flow.step(unit, flow.Need.NOTHING)
        back = flow.resume_url(current.state)
        return page("cancel_confirm.html", _("Vuoi annullare il pagamento?"), back_url=back)
    ps.check_csrf()
    with ps.page_unit() as unit:
        current = flow.step(unit, flow.Need.NOTHING)
        journey.cancel(unit, current.state)
        ps.save(unit, current)
    return see_other("/annullato")


# --- where it ends -----------------------------------------------------------------------------


@bp.get("/esito")
def outcome() -> Response:
    with ps.page_unit(write=False) as unit:
        current = flow.settle_outcome(unit)
        exit_url = flow.exit_url(unit, current)
    state = current.state
    code = shown_outcome(state.outcome).value
    text = outcome_text(code)
    amount = euro(state.total)
    return page(
        "outcome.html",
        str(text.title) % {"amount": amount},
        outcome=code,
        kind=text.kind,
        body=str(text.body) % {"email": state.email or ""},
        charged=text.charged,
        exit_url=exit_url,
        exit_label=_("Torna al sito dell'Ente") if state.return_urls else _("Torna alla home"),
    )


@bp.get("/annullato")
def cancelled() -> Response:
    with ps.page_unit(write=False) as unit:
        current = flow.terminal(unit, Ending.CANCELLED)
        exit_url = flow.exit_url(unit, current, Ending.CANCELLED)
    return _terminal(
        current,
        exit_url,
        "cancelled",
        _("L'operazione è stata annullata"),
        _("Hai annullato il pagamento."),
    )


@bp.get("/errore")
def error_page() -> Response:
    with ps.page_unit(write=False) as unit:
        current = ps.load(unit)
        exit_url = flow.exit_url(unit, current, Ending.ERROR)
    return _terminal(
        current,
        exit_url,
        "error",
        _("Si è verificato un errore imprevisto"),
        _("Non è stato possibile completare il pagamento. Riprova più tardi."),
    )


@bp.get("/sessione-scaduta")
def session_expired() -> Response:
    with ps.page_unit(write=False) as unit:
        current = ps.load(unit)
        exit_url = flow.exit_url(unit, current, Ending.EXPIRED)
    return _terminal(
        current,
        exit_url,
        "expired",
        _("La sessione è scaduta"),
        _("Il tempo a disposizione per completare il pagamento è terminato. Riprova dall'inizio."),
    )


def _terminal(current: ps.Current | None, exit_url: str, ending: str, heading: str, body: str) -> Response:
    in_cart = current is not None and current.state.return_urls is not None
    return page(
        "terminal.html",
        heading,
        ending=ending,
        body=body,
        exit_url=exit_url,
        exit_label=_("Torna al sito dell'Ente") if in_cart else _("Torna alla home"),
    )
