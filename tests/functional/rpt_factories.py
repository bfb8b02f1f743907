"""RPTs and the station's SOAP requests that carry them (nodoInviaRPT, nodoInviaCarrelloRPT),
built as a modello 1 portal builds them."""

from __future__ import annotations

import base64
from typing import Any

from flask.testing import FlaskClient

from tests.functional.station_factories import BROKER, EC, STATION_ID

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PPT = "http://ws.pagamenti.telematici.gov/"
PPT_HEAD = "http://ws.pagamenti.telematici.gov/ppthead"
NODO = "/nodo/nodo-per-pa/v1"


def rpt(iuv: str, ccp: str = "CCP-1", amount: str = "45.00", domain: str = EC, **over: str) -> bytes:
    causale = over.get("causale", f"/RFB/{iuv}/{amount}/TXT/Diritti di segreteria")
    return f"""<pay_i:RPT xmlns:pay_i="http://www.digitpa.gov.it/schemas/2011/Pagamenti/">
<pay_i:versioneOggetto>6.2.0</pay_i:versioneOggetto>
<pay_i:dominio><pay_i:identificativoDominio>{domain}</pay_i:identificativoDominio>
<pay_i:identificativoStazioneRichiedente>{STATION_ID}</pay_i:identificativoStazioneRichiedente></pay_i:dominio>
<pay_i:identificativoMessaggioRichiesta>MSG-{iuv}</pay_i:identificativoMessaggioRichiesta>
<pay_i:dataOraMessaggioRichiesta>2026-03-02T10:00:00</pay_i:dataOraMessaggioRichiesta>
<pay_i:autenticazioneSoggetto>N/A</pay_i:autenticazioneSoggetto>
<pay_i:soggettoPagatore><pay_i:identificativoUnivocoPagatore>
<pay_i:tipoIdentificativoUnivoco>F</pay_i:tipoIdentificativoUnivoco>
<pay_i:codiceIdentificativoUnivoco>RSSMRA80A01H501U</pay_i:codiceIdentificativoUnivoco>
</pay_i:identificativoUnivocoPagatore><pay_i:anagraficaPagatore>Mario Rossi</pay_i:anagraficaPagatore>
<pay_i:e-mailPagatore>mario.rossi@example.com</pay_i:e-mailPagatore></pay_i:soggettoPagatore>
<pay_i:enteBeneficiario><pay_i:identificativoUnivocoBeneficiario>
<pay_i:tipoIdentificativoUnivoco>G</pay_i:tipoIdentificativoUnivoco>
<pay_i:codiceIdentificativoUnivoco>{domain}</pay_i:codiceIdentificativoUnivoco>
</pay_i:identificativoUnivocoBeneficiario>
<pay_i:denominazioneBeneficiario>Comune di Esempio</pay_i:denominazioneBeneficiario></pay_i:enteBeneficiario>
<pay_i:datiVersamento><pay_i:dataEsecuzionePagamento>2026-03-02</pay_i:dataEsecuzionePagamento>
<pay_i:importoTotaleDaVersare>{over.get("total", amount)}</pay_i:importoTotaleDaVersare>
<pay_i:tipoVersamento>PO</pay_i:tipoVersamento>
<pay_i:identificativoUnivocoVersamento>{iuv}</pay_i:identificativoUnivocoVersamento>
<pay_i:codiceContestoPagamento>{ccp}</pay_i:codiceContestoPagamento>
<pay_i:firmaRicevuta>0</pay_i:firmaRicevuta>
<pay_i:datiSingoloVersamento><pay_i:importoSingoloVersamento>{amount}</pay_i:importoSingoloVersamento>
<pay_i:ibanAccredito>IT60X0542811101000000123456</pay_i:ibanAccredito>
<pay_i:causaleVersamento>{causale}</pay_i:causaleVersamento>
<pay_i:datiSpecificiRiscossione>9/0101100IM/</pay_i:datiSpecificiRiscossione>
</pay_i:datiSingoloVersamento></pay_i:datiVersamento></pay_i:RPT>""".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def invia_carrello(
    items: list[tuple[str, str, bytes]],
    cart_id: str = "2026777777777770100001",
    *,
    password: str = "pwdpwd123",
    broker: str = BROKER,
    station: str = STATION_ID,
    domain: str = EC,
) -> bytes:
    """nodoInviaCarrelloRPT of (IUV, CCP, RPT) items."""
    elements = "".join(
        f"<elementoListaRPT><identificativoDominio>{domain}</identificativoDominio>"
        f"<identificativoUnivocoVersamento>{iuv}</identificativoUnivocoVersamento>"
        f"<codiceContestoPagamento>{ccp}</codiceContestoPagamento><rpt>{_b64(doc)}</rpt></elementoListaRPT>"
        for iuv, ccp, doc in items
    )
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:ppt="{PPT}" xmlns:ppthead="{PPT_HEAD}">'
        f"<soapenv:Header><ppthead:intestazioneCarrelloPPT>"
        f"<identificativoIntermediarioPA>{broker}</identificativoIntermediarioPA>"
        f"<identificativoStazioneIntermediarioPA>{station}</identificativoStazioneIntermediarioPA>"
        f"<identificativoCarrello>{cart_id}</identificativoCarrello></ppthead:intestazioneCarrelloPPT>"
        f"</soapenv:Header><soapenv:Body><ppt:nodoInviaCarrelloRPT><password>{password}</password>"
        "<identificativoPSP>AGID_01</identificativoPSP><identificativoIntermediarioPSP>97735020584"
        "</identificativoIntermediarioPSP><identificativoCanale>97735020584_02</identificativoCanale>"
        f"<listaRPT>{elements}</listaRPT></ppt:nodoInviaCarrelloRPT></soapenv:Body></soapenv:Envelope>"
    ).encode()


