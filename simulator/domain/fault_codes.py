"""The node's fault-code vocabulary: every code a verify/activate can fail with (the upstream
Checkout API's ``faultCodeDetail`` enumeration), so a scenario naming a code that does not exist is
refused instead of silently becoming GENERIC_ERROR, and the category each code belongs to
(``classify_fault``)."""

from __future__ import annotations

import re
from enum import Enum

__all__ = ["KNOWN_FAULT_CODES", "WRAPPED_EC_FAULT", "FaultCategory", "classify_fault", "is_known_fault_code"]

# Grouped as the enumeration groups them: the node's own (PPT_), the EC's (PAA_) and the PSP
# channel's (CANALE_) codes. Codes that classify_fault does not list fall in GENERIC_ERROR.
_NODE = (
    "PPT_SYSTEM_ERROR",
    "PPT_AUTORIZZAZIONE",
    "PPT_AUTENTICAZIONE",
    "PPT_SINTASSI_XSD",
    "PPT_SINTASSI_EXTRAXSD",
    "PPT_SEMANTICA",
    "PPT_RPT_DUPLICATA",
    "PPT_RPT_SCONOSCIUTA",
    "PPT_RT_SCONOSCIUTA",
    "PPT_RT_NONDISPONIBILE",
    "PPT_SUPERAMENTOSOGLIA",
    "PPT_SEGREGAZIONE",
    "PPT_TIPOFIRMA_SCONOSCIUTO",
    "PPT_ERRORE_FORMATO_BUSTA_FIRMATA",
    "PPT_FIRMA_INDISPONIBILE",
    "PPT_ID_CARRELLO_DUPLICATO",
    "PPT_OPER_NON_STORNABILE",
    "PPT_OPER_NON_REVOCABILE",
    "PPT_WISP_TIMEOUT_RECUPERO_SCELTA",
    "PPT_WISP_SESSIONE_SCONOSCIUTA",
    "PPT_CANALE_ERRORE",
    "PPT_CODIFICA_PSP_SCONOSCIUTA",
    "PPT_PSP_SCONOSCIUTO",
    "PPT_PSP_DISABILITATO",
    "PPT_TIPO_VERSAMENTO_SCONOSCIUTO",
    "PPT_INTERMEDIARIO_PSP_SCONOSCIUTO",
    "PPT_INTERMEDIARIO_PSP_DISABILITATO",
    "PPT_CANALE_IRRAGGIUNGIBILE",
    "PPT_CANALE_SERVIZIO_NONATTIVO",
    "PPT_CANALE_TIMEOUT",
    "PPT_CANALE_NONRISOLVIBILE",
    "PPT_CANALE_INDISPONIBILE",
    "PPT_CANALE_SCONOSCIUTO",
    "PPT_CANALE_DISABILITATO",
    "PPT_CANALE_ERR_PARAM_PAG_IMM",
    "PPT_CANALE_ERRORE_RESPONSE",
    "PPT_RT_DUPLICATA",
    "PPT_ISCRIZIONE_NON_PRESENTE",
    "PPT_ULTERIORE_ISCRIZIONE",
    "PPT_PDD_IRRAGGIUNGIBILE",
    "PPT_ERRORE_EMESSO_DA_PAA",
    "PPT_DOMINIO_SCONOSCIUTO",
    "PPT_DOMINIO_DISABILITATO",
    "PPT_INTERMEDIARIO_PA_SCONOSCIUTO",
    "PPT_INTERMEDIARIO_PA_DISABILITATO",
    "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE",
    "PPT_STAZIONE_INT_PA_SERVIZIO_NONATTIVO",
    "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
    "PPT_STAZIONE_INT_PA_TIMEOUT",
    "PPT_STAZIONE_INT_PA_NONRISOLVIBILE",
    "PPT_STAZIONE_INT_PA_INDISPONIBILE",
    "PPT_STAZIONE_INT_PA_SCONOSCIUTA",
    "PPT_STAZIONE_INT_PA_DISABILITATA",
    "PPT_ID_FLUSSO_SCONOSCIUTO",
    "PPT_LOCAL_ERROR_PROTOCOLLO",
    "PPT_LOCAL_ERROR_EXTRAXSD",
    "PPT_LOCAL_ERROR_FSM",
    "PPT_RT_SEGNO_DISCORDE",
    "PPT_IBAN_NON_CENSITO",
    "PPT_RT_IN_GESTIONE",
    "PPT_IMPORTO_ERRATO",
    "PPT_TOKEN_SCONOSCIUTO",
    "PPT_TOKEN_SCADUTO",
    "PPT_POSIZIONE_SCONOSCIUTA",
    "PPT_DATI_POSIZIONE_GIA_CONOSCIUTI",
    "PPT_ESITO_GIA_ACQUISITO",
    "PPT_PAGAMENTO_IN_CORSO",
    "PPT_PAGAMENTO_DUPLICATO",
    "PPT_MULTI_BENEFICIARIO",
    "PPT_ERRORE",
    "OGGETTO_DISABILITATO",
)
_EC = (
    "PAA_ID_DOMINIO_ERRATO",
    "PAA_ID_INTERMEDIARIO_ERRATO",
    "PAA_STAZIONE_INT_ERRATA",
    "PAA_RPT_SCONOSCIUTA",
    "PAA_RT_DUPLICATA",
    "PAA_TIPOFIRMA_SCONOSCIUTO",
    "PAA_ERRORE_FORMATO_BUSTA_FIRMATA",
    "PAA_FIRMA_INDISPONIBILE",
    "PAA_FIRMA_ERRATA",
    "PAA_PAGAMENTO_SCONOSCIUTO",
    "PAA_PAGAMENTO_DUPLICATO",
    "PAA_PAGAMENTO_IN_CORSO",
    "PAA_PAGAMENTO_ANNULLATO",
    "PAA_PAGAMENTO_SCADUTO",
    "PAA_SINTASSI_XSD",
    "PAA_SINTASSI_EXTRAXSD",
    "PAA_SEMANTICA",
    "PAA_ATTIVA_RPT_IMPORTO_NON_VALIDO",
    "PAA_SYSTEM_ERROR",
    "PAA_CONVENZIONE_NON_VALIDA",
)
_PSP_CHANNEL = (
    "CANALE_SINTASSI_XSD",
    "CANALE_SINTASSI_EXTRAXSD",
    "CANALE_SEMANTICA",
    "CANALE_RPT_DUPLICATA",
    "CANALE_RPT_SCONOSCIUTA",
    "CANALE_RPT_RIFIUTATA",
    "CANALE_RT_SCONOSCIUTA",
    "CANALE_RT_NON_DISPONIBILE",
    "CANALE_INDISPONIBILE",
    "CANALE_RICHIEDENTE_ERRATO",
    "CANALE_SYSTEM_ERROR",
    "CANALE_FIRMA_SCONOSCIUTA",
    "CANALE_BUSTA_ERRATA",
    "CANALE_NEGA_CONTABILIZZAZIONE",
    "CANALE_CARRELLO_DUPLICATO_KO",
    "CANALE_CARRELLO_DUPLICATO_UNKNOWN",
    "CANALE_CARRELLO_DUPLICATO_OK",
    "CANALE_CONVENZIONE_NON_VALIDA",
)

