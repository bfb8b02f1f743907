"""A Receipt as XML: the ``paSendRTV2Request`` document the GPD receipts service returns.

Only the root is in the paForNode namespace: the XSD leaves ``elementFormDefault`` unqualified,
so every inner element is unprefixed. Elements follow the XSD's sequence order; amounts are
``\\d+\\.\\d{2}`` euros; dates are Italian wall-clock time, as the node writes them.
"""

from __future__ import annotations

import base64
import hashlib
import re
import xml.etree.ElementTree as ET

from simulator.domain.italian_time import xsd_date_time
from simulator.domain.money import euro_decimal
from simulator.domain.receipt import Metadata, Receipt, ReceiptTransfer, Subject

PA_FOR_NODE = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd"
PREFIX = "pafn"
MARCA_DA_BOLLO = "http://www.agenziaentrate.gov.it/2014/MarcaDaBollo"
STAMP_AMOUNT = 1600  # the digital stamp (marca da bollo) of type 01 costs 16.00 euros
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all (escaping does not help): C0 controls but tab/LF/CR.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_receipt(
    receipt: Receipt, *, id_broker_pa: str | None = None, id_station: str | None = None, version: int = 2
) -> str:
    """The receipt wrapped in its paSendRTV2Request (``version`` 1: the older paSendRTReq, whose
    receipt has no paymentNote and whose transfers have no companyName). The EC acts as its own
    broker by default, with station ``<broker>_01``."""
    broker = id_broker_pa or receipt.fiscal_code
    # A literal prefixed tag and xmlns attribute: ElementTree's namespace registry is global.
    name = "paSendRTReq" if version == 1 else "paSendRTV2Request"
    root = ET.Element(f"{PREFIX}:{name}", {f"xmlns:{PREFIX}": PA_FOR_NODE})
    _leaf(root, "idPA", receipt.fiscal_code)
    _leaf(root, "idBrokerPA", broker)
    _leaf(root, "idStation", id_station or f"{broker}_01")
    _receipt(ET.SubElement(root, "receipt"), receipt, version)
    ET.indent(root)
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def _receipt(el: ET.Element, r: Receipt, version: int) -> None:
    _leaf(el, "receiptId", r.receipt_id)
    _leaf(el, "noticeNumber", r.notice_number)
    _leaf(el, "fiscalCode", r.fiscal_code)
    _leaf(el, "outcome", r.outcome.value)
    _leaf(el, "creditorReferenceId", r.creditor_reference_id)
    _leaf(el, "paymentAmount", euro_decimal(r.payment_amount))
    _leaf(el, "description", r.description)
    _leaf(el, "companyName", r.company_name)
    _leaf(el, "officeName", r.office_name)
    _subject(ET.SubElement(el, "debtor"), r.debtor)
    transfers = ET.SubElement(el, "transferList")
    for transfer in r.transfers:
        _transfer(ET.SubElement(transfers, "transfer"), transfer, r, version)
    _leaf(el, "idPSP", r.id_psp)
    _leaf(el, "PSPCompanyName", r.psp_company_name)
    _leaf(el, "idChannel", r.id_channel)
    _leaf(el, "channelDescription", r.channel_description)
    if r.payer is not None:
        _subject(ET.SubElement(el, "payer"), r.payer)
    _leaf(el, "paymentMethod", r.payment_method)
    if version != 1:
        _leaf(el, "paymentNote", r.payment_note)
    _leaf(el, "fee", euro_decimal(r.fee))
    _leaf(el, "paymentDateTime", xsd_date_time(r.payment_date_time))
    _leaf(el, "applicationDate", r.application_date.isoformat())
    _leaf(el, "transferDate", r.transfer_date.isoformat())
    _metadata(el, r.metadata)


def _subject(el: ET.Element, s: Subject) -> None:
    identifier = ET.SubElement(el, "uniqueIdentifier")
    _leaf(identifier, "entityUniqueIdentifierType", s.type.value)
    _leaf(identifier, "entityUniqueIdentifierValue", s.fiscal_code)
    _leaf(el, "fullName", s.full_name)
    _leaf(el, "streetName", s.street_name)
    _leaf(el, "civicNumber", s.civic_number)
    _leaf(el, "postalCode", s.postal_code)
    _leaf(el, "city", s.city)
    _leaf(el, "stateProvinceRegion", s.state_province_region)
    _leaf(el, "country", s.country)
    _leaf(el, "e-mail", s.email)


def _transfer(el: ET.Element, t: ReceiptTransfer, r: Receipt, version: int) -> None:
    _leaf(el, "idTransfer", str(t.id_transfer))
    _leaf(el, "transferAmount", euro_decimal(t.amount))
    _leaf(el, "fiscalCodePA", t.fiscal_code_pa)
    if version != 1:
        _leaf(el, "companyName", t.company_name)
    if t.stamp is not None and version != 1:
        _leaf(el, "MBDAttachment", mbd_attachment(r, t))
    else:
        _leaf(el, "IBAN", t.iban or "")
    _leaf(el, "remittanceInformation", t.remittance_information)
    _leaf(el, "transferCategory", t.transfer_category)
    _metadata(el, t.metadata)


def _metadata(parent: ET.Element, items: Metadata) -> None:
    if not items:
        return
    metadata = ET.SubElement(parent, "metadata")
    for key, value in items:
        entry = ET.SubElement(metadata, "mapEntry")
        _leaf(entry, "key", key)
        _leaf(entry, "value", value)


def mbd_attachment(receipt: Receipt, transfer: ReceiptTransfer) -> str:
    """The digital stamp bought with a stamp transfer, base64-encoded as in MBDAttachment.

    The shape follows the Agenzia delle Entrate's marcaDaBollo; the sandbox's is not signed, and
    its IUBD (the stamp's unique id) is derived from the receipt id, so it is reproducible.
    """
    stamp = transfer.stamp
    assert stamp is not None, "only a stamp transfer carries an MBD attachment"
    digest = hashlib.sha256(f"{receipt.receipt_id}/{transfer.id_transfer}".encode()).hexdigest()
    root = ET.Element("marcaDaBollo", {"xmlns": MARCA_DA_BOLLO})
    _leaf(ET.SubElement(root, "PSP"), "Denominazione", receipt.psp_company_name)
    _leaf(root, "IUBD", str(int(digest, 16))[:14])
    _leaf(root, "OraAcquisto", xsd_date_time(receipt.payment_date_time))
    _leaf(root, "Importo", euro_decimal(STAMP_AMOUNT))
    _leaf(root, "TipoBollo", stamp.stamp_type)
    imprint = ET.SubElement(root, "ImprontaDocumento")
    ET.SubElement(imprint, "DigestMethod", {"Algorithm": "http://www.w3.org/2001/04/xmlenc#sha256"})
    _leaf(imprint, "DigestValue", stamp.hash_document)
    _leaf(root, "ProvinciaResidenza", stamp.provincial_residence)
    document = _XML_DECLARATION + ET.tostring(root, encoding="unicode")
    return base64.b64encode(document.encode()).decode("ascii")


def _leaf(parent: ET.Element, tag: str, text: str | None) -> None:
    """An element with text (escaped by ElementTree on output); nothing when the text is None."""
    if text is None:
        return
    ET.SubElement(parent, tag).text = _NOT_XML.sub("", text)
