"""The corpus acceptance table: every real document of ../shared/fixtures/real-xml judged as the authority does.

The read profile judges content; the verifier judges signatures. SOURCES.md lists 01, 07, 08, 09 and 10 as signed
(xmlsec1 OK) and coded by the tax authority: those must have no error at all. Every other file has its own row.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import pytest
from click.testing import CliRunner
from tests_support import REAL_XML, needs

from einvoice.cli import main
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.validate import judge_document, validate_document
from einvoice.xmldoc.verify import verify_document

pytestmark = needs(REAL_XML)

#: Signed (every signature xmlsec1 accepts) and coded by the authority, per SOURCES.md.
AUTHORITY_CODED_AND_SIGNED = ("01", "07", "08", "09", "10")


class Row(NamedTuple):
    """What one real document must yield: its signature verdict and its content errors by code."""

    signature: str  # "valid", "edited" (digest mismatch: changed after signing) or "unsigned"
    errors: dict[str, int]
    why: str


TABLE: dict[str, Row] = {
    "01": Row("valid", {}, "2.0.0 from the authority's test system; 'đ' currency, 30 % VAT reduction: warnings"),
    "02": Row("valid", {}, "2.0.0 relayed by a T-VAN; many empty elements: warnings"),
    "03": Row("valid", {"XSD_ELEMENT": 1}, "2.0.0 without MSTTCGP (the provider's tax code)"),
    "04": Row("valid", {}, "2.0.1 with TTKhac in NDHDon and THTTLTSuat last: warnings"),
    "05": Row("valid", {}, "2.0.1, nothing unusual"),
    "06": Row("edited", {}, "05 pretty-printed after signing: content fine, signature broken"),
    "07": Row("valid", {}, "coded; UUID Id, no HDCTTChinh, words ending 'chẵn./.'"),
    "08": Row("valid", {}, "coded replacement; as 07"),
    "09": Row("valid", {}, "coded export in USD: 6-decimal lines, totals to the 5th decimal, empty elements"),
    "10": Row("valid", {}, "coded cash-register sales invoice without HDCTTChinh"),
    "11": Row("unsigned", {}, "coded cash-register invoice, unsigned copy; NMua order: a warning"),
    "12": Row("valid", {"XSD_ORDER": 1, "DOC_WORDS": 1}, "words say 'VND', not 'đồng'; TTKhac before TTHDLQuan"),
    "13": Row("edited", {"XSD_ORDER": 1, "XSD_ENUMERATION": 3}, "reformatted after signing; KDLieu 'String'"),
    "14": Row("unsigned", {"XSD_ELEMENT": 5, "INV_RATE_GROUPS": 1}, "trimmed by its repository"),
    "15": Row(
        "unsigned",
        {"XSD_ELEMENT": 11, "INV_LINE_RATE": 2, "INV_TOTALS": 2, "INV_TEMPLATE": 1},
        "an excerpt: no PBan, NBan, NMua, KHMSHDon",
    ),
}


def _file(prefix: str) -> bytes:
    [path] = REAL_XML.glob(f"{prefix}-*.xml")
    return path.read_bytes()


def _signature_verdict(xml: bytes) -> str:
    report = verify_document(xml)
    if not report.signed:
        return "unsigned"
    reasons = [s.reason.code for s in report.signatures if s.reason is not None]
    if not reasons:
        return "valid"
    return "edited" if set(reasons) == {"DIGEST_MISMATCH"} else f"other: {reasons}"


def test_the_table_covers_every_fixture() -> None:
    """Every real document has a row and every row a document, so a new fixture cannot go unjudged."""
    assert sorted(path.name[:2] for path in REAL_XML.glob("*.xml")) == sorted(TABLE)


@pytest.mark.parametrize("prefix", AUTHORITY_CODED_AND_SIGNED)
def test_signed_documents_the_authority_coded_have_no_error(prefix: str) -> None:
    """A document the tax authority coded, with valid signatures, has no content error under the read profile."""
    xml = _file(prefix)
    judgement = judge_document(xml, Profile.READ)
    assert judgement.errors == (), judgement.errors
    assert _signature_verdict(xml) == "valid"


@pytest.mark.parametrize("prefix", sorted(TABLE))
def test_each_document_gets_the_verdict_of_its_row(prefix: str) -> None:
    """Signature verdict and content errors (by code) are exactly those of the document's row."""
    xml, row = _file(prefix), TABLE[prefix]
    judgement = judge_document(xml, Profile.READ)
    assert Counter(p.code for p in judgement.errors) == Counter(row.errors), (row.why, judgement.errors)
    assert _signature_verdict(xml) == row.signature, row.why


@pytest.mark.parametrize("prefix", sorted(TABLE))
def test_the_emit_profile_still_refuses_them_all(prefix: str) -> None:
    """None of the real documents is what we emit: the strict profile finds errors in each (schemas/README.md)."""
    assert validate_document(_file(prefix), Profile.EMIT)


def test_read_warnings_name_what_was_unusual() -> None:
    """The export invoice is accepted with warnings for its order, empty elements and 5th-decimal totals."""
    codes = {p.code for p in judge_document(_file("09"), Profile.READ).warnings}
    assert codes == {"READ_ORDER", "READ_EMPTY_ELEMENT", "READ_TOTAL_PRECISION"}


def test_the_tax_authority_signature_is_not_asked_for_a_tax_code() -> None:
    """CQT certificates carry no tax code by design: no TAX_CODE_MISSING on them; the seller's are still checked."""
    for prefix in ("01", "07", "08", "09"):
        authority = verify_document(_file(prefix)).signature("CQT")
        assert authority is not None
        assert "TAX_CODE_MISSING" not in {w.code for w in authority.warnings}


def test_validate_command_reads_others_documents_with_the_read_profile() -> None:
    """`einvoice validate` accepts a coded invoice (with warnings) and refuses it with --profile emit."""
    [path] = REAL_XML.glob("09-*.xml")
    read = CliRunner().invoke(main, ["validate", str(path)])
    assert read.exit_code == 0, read.output
    assert "warning\tREAD_ORDER\t/HDon/DLHDon/NDHDon/NBan/DCTDTu" in read.output
    emit = CliRunner().invoke(main, ["validate", "--profile", "emit", str(path)])
    assert emit.exit_code == 1
    assert "XSD_ELEMENT\t/HDon/DLHDon/TTChung/HDCTTChinh" in emit.output
