"""nodoChiediCopiaRT on the wire: the request's fields as NodoPerPa.wsdl types them, the answer's
two shapes, and the RT read back from the paaInviaRT the node wrote."""

from __future__ import annotations

import base64

import pytest

from simulator.soap import nodo_per_pa as nodo
from simulator.soap.envelope import unwrap

PPT = nodo.PPT
FIELDS = {
    "identificativoIntermediarioPA": "77777777777",
    "identificativoStazioneIntermediarioPA": "77777777777_01",
    "password": "pwdpwd123",
    "identificativoDominio": "77777777777",
    "identificativoUnivocoVersamento": "02000000000000456",
    "codiceContestoPagamento": "CCP-1",
}


def request(**over: str | None) -> bytes:
    fields = {**FIELDS, **over}
    inner = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items() if v is not None)
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<ppt:nodoChiediCopiaRT xmlns:ppt="{PPT}">{inner}</ppt:nodoChiediCopiaRT></s:Body></s:Envelope>'
    ).encode()


def test_a_well_typed_request_is_read() -> None:
    copy = nodo.read_copy_request(unwrap(request()))

    assert (copy.domain, copy.iuv, copy.ccp, copy.password) == (
        "77777777777",
        "02000000000000456",
        "CCP-1",
        "pwdpwd123",
    )


@pytest.mark.parametrize(
    "over",
    [
        {"identificativoUnivocoVersamento": None},
        {"codiceContestoPagamento": "C" * 36},
        {"password": "1234567"},
        {"password": "1234567890123456"},
        {"identificativoIntermediarioPA": ""},
    ],
    ids=["no-iuv", "long-ccp", "short-password", "long-password", "empty-broker"],
)
def test_a_request_against_the_wsdl_types_is_sintassi_extraxsd(over: dict[str, str | None]) -> None:
    with pytest.raises(nodo.Refusal) as refused:
        nodo.read_copy_request(unwrap(request(**over)))

    assert refused.value.fault_code == "PPT_SINTASSI_EXTRAXSD"


def test_the_answer_holds_the_rt_or_only_the_fault() -> None:
    found = unwrap(nodo.copy_answer(rt="PHJ0Lz4="))
    refused = unwrap(nodo.copy_answer(refusal=nodo.Refusal("PPT_RT_SCONOSCIUTA", "<none>")))

    assert found.tag == f"{{{PPT}}}nodoChiediCopiaRTRisposta"
    assert (found.findtext("tipoFirma"), found.findtext("rt"), found.find("fault")) == ("", "PHJ0Lz4=", None)
    assert refused.findtext("fault/faultCode") == "PPT_RT_SCONOSCIUTA"
    assert refused.findtext("fault/description") == "<none>"
    assert refused.find("rt") is None and refused.find("tipoFirma") is None


def test_the_rt_is_read_back_from_the_paaInviaRT_the_node_wrote() -> None:
    body = nodo.paa_invia_rt(
        id_broker_pa="77777777777",
        id_station="77777777777_01",
        domain="77777777777",
        iuv="02000000000000456",
        ccp="CCP-1",
        rt_xml="<RT>è</RT>",
    )

    iuv, ccp, rt = nodo.rt_of_paa_invia_rt(body.decode()) or ("", "", "")

    assert (iuv, ccp) == ("02000000000000456", "CCP-1")
    assert base64.b64decode(rt).decode() == "<RT>è</RT>"
    assert nodo.rt_of_paa_invia_rt("not xml") is None
    assert nodo.rt_of_paa_invia_rt(nodo.copy_answer(rt="x").decode()) is None
