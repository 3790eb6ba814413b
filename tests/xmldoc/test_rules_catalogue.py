"""Every business rule of the catalogue fires on a document made to break it (a table test over ``RULES``)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from einvoice.xmldoc.rules import RULES
from einvoice.xmldoc.validate import validate_document

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


class Breach(NamedTuple):
    """A golden document, the edits that break one rule, and where the rule must point."""

    golden: str
    edits: tuple[tuple[str, str], ...]
    path: str


_INV = "/HDon/DLHDon"
_RCT = "/BLai/DLBLai"
#: rule code -> a document that breaks it (one per rule, and per kind for the rules written for both).
BREACHES: dict[tuple[str, str], Breach] = {
    ("INV_LINE_AMOUNT", "invoice"): Breach(
        "01-vat-two-rates", (("<DGia>4500000<", "<DGia>4500001<"),), f"{_INV}/NDHDon/DSHHDVu/HHDVu[1]/ThTien"
    ),
    ("INV_LINE_RATE", "invoice"): Breach(
        "03-sales-invoice",
        (("<ThTien>600000</ThTien></HHDVu>", "<ThTien>600000</ThTien><TSuat>10%</TSuat></HHDVu>"),),
        f"{_INV}/NDHDon/DSHHDVu/HHDVu[1]/TSuat",
    ),
    ("INV_NOTE_LINE", "invoice"): Breach(
        "04-promotion-and-trade-discount",
        (("Long Biên</THHDVu></HHDVu>", "Long Biên</THHDVu><ThTien>1000</ThTien></HHDVu>"),),
        f"{_INV}/NDHDon/DSHHDVu/HHDVu[4]/ThTien",
    ),
    ("INV_RATE_GROUPS", "invoice"): Breach(
        "01-vat-two-rates", (("<TThue>85000<", "<TThue>85001<"),), f"{_INV}/NDHDon/TToan/THTTLTSuat/LTSuat[2]/TThue"
    ),
    ("INV_TOTALS", "invoice"): Breach(
        "01-vat-two-rates", (("<TgTThue>985000<", "<TgTThue>985001<"),), f"{_INV}/NDHDon/TToan/TgTThue"
    ),
    ("DOC_AMOUNT_ROUNDED", "invoice"): Breach(
        "01-vat-two-rates", (("<TgTTTBSo>11685000<", "<TgTTTBSo>11685000.5<"),), f"{_INV}/NDHDon/TToan/TgTTTBSo"
    ),
    ("DOC_AMOUNT_ROUNDED", "receipt"): Breach(
        "08-receipt-one-fee", (("<TgTTTBSo>20000<", "<TgTTTBSo>20000.25<"),), f"{_RCT}/NDBLai/TToan/TgTTTBSo"
    ),
    ("DOC_WORDS", "invoice"): Breach(
        "01-vat-two-rates", (("Mười một triệu", "Mười hai triệu"),), f"{_INV}/NDHDon/TToan/TgTTTBChu"
    ),
    ("DOC_WORDS", "receipt"): Breach(
        "08-receipt-one-fee", (("Hai mươi nghìn", "Ba mươi nghìn"),), f"{_RCT}/NDBLai/TToan/TgTTTBChu"
    ),
    ("DOC_SERIES", "invoice"): Breach("01-vat-two-rates", (("C25TAA<", "C24TAA<"),), f"{_INV}/TTChung/KHHDon"),
    ("DOC_SERIES", "receipt"): Breach(
        "08-receipt-one-fee", (("<KHBLai>25T<", "<KHBLai>24T<"),), f"{_RCT}/TTChung/KHBLai"
    ),
    ("INV_SERIES_TEMPLATE", "invoice"): Breach(
        "01-vat-two-rates", (("<KHHDon>C25TAA<", "<KHHDon>C25XAA<"),), f"{_INV}/TTChung/KHHDon"
    ),
    ("INV_TEMPLATE", "invoice"): Breach(
        "01-vat-two-rates", (("<KHMSHDon>1<", "<KHMSHDon>0<"),), f"{_INV}/TTChung/KHMSHDon"
    ),
    ("DOC_EXCHANGE_RATE", "invoice"): Breach(
        "05-foreign-currency", (("<TGia>26138</TGia>", ""),), f"{_INV}/TTChung/TGia"
    ),
    ("DOC_EXCHANGE_RATE", "receipt"): Breach(
        "08-receipt-one-fee", (("<DVTTe>VND</DVTTe>", "<DVTTe>USD</DVTTe>"),), f"{_RCT}/TTChung/TGia"
    ),
    ("INV_RELATED", "invoice"): Breach(
        "06-replacement",
        (("<NLHDCLQuan>2025-11-14<", "<NLHDCLQuan>2025-11-30<"),),
        f"{_INV}/TTChung/TTHDLQuan/NLHDCLQuan",
    ),
    ("RCT_TEMPLATE", "receipt"): Breach(
        "08-receipt-one-fee", (("<KHMSBLai>EBL01<", "<KHMSBLai>EBL09<"),), f"{_RCT}/TTChung/KHMSBLai"
    ),
    ("RCT_FEE_AMOUNT", "receipt"): Breach(
        "08-receipt-one-fee", (("<DGia>2000<", "<DGia>2001<"),), f"{_RCT}/NDBLai/DSPhi/LPhi[1]/TPhi"
    ),
    ("RCT_TOTAL", "receipt"): Breach(
        "08-receipt-one-fee",
        (("<TgTTTBSo>20000<", "<TgTTTBSo>30000<"), ("Hai mươi nghìn", "Ba mươi nghìn")),
        f"{_RCT}/NDBLai/TToan/TgTTTBSo",
    ),
}


def _broken(breach: Breach) -> bytes:
    xml = (GOLDEN / f"{breach.golden}.xml").read_text("utf-8")
    for old, new in breach.edits:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    return xml.encode()


def test_every_rule_of_the_catalogue_has_a_breaching_document() -> None:
    """Each (rule, kind) of RULES has a row: a rule added without a failing document fails this test."""
    assert sorted(BREACHES) == sorted((r.code, kind.value) for r in RULES for kind in r.kinds)


@pytest.mark.parametrize("key", sorted(BREACHES), ids=[f"{code}-{kind}" for code, kind in sorted(BREACHES)])
def test_each_rule_fires_on_its_document(key: tuple[str, str]) -> None:
    """The broken document yields the rule's code at the expected path; the golden one does not."""
    breach = BREACHES[key]
    assert key[0] not in {p.code for p in validate_document((GOLDEN / f"{breach.golden}.xml").read_bytes())}
    found = {(p.code, p.path) for p in validate_document(_broken(breach))}
    assert (key[0], breach.path) in found, found
