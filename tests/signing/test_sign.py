"""Signing: the exact profile of choice 5, spliced once into the unsigned bytes, accepted by xmlsec1 and by us."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from signing.support import COLLECTOR_TAX_CODE, SELLER_TAX_CODE, SIGNING_TIME, Xmlsec

from einvoice.domain.errors import UnsafeInputError
from einvoice.signing.base import CertificateNotValid, DocumentNotSignable, TaxCodeMismatch
from einvoice.signing.devca import create_root_ca, issue_certificate
from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.xmldoc import dsig
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.sign import sign_document
from einvoice.xmldoc.verify import verify_document

DS = {"ds": dsig.DS}


def _signature(signed: bytes) -> etree._Element:
    (signature,) = parse_untrusted(signed).xpath("//ds:Signature", namespaces=DS)
    return signature


def test_signed_invoice_verifies_with_xmlsec1_chain_and_ours(
    invoice_unsigned: bytes, seller: Pkcs12Signer, xmlsec: Xmlsec, trust: TrustStore
) -> None:
    """The signed §10.1 sample verifies with xmlsec1 against the TEST-ONLY root and with our verifier."""
    signed = sign_document(invoice_unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    ok, output = xmlsec.verify(signed)
    assert ok, output
    report = verify_document(signed, trust=trust)
    assert report.accepted, report
    assert report.signature("NBan") is not None


def test_signed_receipt_verifies_with_xmlsec1_chain_and_ours(
    receipt_unsigned: bytes, collector: Pkcs12Signer, xmlsec: Xmlsec, trust: TrustStore
) -> None:
    """A receipt is signed in DSCKS/DVThu over DLBLai and verifies with xmlsec1 and with us."""
    signed = sign_document(receipt_unsigned, collector, signing_time=SIGNING_TIME, expected_tax_code=COLLECTOR_TAX_CODE)
    ok, output = xmlsec.verify(signed)
    assert ok, output
    report = verify_document(signed, trust=trust)
    assert report.accepted, report
    assert report.kind == "receipt"
    assert report.signature("DVThu") is not None
    assert b"<DSCKS><DVThu><Signature " in signed


def test_only_the_slot_changes(invoice_unsigned: bytes, seller: Pkcs12Signer) -> None:
    """The output is the input with the signature spliced into <NBan/>: every other byte is unchanged."""
    signed = sign_document(invoice_unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    before, after = invoice_unsigned.split(b"<NBan/></DSCKS>")
    assert signed.startswith(before + b"<NBan><Signature ")
    assert signed.endswith(b"</Signature></NBan></DSCKS>" + after)
    assert b"\n" not in signed


def test_layout_is_choice_5(invoice_unsigned: bytes, seller: Pkcs12Signer) -> None:
    """Id, algorithms, both references, the SigningTime object and KeyInfo are exactly as choice 5 says."""
    signed = sign_document(invoice_unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    signature = _signature(signed)
    assert signature.get("Id") == "NBan"
    assert signature.getparent().tag == "NBan"
    x = lambda path: signature.xpath(path, namespaces=DS)  # noqa: E731
    assert x("ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm") == [dsig.C14N]
    assert x("ds:SignedInfo/ds:SignatureMethod/@Algorithm") == [dsig.RSA_SHA256]
    first, second = x("ds:SignedInfo/ds:Reference")
    assert first.get("URI") == "#DLHDon"
    assert first.xpath("ds:Transforms/ds:Transform/@Algorithm", namespaces=DS) == [dsig.ENVELOPED]
    assert second.get("URI") == "#SigningTime-NBan"
    assert second.get("Type") == dsig.SIGNATURE_PROPERTIES_TYPE
    assert x("ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm") == [dsig.SHA256, dsig.SHA256]
    assert x("ds:Object/@Id") == ["SigningTime-NBan"]
    assert x("ds:Object/ds:SignatureProperties/ds:SignatureProperty/@Target") == ["#NBan"]
    assert x("string(ds:Object//ds:SigningTime)") == "2025-11-20T09:15:02"
    subject = x("string(ds:KeyInfo/ds:X509Data/ds:X509SubjectName)")
    assert "UID=MST:0101234567" in subject
    assert len(x("ds:KeyInfo/ds:X509Data/ds:X509Certificate")) == 1
    assert [child.tag.split("}")[1] for child in signature] == ["SignedInfo", "SignatureValue", "KeyInfo", "Object"]


def test_signing_time_is_written_in_vietnam_time(invoice_unsigned: bytes, seller: Pkcs12Signer) -> None:
    """An aware UTC time is written as GMT+7 local time without an offset, and read back as the same instant."""
    moment = datetime(2025, 12, 31, 20, 30, 0, tzinfo=UTC)
    signed = sign_document(invoice_unsigned, seller, signing_time=moment, expected_tax_code=SELLER_TAX_CODE)
    assert b"<SigningTime>2026-01-01T03:30:00</SigningTime>" in signed
    report = verify_document(signed).signature("NBan")
    assert report is not None
    assert report.signing_time == moment


def test_naive_signing_time_is_refused(invoice_unsigned: bytes, seller: Pkcs12Signer) -> None:
    """A naive datetime is ambiguous and is refused."""
    with pytest.raises(ValueError, match="aware"):
        sign_document(invoice_unsigned, seller, signing_time=datetime(2025, 11, 20), expected_tax_code=SELLER_TAX_CODE)


def test_wrong_tax_code_is_refused(invoice_unsigned: bytes, seller: Pkcs12Signer) -> None:
    """A certificate for another tax code may not sign for this issuer."""
    with pytest.raises(TaxCodeMismatch, match="0101234567") as caught:
        sign_document(invoice_unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code="0309876543")
    assert caught.value.code == "TAX_CODE_MISMATCH"


class _OneCertificate:
    """A signer over a certificate made for the test, to try validity windows."""

    def __init__(self, not_before: datetime, not_after: datetime, tax_code: str = SELLER_TAX_CODE) -> None:
        root_key, root = create_root_ca(now=not_before - timedelta(days=1), key_size=2048)
        self._key, self.certificate = issue_certificate(
            root_key, root, tax_code=tax_code, name="Validity test", not_before=not_before, not_after=not_after
        )
        self.chain = (root,)

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign like the PKCS#12 signer does."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        return self._key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


@pytest.mark.parametrize(
    ("not_before", "not_after", "word"),
    [
        (SIGNING_TIME + timedelta(seconds=1), SIGNING_TIME + timedelta(days=365), "not yet valid"),
        (SIGNING_TIME - timedelta(days=365), SIGNING_TIME - timedelta(seconds=1), "expired"),
    ],
)
def test_certificate_not_valid_at_signing_time_is_refused(
    invoice_unsigned: bytes, not_before: datetime, not_after: datetime, word: str
) -> None:
    """A certificate not yet valid, or expired, at the signing time may not sign."""
    signer = _OneCertificate(not_before, not_after)
    with pytest.raises(CertificateNotValid, match=word):
        sign_document(invoice_unsigned, signer, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda xml: xml.replace(b"<NBan/>", b"<NBan>x</NBan>"), "not empty"),
        (lambda xml: xml.replace(b"<DSCKS><NBan/></DSCKS>", b"<DSCKS/>"), "exactly one DSCKS"),
        (lambda xml: xml.replace(b' Id="DLHDon"', b""), "Id attribute"),
        (lambda xml: xml.replace(b"<HDon>", b"<HDon><!-- x -->"), "comments"),
        (lambda xml: xml.replace(b"<DLQRCode>", b'<DLQRCode Id="DLHDon">'), "not unique"),
        (lambda xml: xml.replace(b"<HDon>", b'<HDon xmlns:x="urn:x">'), "namespace"),
        (lambda xml: b"<Other/>", "root element"),
    ],
)
def test_documents_not_ours_to_sign_are_refused(
    invoice_unsigned: bytes, seller: Pkcs12Signer, edit: object, message: str
) -> None:
    """Only an unsigned document with one empty slot, unique Ids and no surprises is signed."""
    assert callable(edit)
    with pytest.raises(DocumentNotSignable, match=message):
        sign_document(edit(invoice_unsigned), seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda xml: xml.replace(b"<HDon>", b"<!DOCTYPE HDon><HDon>"), "XML_DTD_FORBIDDEN"),
        (lambda xml: xml[:-20], "XML_MALFORMED"),
    ],
)
def test_unsafe_input_is_refused_by_the_parser_with_its_problem(
    invoice_unsigned: bytes, seller: Pkcs12Signer, edit: object, code: str
) -> None:
    """XML the hardened parser refuses is never signed: the parser's own error, with its coded problem, comes out."""
    assert callable(edit)
    with pytest.raises(UnsafeInputError) as refused:
        sign_document(edit(invoice_unsigned), seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    assert refused.value.problem.code == code


def test_a_signed_document_is_not_signed_again(invoice_unsigned: bytes, seller: Pkcs12Signer) -> None:
    """Signing twice is refused: the slot is no longer empty."""
    signed = sign_document(invoice_unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    with pytest.raises(DocumentNotSignable):
        sign_document(signed, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)


def test_intermediate_certificates_go_into_keyinfo(invoice_unsigned: bytes, seller: Pkcs12Signer) -> None:
    """The self-signed root of the PKCS#12 chain is left out of KeyInfo; the signing certificate is first."""
    signed = sign_document(invoice_unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    certificates = re.findall(rb"<X509Certificate>", signed)
    assert len(certificates) == 1
    assert seller.chain
    assert all(ca.issuer == ca.subject for ca in seller.chain)
