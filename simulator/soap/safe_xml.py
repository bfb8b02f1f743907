"""Parsing XML that came from outside: no DTD at all (so no entity expansion, no external entity,
no network), a bounded size, and one error type for every way it can be wrong."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = ["MAX_XML_BYTES", "NotXml", "parse", "text_of"]

MAX_XML_BYTES = 1_000_000


class NotXml(ValueError):
    """The bytes are not a well-formed XML document the sandbox accepts (why: ``str(exc)``)."""


def parse(data: bytes) -> ET.Element:
    """The document's root element. A DOCTYPE (where entity bombs and external entities live) is
    refused before anything is expanded or fetched."""
    if len(data) > MAX_XML_BYTES:
        raise NotXml(f"the document is larger than {MAX_XML_BYTES} bytes")
    if not data.strip():
        raise NotXml("the body is empty")
    try:
        root: ET.Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise NotXml(f"refused: {type(exc).__name__} (DTDs and entities are not accepted)") from None
    except ET.ParseError as exc:
        raise NotXml(f"not well-formed XML: {exc}") from None
    return root


def text_of(parent: ET.Element, path: str) -> str | None:
    """The stripped text of the first element at ``path`` (unqualified names), or None."""
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip()
