"""Our verdicts on the 15 real documents in shared/fixtures/real-xml agree with xmlsec1's (SOURCES.md)."""

from __future__ import annotations

import pytest
from signing.support import REAL_XML as REAL
from tests_support import needs

from einvoice.xmldoc.verify import verify_document

pytestmark = needs(REAL)

#: file -> {role: verdict} as xmlsec1 gave it in SOURCES.md ("ok"), or "digest" (reformatted), or "unsigned".
VERDICTS: dict[str, dict[str, str] | str] = {
    "01-gdt-tdiep202-ts24-c21tct-2021.xml": {"NBan": "ok", "CQT": "ok"},
    "02-sesgroup-tdiep203-k21tcc-2021.xml": {"NBan": "ok"},
    "03-vnpt-hdon-k22tba-2022.xml": {"NBan": "ok"},
    "04-vnpay-vninvoice-k23tll-2023.xml": {"NBan": "ok"},
    "05-ca2-hdon-201-c25tcm-signed.xml": {"NBan": "ok"},
    "06-ca2-hdon-201-c25tcm-reformatted.xml": {"NBan": "digest"},
    "07-datkep-eni-c25tac-00001144-coded.xml": {"NBan": "ok", "CQT": "ok"},
    "08-datkep-eni-c25tac-00001131-replacement.xml": {"NBan": "ok", "CQT": "ok"},
    "09-ca2-tdiep202-c25tac-export.xml": {"NBan": "ok", "CQT": "ok"},
    "10-ca2-sales-c25mtt-coded-signed.xml": {"NBan": "ok"},
    "11-ca2-vat-c25mnh-coded-unsigned.xml": "unsigned",
    "12-ca2-adjustment-c25thm-negative.xml": {"NBan": "ok"},
    "13-letieu-vinhomes-k25tek-reformatted.xml": {"NBan": "digest"},
    "14-shopify-k26tmb-trimmed-unsigned.xml": "unsigned",
    "15-shopify-fedex-creditnote-trimmed.xml": "unsigned",
}
#: Seller signatures made with SHA-1 (signature or digests), to be reported as a warning.
SHA1 = {"02", "03", "04", "05", "06", "07", "08", "10", "13"}


def test_the_table_covers_every_fixture() -> None:
    """Every real document has a row, and every row a document."""
    assert sorted(path.name for path in REAL.glob("*.xml")) == sorted(VERDICTS)


@pytest.mark.parametrize(("name", "expected"), sorted(VERDICTS.items()))
def test_verdict_agrees_with_xmlsec1(name: str, expected: dict[str, str] | str) -> None:
    """Signatures xmlsec1 accepts are valid for us; re-indented files fail on a digest; unsigned ones are unsigned."""
    report = verify_document((REAL / name).read_bytes())
    if expected == "unsigned":
        assert not report.signed
        assert [p.code for p in report.problems] == ["UNSIGNED"]
        return
    assert isinstance(expected, dict)
    assert {s.role for s in report.signatures} == set(expected)
    for role, verdict in expected.items():
        signature = report.signature(role)
        assert signature is not None
        if verdict == "ok":
            assert signature.valid, signature.problems
            assert signature.signed_data is not None
            assert signature.signed_data.tag == "DLHDon"
            assert signature.signing_time is not None
            assert signature.certificate_valid_at_signing_time is True
        else:
            assert signature.reason is not None
            assert signature.reason.code == "DIGEST_MISMATCH"
    assert report.valid is all(v == "ok" for v in expected.values())
    sha1 = any(w.code == "WEAK_ALGORITHM_SHA1" for w in report.signatures[0].warnings)
    assert sha1 is (name[:2] in SHA1)


@pytest.mark.parametrize(
    ("name", "tax_code"),
    [
        ("01-gdt-tdiep202-ts24-c21tct-2021.xml", "0106324653"),
        ("02-sesgroup-tdiep203-k21tcc-2021.xml", "0106323762"),
        ("07-datkep-eni-c25tac-00001144-coded.xml", "2700952079"),
        ("12-ca2-adjustment-c25thm-negative.xml", "0103930279-999"),
    ],
)
def test_tax_code_is_read_from_the_certificate(name: str, tax_code: str) -> None:
    """The seller's tax code comes from UID=MST: (shown by Windows as OID.0.9.2342.19200300.100.1.1=MST:)."""
    seller = verify_document((REAL / name).read_bytes()).signature("NBan")
    assert seller is not None
    assert seller.tax_code == tax_code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("01-gdt-tdiep202-ts24-c21tct-2021.xml", "00474597512BE94B7BAB367996EF464828"),
        ("07-datkep-eni-c25tac-00001144-coded.xml", "00EEA9E0CF3EFF43A9AE37A0F2F915BAC3"),
        ("08-datkep-eni-c25tac-00001131-replacement.xml", "00C7EE0D4F11334999AC3115F2CEABE364"),
        ("09-ca2-tdiep202-c25tac-export.xml", "00790E97754D9248FC987A5C4A07E52DAC"),
    ],
)
def test_tax_authority_code_comes_from_its_signature(name: str, code: str) -> None:
    """The CQT signature covers DLHDon, MCCQT and its SigningTime; MCCQT is read from what it signed."""
    authority = verify_document((REAL / name).read_bytes()).signature("CQT")
    assert authority is not None
    assert authority.valid
    assert authority.signed_code == code


def test_changed_tax_authority_code_breaks_only_the_cqt_signature() -> None:
    """Changing one character of MCCQT makes the CQT signature fail while NBan still passes (as in SOURCES.md)."""
    data = (REAL / "07-datkep-eni-c25tac-00001144-coded.xml").read_bytes()
    report = verify_document(data.replace(b"00EEA9E0CF3EFF43A9AE37A0F2F915BAC3", b"00EEA9E0CF3EFF43A9AE37A0F2F915BAC4"))
    seller, authority = report.signature("NBan"), report.signature("CQT")
    assert seller is not None
    assert seller.valid
    assert authority is not None
    assert authority.reason is not None
    assert authority.reason.code == "DIGEST_MISMATCH"


def test_expired_1024_bit_self_signed_certificate_is_reported() -> None:
    """File 04 verifies mathematically; the report warns of SHA-1, the 1024-bit key and the non-standard serial."""
    seller = verify_document((REAL / "04-vnpay-vninvoice-k23tll-2023.xml").read_bytes()).signature("NBan")
    assert seller is not None
    codes = {w.code for w in seller.warnings}
    assert {"WEAK_ALGORITHM_SHA1", "WEAK_KEY", "CERTIFICATE_NONSTANDARD"} <= codes
    assert seller.trusted is None
