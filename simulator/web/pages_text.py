"""What the outcome page says for each outcome code (reference §2), and whether money was taken."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from simulator.domain.test_cards import CHALLENGE_CODE, SANDBOX_CARDS, SandboxCard

GENERIC = 1
SHOWN_AS_GENERIC = {99}  # backend error: the front end shows it as 1


@dataclass(frozen=True, slots=True)
class OutcomeText:
    title: LazyString  # may hold {amount}
    body: LazyString
    charged: LazyString  # whether money was taken: every outcome page says it
    kind: str  # success | pending | failure (the page's colour and icon)


NOT_CHARGED = _l("Non ti è stato addebitato alcun importo.")

OUTCOMES: dict[int, OutcomeText] = {
    0: OutcomeText(
        _l("Hai pagato %(amount)s"),
        _l("Riceverai la conferma del pagamento all'indirizzo %(email)s."),
        _l("L'importo è stato addebitato."),
        "success",
    ),
    1: OutcomeText(
        _l("Si è verificato un errore imprevisto"),
        _l("Riprova più tardi."),
        NOT_CHARGED,
        "failure",
    ),
    2: OutcomeText(
        _l("Autorizzazione negata"),
        _l("Il tuo metodo di pagamento non ha autorizzato l'operazione."),
        NOT_CHARGED,
        "failure",
    ),
    3: OutcomeText(
        _l("I dati del metodo di pagamento non sono corretti"),
        _l("Controlla i dati inseriti e riprova."),
        NOT_CHARGED,
        "failure",
    ),
    4: OutcomeText(
        _l("La sessione è scaduta"),
        _l("Il tempo a disposizione per completare il pagamento è terminato."),
        NOT_CHARGED,
        "failure",
    ),
    7: OutcomeText(
        _l("Il metodo di pagamento è scaduto o non più valido"),
        _l("Riprova con un altro metodo di pagamento."),
        NOT_CHARGED,
        "failure",
    ),
    8: OutcomeText(
        _l("L'operazione è stata annullata"),
        _l("Hai annullato il pagamento."),
        NOT_CHARGED,
        "failure",
    ),
    10: OutcomeText(
        _l("Autorizzazione negata"),
        _l("L'importo supera il massimo consentito dal tuo metodo di pagamento."),
        NOT_CHARGED,
        "failure",
    ),
    17: OutcomeText(
        _l("Attendi la conferma del pagamento"),
        _l(
            "Il pagamento è stato preso in carico: riceverai l'esito entro 15 minuti."
            " Non ripetere il pagamento."
        ),
        _l("L'importo potrebbe essere già stato addebitato: lo saprai con l'esito."),
        "pending",
    ),
    18: OutcomeText(
        _l("Il pagamento non è andato a buon fine"),
        _l("L'operazione non è stata completata."),
        _l("L'importo addebitato ti è stato rimborsato."),
        "failure",
    ),
    25: OutcomeText(
        _l("Il pagamento non è andato a buon fine"),
        _l("Il prestatore del servizio di pagamento ha avuto un problema. Riprova più tardi."),
        NOT_CHARGED,
        "failure",
    ),
    116: OutcomeText(
        _l("Il saldo della tua carta è insufficiente"),
        _l("Riprova con un altro metodo di pagamento."),
        NOT_CHARGED,
        "failure",
    ),
    117: OutcomeText(
        _l("Il codice di sicurezza inserito è errato"),
        _l("Controlla il codice di sicurezza (CVV) della carta e riprova."),
        NOT_CHARGED,
        "failure",
    ),
    121: OutcomeText(
        _l("Hai superato il limite di spesa della tua carta"),
        _l("Riprova con un altro metodo di pagamento."),
        NOT_CHARGED,
        "failure",
    ),
}


def shown_code(outcome: int) -> int:
    """The code whose text is shown: unknown codes and 99 are shown as 1."""
    if outcome in SHOWN_AS_GENERIC or outcome not in OUTCOMES:
        return GENERIC
    return outcome


def outcome_text(outcome: int) -> OutcomeText:
    return OUTCOMES[shown_code(outcome)]


METHOD_LABELS: dict[str, LazyString] = {
    "CP": _l("Carta di debito o credito"),
    "RBPR": _l("Conto BancoPosta"),
    "RBPB": _l("BancoPosta Impresa"),
    "RPIC": _l("Conto Intesa Sanpaolo"),
}


def method_label(code: str, fallback: str) -> str:
    label = METHOD_LABELS.get(code)
    return str(label) if label is not None else fallback


def euro(cents: int) -> str:
    """An amount as the page's language writes it (Babel's CLDR data): ``1.234,56 €`` in Italian,
    ``€1,234.56`` in English."""
    return str(format_currency(Decimal(cents).scaleb(-2), "EUR"))


@dataclass(frozen=True, slots=True)
class CardListing:
    """One line of the card page's list of test cards."""

    number: str  # grouped by 4, as printed on a card
    brand: str
    effect: str


def test_card_rows() -> list[CardListing]:
    """The sandbox's test cards and what paying with each does, in the page's language (the
    outcome's own title, so the list says what the outcome page will say)."""
    return [
        CardListing(
            " ".join(c.number[i : i + 4] for i in range(0, len(c.number), 4)), c.brand.title(), _effect(c)
        )
        for c in SANDBOX_CARDS
    ]


def _effect(card: SandboxCard) -> str:
    if card.challenge:
        return str(_("Chiede il codice 3DS (%(code)s), poi il pagamento riesce", code=CHALLENGE_CODE))
    if card.outcome == 0:
        return str(_("Il pagamento riesce"))
    return str(_("Esito %(code)s: %(title)s", code=card.outcome, title=outcome_text(card.outcome).title))
