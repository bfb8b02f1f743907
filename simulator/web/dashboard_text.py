"""The dashboard's words for each cart state: a sentence, so a state is never told by colour alone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from simulator.domain.cart_status import CartState

STATE_TEXT: dict[CartState, LazyString] = {
    CartState.OPEN: _l("Aperto: nessun pagamento iniziato"),
    CartState.IN_PROGRESS: _l("In corso: il cittadino sta pagando"),
    CartState.PENDING: _l("In attesa: esito non ancora noto (17)"),
    CartState.PAID: _l("Pagato"),
    CartState.FAILED: _l("Non riuscito"),
    CartState.CANCELLED: _l("Annullato dal cittadino"),
    CartState.EXPIRED: _l("Scaduto"),
}
