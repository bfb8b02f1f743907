"""The XSDs the sandbox validates with at run time are the official ones: byte for byte the copies
of pagopa/pagopa-api in ../shared/specs (skipped, with a message, where they are absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.soap.schemas import PA_FOR_NODE_XSD, XSD_DIR

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "pagopa-api"

pytestmark = pytest.mark.contract


@pytest.mark.parametrize(
    ("shipped", "official"),
    [
        (PA_FOR_NODE_XSD, "wsdl/xsd/paForNode.xsd"),
        (XSD_DIR / "xsd-common" / "sac-common-types-1.0.xsd", "xsd-common/sac-common-types-1.0.xsd"),
    ],
)
def test_the_shipped_schema_is_the_official_one(shipped: Path, official: str) -> None:
    source = SPECS / official
    if not source.exists():
        pytest.skip(f"the official specs are not at {SPECS}")
    assert shipped.read_bytes() == source.read_bytes()
