"""Answers the sandbox gives in a station's place when a scenario scripts it: the operation's own
SOAP response with outcome KO and the scripted fault (valid against its schema, so the node's code
reads it as it reads a real one), or a body that is not XML at all."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from simulator.domain.receipt_xml import PA_FOR_NODE
from simulator.soap.envelope import wrap
from simulator.soap.nodo_per_pa import PPT
from simulator.soap.pa_for_node import RESPONSE_OF

__all__ = ["MALFORMED_BODY", "RECEIPT_HELD", "RT_HELD", "ko_answer"]

MALFORMED_BODY = b"<soapenv:Envelope><soapenv:Body><outcome>OK"  # cut short: not XML
RECEIPT_HELD = "PAA_RECEIPT_DUPLICATA"
RT_HELD = "PAA_RT_DUPLICATA"  # modello 1's word for the same thing
_FAULT_STRING = "scripted by the sandbox scenario"


def ko_answer(operation: str, code: str, id_station: str) -> bytes:
    """``operation``'s SOAP answer refusing with the station fault ``code``."""
    if operation == "paaInviaRT":
        return _paa_invia_rt_ko(RT_HELD if code == RECEIPT_HELD else code, id_station)
    root = ET.Element(f"{{{PA_FOR_NODE}}}{RESPONSE_OF[operation]}")
    ET.SubElement(root, "outcome").text = "KO"
    _fault(root, code, id_station)
    return wrap(ET.tostring(root, encoding="unicode"))


def _paa_invia_rt_ko(code: str, id_station: str) -> bytes:
    root = ET.Element(f"{{{PPT}}}paaInviaRTRisposta")
    result = ET.SubElement(root, "paaInviaRTRisposta")
    _fault(result, code, id_station)
    ET.SubElement(result, "esito").text = "KO"
    return wrap(ET.tostring(root, encoding="unicode"))


def _fault(parent: ET.Element, code: str, id_station: str) -> None:
    fault = ET.SubElement(parent, "fault")
    ET.SubElement(fault, "faultCode").text = code
    ET.SubElement(fault, "faultString").text = _FAULT_STRING
    ET.SubElement(fault, "id").text = id_station