def invia_rpt(iuv: str, ccp: str, doc: bytes, *, password: str = "pwdpwd123", domain: str = EC) -> bytes:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:ppt="{PPT}" xmlns:ppthead="{PPT_HEAD}">'
        f"<soapenv:Header><ppthead:intestazionePPT>"
        f"<identificativoIntermediarioPA>{BROKER}</identificativoIntermediarioPA>"
        f"<identificativoStazioneIntermediarioPA>{STATION_ID}</identificativoStazioneIntermediarioPA>"
        f"<identificativoDominio>{domain}</identificativoDominio>"
        f"<identificativoUnivocoVersamento>{iuv}</identificativoUnivocoVersamento>"
        f"<codiceContestoPagamento>{ccp}</codiceContestoPagamento></ppthead:intestazionePPT>"
        f"</soapenv:Header><soapenv:Body><ppt:nodoInviaRPT><password>{password}</password>"
        "<identificativoPSP>AGID_01</identificativoPSP><identificativoIntermediarioPSP>97735020584"
        "</identificativoIntermediarioPSP><identificativoCanale>97735020584_02</identificativoCanale>"
        f"<tipoFirma></tipoFirma><rpt>{_b64(doc)}</rpt></ppt:nodoInviaRPT></soapenv:Body></soapenv:Envelope>"
    ).encode()


def post_soap(client: FlaskClient, action: str, body: bytes, path: str = NODO, **headers: Any) -> Any:
    return client.post(
        path,
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"', **headers},
    )


def chiedi_copia_rt(
    iuv: str,
    ccp: str,
    *,
    password: str = "pwdpwd123",
    domain: str = EC,
    station: str = STATION_ID,
) -> bytes:
    """nodoChiediCopiaRT of one RPT (no SOAP header: every field is in the body)."""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:ppt="{PPT}"><soapenv:Header/><soapenv:Body>'
        f"<ppt:nodoChiediCopiaRT><identificativoIntermediarioPA>{BROKER}</identificativoIntermediarioPA>"
        f"<identificativoStazioneIntermediarioPA>{station}</identificativoStazioneIntermediarioPA>"
        f"<password>{password}</password><identificativoDominio>{domain}</identificativoDominio>"
        f"<identificativoUnivocoVersamento>{iuv}</identificativoUnivocoVersamento>"
        f"<codiceContestoPagamento>{ccp}</codiceContestoPagamento></ppt:nodoChiediCopiaRT>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()