KNOWN_FAULT_CODES: frozenset[str] = frozenset(_NODE + _EC + _PSP_CHANNEL)


def is_known_fault_code(code: str) -> bool:
    return code in KNOWN_FAULT_CODES


# --- categories (reference §2) -------------------------------------------------------------------


class FaultCategory(Enum):
    """Checkout's ``faultCodeCategory`` of a failed verify/activate."""

    PAYMENT_UNKNOWN = "PAYMENT_UNKNOWN"
    PAYMENT_DATA_ERROR = "PAYMENT_DATA_ERROR"
    PAYMENT_ONGOING = "PAYMENT_ONGOING"
    PAYMENT_EXPIRED = "PAYMENT_EXPIRED"
    PAYMENT_CANCELED = "PAYMENT_CANCELED"
    PAYMENT_DUPLICATED = "PAYMENT_DUPLICATED"
    PAYMENT_UNAVAILABLE = "PAYMENT_UNAVAILABLE"
    DOMAIN_UNKNOWN = "DOMAIN_UNKNOWN"
    GENERIC_ERROR = "GENERIC_ERROR"

    @property
    def shows_detail(self) -> bool:
        """Whether the page shows the fault code ("Codice di errore per l'assistenza")."""
        return self in _SHOWS_DETAIL


_SHOWS_DETAIL = frozenset(
    {FaultCategory.DOMAIN_UNKNOWN, FaultCategory.PAYMENT_UNAVAILABLE, FaultCategory.PAYMENT_DATA_ERROR}
)

