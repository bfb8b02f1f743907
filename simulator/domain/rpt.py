"""Modello 1: the RPT a creditor's station sends (``nodoInviaRPT`` / ``nodoInviaCarrelloRPT``)
and the RT the node sends back (``paaInviaRT``), both in the schema ``PagInf_RPT_RT_6_2_0``
(namespace ``pay_i``, every element qualified). Pure: parsing a validated RPT element, and
building the RT from it and the payment's facts. A payment started this way is a cart whose
``wisp`` session keeps what the return and the receipts need.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from simulator.domain.italian_time import italian_date, xsd_date_time
from simulator.domain.money import euro_decimal

__all__ = ["PAY_I", "Rpt", "RptTransfer", "WispRpt", "WispSession", "read_rpt", "render_rt"]

PAY_I = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"
_Q = f"{{{PAY_I}}}"
PAID_CODE = "0"  # codiceEsitoPagamento: pagamento eseguito


@dataclass(frozen=True, slots=True)
class RptTransfer:
    """One datiSingoloVersamento."""

    amount: int
    causale: str
    dati_specifici: str
    iban: str | None = None


@dataclass(frozen=True, slots=True)
class Rpt:
    domain: str
    message_id: str
    iuv: str
    ccp: str
    total: int  # euro cents
    beneficiary: str  # denominazioneBeneficiario
    payer_email: str | None
    transfers: tuple[RptTransfer, ...]

    @property
    def description(self) -> str:
        return self.transfers[0].causale


@dataclass(frozen=True, slots=True)
class WispRpt:
    """An RPT of a session: who and what it asks to pay, its notice number and its text."""

    domain: str
    iuv: str
    ccp: str
    nav: str
    xml: str


@dataclass(frozen=True, slots=True)
class WispSession:
    """A modello 1 payment: where the citizen returns and which station receives the RTs."""

    session_id: str
    id_broker_pa: str
    id_station: str
    redirect_url: str
    rpts: tuple[WispRpt, ...]

    def rpt_for(self, domain: str, nav: str) -> WispRpt | None:
        return next((r for r in self.rpts if r.domain == domain and r.nav == nav), None)


def _text(parent: ET.Element, path: str) -> str:
    found = parent.find("/".join(_Q + step for step in path.split("/")))
    return (found.text or "").strip() if found is not None else ""


def _cents(text: str) -> int:
    return int(Decimal(text) * 100)


def read_rpt(root: ET.Element) -> Rpt:
    """The fields of an RPT element already valid against its XSD."""
    transfers = tuple(
        RptTransfer(
            amount=_cents(_text(v, "importoSingoloVersamento")),
            causale=_text(v, "causaleVersamento"),
            dati_specifici=_text(v, "datiSpecificiRiscossione"),
            iban=_text(v, "ibanAccredito") or None,
        )
        for v in root.findall(f"{_Q}datiVersamento/{_Q}datiSingoloVersamento")
    )
    return Rpt(
        domain=_text(root, "dominio/identificativoDominio"),
        message_id=_text(root, "identificativoMessaggioRichiesta"),
        iuv=_text(root, "datiVersamento/identificativoUnivocoVersamento"),
        ccp=_text(root, "datiVersamento/codiceContestoPagamento"),
        total=_cents(_text(root, "datiVersamento/importoTotaleDaVersare")),
        beneficiary=_text(root, "enteBeneficiario/denominazioneBeneficiario"),
        payer_email=_text(root, "soggettoPagatore/e-mailPagatore") or None,
        transfers=transfers,
    )


def render_rt(
    rpt_root: ET.Element,
    *,
    receipt_id: str,
    paid_at: datetime,
    psp_id: str,
    psp_name: str,
    fee: int,
) -> str:
    """The RT of a paid RPT (codiceEsitoPagamento 0): the RPT's dominio, enteBeneficiario and
    subjects reported unchanged, one datiSingoloPagamento per datiSingoloVersamento (the PSP's
    fee on the first), identificativoUnivocoRiscossione the receipt id."""
    rpt = read_rpt(rpt_root)
    root = ET.Element(f"{_Q}RT")
    ET.SubElement(root, f"{_Q}versioneOggetto").text = _text(rpt_root, "versioneOggetto") or "6.2.0"
    root.append(_copy(rpt_root, "dominio"))
    ET.SubElement(root, f"{_Q}identificativoMessaggioRicevuta").text = receipt_id[:35]
    ET.SubElement(root, f"{_Q}dataOraMessaggioRicevuta").text = xsd_date_time(paid_at)
    ET.SubElement(root, f"{_Q}riferimentoMessaggioRichiesta").text = rpt.message_id
    ET.SubElement(root, f"{_Q}riferimentoDataRichiesta").text = _text(rpt_root, "dataOraMessaggioRichiesta")[
        :10
    ]
    attestante = ET.SubElement(root, f"{_Q}istitutoAttestante")
    identifier = ET.SubElement(attestante, f"{_Q}identificativoUnivocoAttestante")
    ET.SubElement(identifier, f"{_Q}tipoIdentificativoUnivoco").text = "B"
    ET.SubElement(identifier, f"{_Q}codiceIdentificativoUnivoco").text = psp_id[:16]
    ET.SubElement(attestante, f"{_Q}denominazioneAttestante").text = psp_name[:70]
    root.append(_copy(rpt_root, "enteBeneficiario"))
    versante = rpt_root.find(f"{_Q}soggettoVersante")
    if versante is not None:
        root.append(versante)
    root.append(_copy(rpt_root, "soggettoPagatore"))
    payment = ET.SubElement(root, f"{_Q}datiPagamento")
    ET.SubElement(payment, f"{_Q}codiceEsitoPagamento").text = PAID_CODE
    ET.SubElement(payment, f"{_Q}importoTotalePagato").text = euro_decimal(rpt.total)
    ET.SubElement(payment, f"{_Q}identificativoUnivocoVersamento").text = rpt.iuv
    ET.SubElement(payment, f"{_Q}CodiceContestoPagamento").text = rpt.ccp
    day = italian_date(paid_at).isoformat()
    for i, transfer in enumerate(rpt.transfers):
        single = ET.SubElement(payment, f"{_Q}datiSingoloPagamento")
        ET.SubElement(single, f"{_Q}singoloImportoPagato").text = euro_decimal(transfer.amount)
        ET.SubElement(single, f"{_Q}esitoSingoloPagamento").text = "ESEGUITO"
        ET.SubElement(single, f"{_Q}dataEsitoSingoloPagamento").text = day
        ET.SubElement(single, f"{_Q}identificativoUnivocoRiscossione").text = receipt_id[:35]
        ET.SubElement(single, f"{_Q}causaleVersamento").text = transfer.causale
        ET.SubElement(single, f"{_Q}datiSpecificiRiscossione").text = transfer.dati_specifici
        if i == 0:
            ET.SubElement(single, f"{_Q}commissioniApplicatePSP").text = euro_decimal(fee)
    return ET.tostring(root, encoding="unicode")


def _copy(rpt_root: ET.Element, name: str) -> ET.Element:
    found = rpt_root.find(f"{_Q}{name}")
    if found is None:
        raise ValueError(f"the RPT has no {name}")
    return found
