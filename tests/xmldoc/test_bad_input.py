"""Bad input: every problem is reported at once, each with its path and code, and no exception escapes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import builders
import pytest

from einvoice.domain.documents import RateGroup
from einvoice.domain.errors import InvalidDocumentError
from einvoice.domain.rates import VatRate
from einvoice.jsondoc.documents import load_document
from einvoice.xmldoc.build import build_invoice, build_receipt
from einvoice.xmldoc.safe import MAX_XML_BYTES
from einvoice.xmldoc.validate import validate_document


def _codes(problems: list) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(p.code, p.path) for p in problems}


def test_an_invoice_with_many_faults_reports_each_of_them() -> None:
    """Wrong totals, a malformed tax code, an over-long name and a series year off the date all come back together."""
    good = builders.invoice(3)
    bad = replace(
        good,
        series="C24TAA",
        seller=replace(good.seller, tax_code="12345", name="X" * 401),
        totals=replace(
            good.totals,
            total_payable=good.totals.total_payable + 1,
            rate_groups=(RateGroup(VatRate.parse("10%"), Decimal(1), Decimal(7)), *good.totals.rate_groups[1:]),
        ),
    )
    problems = validate_document(build_invoice(bad))
    found = _codes(problems)
    assert ("XSD_PATTERN", "/HDon/DLHDon/NDHDon/NBan/MST") in found
    assert ("XSD_LENGTH", "/HDon/DLHDon/NDHDon/NBan/Ten") in found
    assert ("DOC_SERIES", "/HDon/DLHDon/TTChung/KHHDon") in found
    assert ("INV_TOTALS", "/HDon/DLHDon/NDHDon/TToan/TgTTTBSo") in found
    assert ("INV_RATE_GROUPS", "/HDon/DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat[1]/ThTien") in found
    assert ("DOC_WORDS", "/HDon/DLHDon/NDHDon/TToan/TgTTTBChu") in found
    assert all(p.message_vi and p.message_en for p in problems)


def test_an_unknown_rate_in_xml_is_reported_by_schema_and_reader() -> None:
    """A rate outside the list is an XSD enumeration fault and an unreadable rate, with the line's path."""
    xml = build_invoice(builders.invoice(2)).replace(b"<TSuat>10%</TSuat>", b"<TSuat>7%</TSuat>", 1)
    found = _codes(validate_document(xml))
    assert ("XML_RATE", "/HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[1]/TSuat") in found
    assert any(code.startswith("XSD_") and path.endswith("HHDVu[1]/TSuat") for code, path in found)


def test_an_unknown_rate_in_json_names_the_field() -> None:
    """JSON input with an unknown rate, or a goods line without figures, is refused at each field's own path."""
    data = {
        "kind": "invoice",
        "template": "1",
        "series": "C25TAA",
        "issue_date": "2025-11-20",
        "seller": {"name": "A", "tax_code": "0101234567", "address": "B"},
        "lines": [{"name": "x", "quantity": "1", "unit_price": "1", "vat_rate": "7%"}, {"name": "y"}],
    }
    with pytest.raises(InvalidDocumentError) as caught:
        load_document(data)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"lines[0].vat_rate", "lines[1].quantity", "lines[1].unit_price"}


def test_receipt_fees_not_summing_are_reported() -> None:
    """A receipt whose total differs from its fees, and a fee whose amount is wrong, give two problems."""
    good = builders.receipt(3)
    bad = replace(good, total=good.total + 1000, fees=(replace(good.fees[0], amount=Decimal(1)), *good.fees[1:]))
    found = _codes(validate_document(build_receipt(bad)))
    assert ("RCT_TOTAL", "/BLai/DLBLai/NDBLai/TToan/TgTTTBSo") in found
    assert ("RCT_FEE_AMOUNT", "/BLai/DLBLai/NDBLai/DSPhi/LPhi[1]/TPhi") in found


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE HDon [<!ENTITY x "boom">]><HDon>&x;</HDon>', "XML_DTD_FORBIDDEN"),
        (b'<!DOCTYPE HDon SYSTEM "http://127.0.0.1:9/evil.dtd"><HDon/>', "XML_DTD_FORBIDDEN"),
        (b"<HDon>&x;</HDon>", "XML_MALFORMED"),
        (b"<HDon><DLHDon></HDon>", "XML_MALFORMED"),
        (b"not xml at all", "XML_MALFORMED"),
        (b"<Other/>", "XML_UNKNOWN_ROOT"),
    ],
)
def test_unsafe_or_malformed_xml_is_refused_with_a_code(xml: bytes, code: str) -> None:
    """DTDs, entities, malformed XML and foreign roots are problems, never exceptions."""
    problems = validate_document(xml)
    assert [p.code for p in problems] == [code]


def test_a_50_mb_file_is_refused_before_parsing() -> None:
    """A 50 MB upload is refused by size at once, without being parsed."""
    huge = b"<HDon>" + b"<a>x</a>" * (50 * 1024 * 1024 // 8) + b"</HDon>"
    assert len(huge) > MAX_XML_BYTES
    problems = validate_document(huge)
    assert [p.code for p in problems] == ["XML_TOO_LARGE"]


def test_control_characters_in_json_name_the_field() -> None:
    """Text an XML document cannot carry is refused at the field, before anything is built."""
    data = {
        "kind": "receipt",
        "template": "EBL01",
        "series": "25T",
        "issue_date": "2025-11-20",
        "collector": {"name": "A\x01B", "tax_code": "0109999999", "address": "X"},
        "payer": {"name": "Trần Thị Bích\x0c"},
        "fees": [{"name": "Lệ phí", "unit_price": "2000"}],
    }
    with pytest.raises(InvalidDocumentError) as caught:
        load_document(data)
    assert {p.path for p in caught.value.problems} == {"collector.name", "payer.name"}
