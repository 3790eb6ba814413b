"""Golden files: each JSON scenario under tests/golden builds exactly the committed XML, which is valid.

A missing or different golden file fails. To regenerate after a deliberate format change, run the tests with
``EINVOICE_REGENERATE_GOLDEN=1`` and review the diff before committing.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from einvoice.domain.documents import Invoice
from einvoice.jsondoc.documents import load_document
from einvoice.xmldoc.build import build_invoice, build_receipt
from einvoice.xmldoc.parse import parse_document
from einvoice.xmldoc.validate import validate_document

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SCENARIOS = sorted(p.stem for p in GOLDEN.glob("*.json"))
REGENERATE = os.environ.get("EINVOICE_REGENERATE_GOLDEN") == "1"


def _build(name: str) -> tuple[Invoice | object, bytes]:
    document = load_document(json.loads((GOLDEN / f"{name}.json").read_text("utf-8"), parse_float=Decimal))
    xml = build_invoice(document) if isinstance(document, Invoice) else build_receipt(document)  # type: ignore[arg-type]
    return document, xml


def test_there_are_ten_scenarios() -> None:
    """The golden set covers the ten scenarios the format work promised."""
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("name", SCENARIOS)
def test_build_matches_golden_file(name: str) -> None:
    """Building the scenario gives the committed XML byte for byte; a missing golden file is a failure."""
    _, xml = _build(name)
    golden = GOLDEN / f"{name}.xml"
    if REGENERATE:
        golden.write_bytes(xml)
    assert golden.exists(), f"missing golden file {golden.name}; regenerate with EINVOICE_REGENERATE_GOLDEN=1"
    assert xml == golden.read_bytes()


@pytest.mark.parametrize("name", SCENARIOS)
def test_golden_file_is_valid_and_reads_back(name: str) -> None:
    """Each golden file passes XSD and every business rule, and parses back to the document it came from."""
    document, _ = _build(name)
    golden = (GOLDEN / f"{name}.xml").read_bytes()
    assert validate_document(golden) == []
    assert parse_document(golden) == document
