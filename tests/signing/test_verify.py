"""The verifier on our own documents: envelopes, prologues, roles, buyer and authority slots, and its signxml fixes."""

from __future__ import annotations

import hashlib

import pytest
from lxml import etree
from signing.support import REAL_XML, SAMPLES
from tests_support import needs

from einvoice.xmldoc import dsig
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.verify import verify_document
from einvoice.xmldoc.verify_engine import _ProfileVerifier

GENUINE = (SAMPLES / "invoice-10.1-signed.xml").read_bytes()
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'


@pytest.mark.parametrize(
    "wrap",
    [
        lambda body: body,
        lambda body: body[len(DECLARATION) :],
        lambda body: b"\xef\xbb\xbf" + body[len(DECLARATION) :],
        lambda body: b"<?xml-stylesheet type='text/xsl' href='hoadon.xsl'?>" + body[len(DECLARATION) :],
        lambda body: (
            DECLARATION
            + b"<TDiep><TTChung><PBan>2.1.0</PBan><MLTDiep>200</MLTDiep></TTChung><DLieu>"
            + body[len(DECLARATION) :]
            + b"</DLieu></TDiep>"
        ),
    ],
    ids=["declaration", "bare", "bom", "stylesheet-pi", "tdiep"],
)
def test_prologues_and_envelopes_are_read(wrap: object, trust: TrustStore) -> None:
    """With or without declaration, BOM or stylesheet PI, bare or inside TDiep/DLieu: the same verdict."""
    assert callable(wrap)
    report = verify_document(wrap(GENUINE), trust=trust)
    assert report.accepted, report
    assert report.signed_data is not None
    assert report.signed_data.findtext("TTChung/SHDon") == "123"


def test_signed_data_comes_from_the_verifier() -> None:
    """signed_data is signxml's parse of the canonical bytes: a fresh tree, not a node of the input document."""
    report = verify_document(GENUINE)
    data = report.signed_data
    assert data is not None
    assert data.getparent() is None
    assert data.findtext("NDHDon/TToan/TgTTTBSo") == "11685000"
    assert (
        hashlib.sha256(etree.tostring(data, method="c14n")).digest()
        == hashlib.sha256(etree.tostring(parse_untrusted(GENUINE).find("DLHDon"), method="c14n")).digest()
    )


def test_buyer_signature_is_verified_too(trust: TrustStore) -> None:
    """A buyer's signature in DSCKS/NMua is checked like the seller's, with its own certificate and tax code."""
    report = verify_document((SAMPLES / "invoice-10.1-signed-by-seller-and-buyer.xml").read_bytes(), trust=trust)
    assert report.accepted
    assert [s.role for s in report.signatures] == ["NBan", "NMua"]
    buyer = report.signature("NMua")
    assert buyer is not None
    assert buyer.tax_code == "0309876543"


def test_one_role_only() -> None:
    """roles= limits verification to the slots asked for."""
    report = verify_document((SAMPLES / "invoice-10.1-signed-by-seller-and-buyer.xml").read_bytes(), roles=("NMua",))
    assert [s.role for s in report.signatures] == ["NMua"]


def test_receipt_is_signed_by_the_collector(trust: TrustStore) -> None:
    """A receipt's signature is in DSCKS/DVThu and covers DLBLai; its tax code is the collector's."""
    report = verify_document((SAMPLES / "receipt-10.2-signed.xml").read_bytes(), trust=trust)
    assert report.accepted
    collector = report.signature("DVThu")
    assert collector is not None
    assert collector.tax_code == "0109999999"
    assert report.signed_data is not None
    assert report.signed_data.tag == "DLBLai"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<Other/>", "NOT_A_DOCUMENT"),
        (b"<HDon><DLHDon>", "XML_MALFORMED"),
        (b"<TDiep><DLieu><HDon/><HDon/></DLieu></TDiep>", "MULTIPLE_DOCUMENTS"),
        (
            GENUINE.replace(b"</DLQRCode>", b"</DLQRCode><Signature xmlns='http://www.w3.org/2000/09/xmldsig#'/>"),
            "UNEXPECTED_SIGNATURE",
        ),
    ],
)
def test_what_is_not_a_signed_document(data: bytes, code: str) -> None:
    """Inputs that are no document, or hide a signature where none belongs, are reported with a code."""
    report = verify_document(data)
    assert not report.valid
    assert code in {p.code for p in report.problems}


@needs(REAL_XML)
def test_authority_signature_alone_is_not_enough() -> None:
    """A coded invoice whose seller slot was emptied still has a valid CQT signature but no issuer signature."""
    data = (REAL_XML / "07-datkep-eni-c25tac-00001144-coded.xml").read_bytes()
    start, end = data.index(b"<NBan><Signature"), data.index(b"</NBan><NMua/>")
    report = verify_document(data[:start] + b"<NBan/>" + data[end + len(b"</NBan>") :])
    assert [p.code for p in report.problems] == ["ISSUER_SIGNATURE_MISSING"]
    authority = report.signature("CQT")
    assert authority is not None
    assert authority.valid
    assert report.signed_data is None


def test_signed_info_is_canonicalised_like_xmlsec1() -> None:
    """SignedInfo under <Signature xmlns=dsig> canonicalises with no xmlns="" on its grandchildren (lxml pitfall)."""
    signed_info = parse_untrusted(GENUINE).find(f"DSCKS/NBan/{dsig.ds('Signature')}/{dsig.ds('SignedInfo')}")
    assert signed_info is not None
    canonical = _ProfileVerifier()._c14n(signed_info, dsig_c14n())
    assert b'xmlns=""' not in canonical
    assert canonical.startswith(b'<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><CanonicalizationMethod')


def dsig_c14n() -> object:
    """Return signxml's identifier of inclusive C14N 1.0."""
    from signxml.algorithms import CanonicalizationMethod

    return CanonicalizationMethod.CANONICAL_XML_1_0
