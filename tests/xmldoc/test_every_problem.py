"""Every problem at once: several faults in one parent are all reported, not libxml2's first one only."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from einvoice.resources import schemas_dir
from einvoice.xmldoc import formats
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.validate import judge_document, validate_document

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "01-vat-two-rates.xml"
GENERAL = (
    "<TTChung><PBan>2.1.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon>"
    "<KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>123</SHDon><NLap>2025-11-20</NLap>"
    "<HDCTTChinh>0</HDCTTChinh><DVTTe>VND</DVTTe><TGia>1</TGia><HTTToan>TM/CK</HTTToan>"
    "<MSTTCGP>0100000000</MSTTCGP>"
).encode()
#: In one parent (TTChung): NLap before SHDon, HDCTTChinh missing, an unknown element, HTTToan twice, then a bad
#: tax code after all of them. libxml2 alone stops at the first of these and never looks at MSTTCGP.
BROKEN_GENERAL = (
    "<TTChung><PBan>2.1.0</PBan><THDon>Hóa đơn giá trị gia tăng</THDon>"
    "<KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><NLap>2025-11-20</NLap><SHDon>123</SHDon>"
    "<Lạ>x</Lạ><DVTTe>VND</DVTTe><TGia>1</TGia><HTTToan>TM/CK</HTTToan><HTTToan>TM</HTTToan>"
    "<MSTTCGP>01000</MSTTCGP>"
).encode()


def _broken() -> bytes:
    xml = GOLDEN.read_bytes()
    assert GENERAL in xml
    return xml.replace(GENERAL, BROKEN_GENERAL)


def test_libxml2_alone_reports_one_fault_of_that_parent() -> None:
    """The premise: the XSD alone stops at TTChung's first fault, so the later ones would go unreported."""
    schema = etree.XMLSchema(file=str(schemas_dir() / formats.INVOICE_SCHEMA))
    assert not schema.validate(parse_untrusted(_broken()))
    paths = [entry.path for entry in schema.error_log if "/TTChung/" in (entry.path or "")]  # type: ignore[attr-defined]
    assert len(paths) == 1


def test_every_fault_of_one_parent_is_reported() -> None:
    """Order, missing, unknown, repeated and a bad value after them: each is reported with its own path."""
    found = {(p.code, p.path) for p in validate_document(_broken())}
    base = "/HDon/DLHDon/TTChung"
    assert ("XSD_ORDER", f"{base}/NLap") in found or ("XSD_ORDER", f"{base}/SHDon") in found
    assert ("XSD_ELEMENT", f"{base}/HDCTTChinh") in found  # missing
    assert ("XSD_ELEMENT", f"{base}/Lạ") in found  # unknown
    assert ("XSD_ELEMENT", f"{base}/HTTToan[2]") in found  # repeated
    assert ("XSD_PATTERN", f"{base}/MSTTCGP") in found  # a value after all the structural faults


def test_one_misplaced_child_is_one_problem() -> None:
    """A child moved to the front is reported once, not once for every sibling it displaced."""
    xml = GOLDEN.read_bytes()
    general_other = xml[xml.index(b"<TTKhac>", xml.index(b"<TTChung>")) : xml.index(b"</TTChung>")]
    moved = xml.replace(general_other, b"").replace(b"<TTChung>", b"<TTChung>" + general_other, 1)
    problems = validate_document(moved)
    assert [(p.code, p.path) for p in problems] == [("XSD_ORDER", "/HDon/DLHDon/TTChung/TTKhac")]
    assert "TTKhac" in problems[0].message_en
    assert "MSTTCGP" in problems[0].message_en


def test_faults_in_several_parents_are_all_reported() -> None:
    """Faults in NBan, NMua and TToan of one document come out together, in both profiles when not tolerated."""
    xml = GOLDEN.read_bytes()
    xml = xml.replace(b"<NBan><Ten>", b"<NBan><Bogus>1</Bogus><Ten>", 1)
    xml = xml.replace(b"</NMua>", b"<Bogus>2</Bogus></NMua>", 1)
    xml = xml.replace(b"<TgTTTBChu>", b"<Bogus>3</Bogus><TgTTTBChu>", 1)
    for profile in Profile:
        paths = {p.path for p in judge_document(xml, profile).errors if p.code == "XSD_ELEMENT"}
        assert {"/HDon/DLHDon/NDHDon/NBan/Bogus", "/HDon/DLHDon/NDHDon/NMua/Bogus"} <= paths, profile
        assert "/HDon/DLHDon/NDHDon/TToan/Bogus" in paths, profile


def test_a_valid_document_has_no_problem_in_either_profile() -> None:
    """What we emit is valid when read as well: the read profile only ever accepts more."""
    xml = GOLDEN.read_bytes()
    assert validate_document(xml) == []
    assert judge_document(xml, Profile.READ).errors == ()
