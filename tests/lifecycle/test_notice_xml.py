"""Error notices as built: the receipt notice 04/SS-CTĐT matches its XSD; the invoice notice has the TBao rows."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from einvoice.resources import schemas_dir
from einvoice.xmldoc.notices import (
    CANCEL,
    EXPLAIN,
    RECEIPT_NOTICE_SCHEMA,
    NoticedDocument,
    TaxOffice,
    build_error_notice,
)
from einvoice.xmldoc.safe import parse_untrusted

HANOI = TaxOffice("10100", "Thuế thành phố Hà Nội", "Hà Nội")


def _notice(
    kind: str, template: str, series: str, action: str = EXPLAIN, office: TaxOffice | None = None
) -> tuple[str, bytes]:
    document = NoticedDocument(kind, template, series, 12, date(2026, 9, 1), "Sai địa chỉ người nộp")
    form, built = build_error_notice(
        document,
        issuer_name="TRUNG TÂM X",
        issuer_tax_code="0109999999",
        notice_date=date(2026, 9, 2),
        action=action,
        office=office,
    )
    return form, built.xml


def _header(xml: bytes) -> list[tuple[str, str | None]]:
    data = parse_untrusted(xml).find("DLTBao")
    assert data is not None
    return [(child.tag, child.text) for child in data if child.tag not in ("DSHDon", "DSCTu", "PBan", "Ten", "MSo")]


@pytest.mark.parametrize(("kind", "template", "series"), [("invoice", "1", "K26TAA"), ("receipt", "EBL01", "26TAA")])
def test_a_notice_names_the_tax_office_and_place_in_the_tables_order(kind: str, template: str, series: str) -> None:
    """With the issuer's tax office and place known, MCQT/TCQT follow Loai and DDanh precedes NTBao (spec §2.4)."""
    _, xml = _notice(kind, template, series, office=HANOI)
    assert _header(xml) == [
        ("Loai", "1"),
        ("MCQT", "10100"),
        ("TCQT", "Thuế thành phố Hà Nội"),
        ("TNNT", "TRUNG TÂM X"),
        ("MST", "0109999999"),
        ("DDanh", "Hà Nội"),
        ("NTBao", "2026-09-02"),
    ]


def test_a_notice_of_an_issuer_without_a_tax_office_leaves_the_tags_out() -> None:
    """An issuer that has not recorded its tax office still notifies: no empty MCQT/TCQT/DDanh are written."""
    _, xml = _notice("invoice", "1", "K26TAA")
    assert [tag for tag, _ in _header(xml)] == ["Loai", "TNNT", "MST", "NTBao"]


@pytest.mark.parametrize("office", [None, HANOI])
def test_receipt_notice_matches_its_schema(office: TaxOffice | None) -> None:
    """The 04/SS-CTĐT notice, with or without the tax office and place, validates against tbao-ctdt-1.0.0.xsd."""
    form, xml = _notice("receipt", "EBL01", "26TAA", office=office)
    schema = etree.XMLSchema(file=str(schemas_dir() / RECEIPT_NOTICE_SCHEMA))
    assert form == "04/SS-CTĐT"
    assert schema.validate(parse_untrusted(xml)), schema.error_log


@pytest.mark.parametrize("edit", [(b"<TCTBao>4<", b"<TCTBao>1<"), (b"<KHCTu>26TAA<", b"<KHCTu>26TAF<")])
def test_receipt_notice_schema_refuses_cancel_and_bad_series(edit: tuple[bytes, bytes]) -> None:
    """The schema refuses a cancel (TCTBao 1) and a series outside the 20-letter set."""
    _, xml = _notice("receipt", "EBL01", "26TAA")
    schema = etree.XMLSchema(file=str(schemas_dir() / RECEIPT_NOTICE_SCHEMA))
    assert not schema.validate(parse_untrusted(xml.replace(*edit)))


def test_invoice_notice_rows_follow_the_tbao_table() -> None:
    """The 04/SS-HĐĐT row has STT, MCQTCap, template, series, number, date, kind, TCTBao 4 and the reason."""
    form, xml = _notice("invoice", "1", "K26TAA")
    row = parse_untrusted(xml).find("DLTBao/DSHDon/HDon")
    assert form == "04/SS-HĐĐT"
    assert row is not None
    assert [(child.tag, child.text) for child in row] == [
        ("STT", "1"),
        ("MCQTCap", None),
        ("KHMSHDon", "1"),
        ("KHHDon", "K26TAA"),
        ("SHDon", "12"),
        ("Ngay", "2026-09-01"),
        ("LADHDDT", "1"),
        ("TCTBao", "4"),
        ("LDo", "Sai địa chỉ người nộp"),
    ]


def test_a_legacy_cancel_says_tctbao_1_on_invoices_only() -> None:
    """The builder writes TCTBao 1 for an invoice when asked (the caller checks the setting), never for a receipt."""
    _, xml = _notice("invoice", "1", "K26TAA", CANCEL)
    assert parse_untrusted(xml).findtext("DLTBao/DSHDon/HDon/TCTBao") == "1"
    with pytest.raises(ValueError, match="TCTBao 1"):
        _notice("receipt", "EBL01", "26TAA", CANCEL)
