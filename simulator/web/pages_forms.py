"""The checkout pages' forms: read the posted fields, say what is wrong with each in the user's words.

Each ``parse_*`` returns a ``Form``: the cleaned values and, per field id, the error to show next
to it (empty when the form is valid). Field ids are the real checkout's, and stay stable for tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import MultiDict

from simulator.domain import test_cards
from simulator.domain.codes import QrPayload, parse_qr
from simulator.domain.errors import InvalidCode

REQUIRED = _l("Campo obbligatorio")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL = 254
MAX_HOLDER = 50


@dataclass(slots=True)
class Form:
    """Values as typed (to show them again) and cleaned; errors by field id, in page order."""

    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, LazyString] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def get(self, name: str) -> str:
        return self.raw.get(name, "")


def _read(data: MultiDict[str, str], *names: str) -> Form:
    return Form(raw={n: str(data.get(n, "")).strip() for n in names})


def parse_notice(data: MultiDict[str, str]) -> Form:
    """ "Cosa devi pagare?": Codice Avviso (18 digits, spaces as printed allowed) and the EC's CF."""
    form = _read(data, "billCode", "cf")
    nav = "".join(form.get("billCode").split())
    if not nav:
        form.errors["billCode"] = REQUIRED
    elif not re.fullmatch(r"[0-9]{18}", nav):
        form.errors["billCode"] = _l("Inserisci 18 cifre")
    elif nav[0] not in "0123":
        form.errors["billCode"] = _l("Il codice avviso inizia con 0, 1, 2 o 3")
    cf = form.get("cf")
    if not cf:
        form.errors["cf"] = REQUIRED
    elif not re.fullmatch(r"[0-9]{11}", cf):
        form.errors["cf"] = _l("Inserisci 11 cifre")
    form.raw["nav"] = nav
    return form


def parse_qr_form(data: MultiDict[str, str]) -> tuple[Form, QrPayload | None]:
    form = _read(data, "qrCode")
    if not form.get("qrCode"):
        form.errors["qrCode"] = REQUIRED
        return form, None
    try:
        return form, parse_qr(form.get("qrCode"))
    except InvalidCode:
        form.errors["qrCode"] = _l(
            "Il codice non è valido: deve avere la forma PAGOPA|002|codice avviso|codice fiscale|importo"
        )
        return form, None


def parse_email(data: MultiDict[str, str]) -> Form:
    form = _read(data, "email", "confirmEmail")
    email, confirm = form.get("email"), form.get("confirmEmail")
    if not email:
        form.errors["email"] = REQUIRED
    elif len(email) > MAX_EMAIL or not EMAIL.match(email):
        form.errors["email"] = _l("Inserisci un indirizzo email valido")
    if not confirm:
        form.errors["confirmEmail"] = REQUIRED
    elif "email" not in form.errors and confirm.lower() != email.lower():
        form.errors["confirmEmail"] = _l("Gli indirizzi email devono coincidere")
    return form


def parse_card(data: MultiDict[str, str], today: date) -> Form:
    """Card number (Luhn), expiry mm/aa not in the past by the tenant's clock, CVV, holder."""
    form = _read(data, "number", "expirationDate", "cvv", "name")
    number = test_cards.normalize_number(form.get("number"))
    if not number:
        form.errors["number"] = REQUIRED
    elif not test_cards.luhn_ok(number):
        form.errors["number"] = _l("Inserisci un numero di carta valido")
    expiry_text = form.get("expirationDate")
    expiry = test_cards.parse_expiry(expiry_text) if expiry_text else None
    if not expiry_text:
        form.errors["expirationDate"] = REQUIRED
    elif expiry is None:
        form.errors["expirationDate"] = _l("Inserisci la scadenza nel formato mm/aa")
    elif test_cards.expired(expiry[0], expiry[1], today):
        form.errors["expirationDate"] = _l("La carta è scaduta")
    cvv = form.get("cvv")
    if not cvv:
        form.errors["cvv"] = REQUIRED
    elif not test_cards.cvv_ok(cvv):
        form.errors["cvv"] = _l("Inserisci 3 o 4 cifre")
    holder = form.get("name")
    if not holder:
        form.errors["name"] = REQUIRED
    elif len(holder) > MAX_HOLDER:
        form.errors["name"] = _l("Inserisci al massimo 50 caratteri")
    form.raw["number"] = number
    if expiry is not None:
        form.raw["expiry"] = f"{expiry[0]:02d}/{expiry[1] % 100:02d}"
    return form


def parse_challenge(data: MultiDict[str, str]) -> Form:
    form = _read(data, "otp")
    if not form.get("otp"):
        form.errors["otp"] = REQUIRED
    return form


def shown_again(form: Form, *secret: str) -> dict[str, str]:
    """The values to put back in the form's fields: never a card number or a CVV."""
    return {k: ("" if k in secret else v) for k, v in form.raw.items()}
