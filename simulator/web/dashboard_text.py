"""The dashboard's words for what it shows: each cart state with a sentence (state is never told
by colour alone), and the outcome's name next to its code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from simulator.domain.cart_status import CartState
from simulator.domain.outcomes import OutcomeCode

STATE_TEXT: dict[CartState, LazyString] = {
    CartState.OPEN: _l("Aperto: nessun pagamento iniziato"),
    CartState.IN_PROGRESS: _l("In corso: il cittadino sta pagando"),
    CartState.PENDING: _l("In attesa: esito non ancora noto (17)"),
    CartState.PAID: _l("Pagato"),
    CartState.FAILED: _l("Non riuscito"),
    CartState.CANCELLED: _l("Annullato dal cittadino"),
    CartState.EXPIRED: _l("Scaduto"),
}


def outcome_name(code: OutcomeCode | None) -> str:
    return "" if code is None else f"{code.value} {code.name}"