# The reference table, completed with the upstream API's enumerations where the table says "...".
_FAULT_CODES: dict[str, FaultCategory] = {
    code: category
    for category, codes in (
        (FaultCategory.PAYMENT_UNKNOWN, ("PAA_PAGAMENTO_SCONOSCIUTO",)),
        (
            FaultCategory.PAYMENT_DATA_ERROR,
            (
                "PPT_SINTASSI_EXTRAXSD",
                "PPT_SINTASSI_XSD",
                "PPT_DOMINIO_SCONOSCIUTO",
                "PPT_STAZIONE_INT_PA_SCONOSCIUTA",
            ),
        ),
        (FaultCategory.PAYMENT_ONGOING, ("PPT_PAGAMENTO_IN_CORSO", "PAA_PAGAMENTO_IN_CORSO")),
        (FaultCategory.PAYMENT_EXPIRED, ("PAA_PAGAMENTO_SCADUTO",)),
        (FaultCategory.PAYMENT_CANCELED, ("PAA_PAGAMENTO_ANNULLATO",)),
        (FaultCategory.PAYMENT_DUPLICATED, ("PAA_PAGAMENTO_DUPLICATO", "PPT_PAGAMENTO_DUPLICATO")),
        (
            FaultCategory.PAYMENT_UNAVAILABLE,
            (
                "PPT_INTERMEDIARIO_PSP_SCONOSCIUTO",
                "PPT_INTERMEDIARIO_PSP_DISABILITATO",
                "PPT_AUTENTICAZIONE",
                "PPT_AUTORIZZAZIONE",
                "PPT_DOMINIO_DISABILITATO",
                "PPT_INTERMEDIARIO_PA_DISABILITATO",
                "PPT_STAZIONE_INT_PA_DISABILITATA",
                "PPT_CODIFICA_PSP_SCONOSCIUTA",
                "PPT_SEMANTICA",
                "PPT_SYSTEM_ERROR",
                "PAA_SEMANTICA",
            ),
        ),
        (
            FaultCategory.DOMAIN_UNKNOWN,
            (
                "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE",
                "PPT_STAZIONE_INT_PA_TIMEOUT",
                "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
                "PPT_IBAN_NON_CENSITO",
                "PAA_SYSTEM_ERROR",
                "PAA_STAZIONE_INT_ERRATA",
                "PAA_ATTIVA_RPT_IMPORTO_NON_VALIDO",
                "PPT_ERRORE_EMESSO_DA_PAA",
            ),
        ),
    )
    for code in codes
}
_FAULT_PREFIXES = (
    ("PPT_PSP_", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PPT_CANALE_", FaultCategory.PAYMENT_UNAVAILABLE),
    ("PAA_SINTASSI_", FaultCategory.DOMAIN_UNKNOWN),
    ("PAA_ID_", FaultCategory.DOMAIN_UNKNOWN),
)
WRAPPED_EC_FAULT = "PPT_ERRORE_EMESSO_DA_PAA"
_REAL_CODE = re.compile(r"(PAA|PPT)_\S+")


def classify_fault(fault_code: str, description: str | None = None) -> tuple[FaultCategory, str]:
    """(faultCodeCategory, faultCodeDetail) of a node fault. An EC fault wrapped by the node as
    PPT_ERRORE_EMESSO_DA_PAA is classified by the real code found in its description."""
    code = fault_code.strip()
    if code == WRAPPED_EC_FAULT and description:
        match = _REAL_CODE.search(description)
        if match:
            code = match.group(0)
    category = _FAULT_CODES.get(code)
    if category is None:
        category = next(
            (cat for prefix, cat in _FAULT_PREFIXES if code.startswith(prefix)), FaultCategory.GENERIC_ERROR
        )
    return category, code
