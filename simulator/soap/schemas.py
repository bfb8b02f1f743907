"""Validation against the official XSDs shipped in ``xsd/`` (loaded once, from local files
only: the schemas' imports resolve beside them, nothing is fetched)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import xmlschema

__all__ = ["PA_FOR_NODE_XSD", "RPT_XSD", "first_error"]

XSD_DIR = Path(__file__).parent / "xsd"
PA_FOR_NODE_XSD = XSD_DIR / "wsdl" / "xsd" / "paForNode.xsd"
RPT_XSD = XSD_DIR / "rpt" / "PagInf_RPT_RT_6_2_0.xsd"


@cache
def _schema(path: Path) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(path), allow="local", defuse="always")


def first_error(element: ET.Element, xsd: Path = PA_FOR_NODE_XSD) -> str | None:
    """Why ``element`` (a message, root in the schema's namespace) is invalid, or None."""
    schema = _schema(xsd)
    for error in schema.iter_errors(element):
        where = error.path or ""
        return f"{error.reason or error.message} ({where})" if where else str(error.reason or error.message)
    return None
