"""Every outcome the verifier can report is produced by a test document (a table test over its catalogue).

Each row of :data:`PRODUCERS` makes one document (from the TEST-ONLY samples, the attack corpus, certificates made
here, or a real fixture) and names the outcome code it must yield; the catalogue test checks that the rows cover
every code of :data:`einvoice.xmldoc.verdicts.MESSAGES` and of the parser's refusals (:data:`safe.MESSAGES`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from signing.make_attacks import crafted
from signing.support import ATTACKS, REAL_XML, SAMPLES, SELLER_TAX_CODE, KeyHolder, load_signer
from tests_support import needs

from einvoice.signing.devca import create_root_ca, issue_certificate
from einvoice.xmldoc import dsig, safe
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.safe import MAX_XML_BYTES
from einvoice.xmldoc.verdicts import MESSAGES, VERDICT_REASONS, VerificationReport
from einvoice.xmldoc.verify import verify_document

GENUINE = (SAMPLES / "invoice-10.1-signed.xml").read_bytes()
UNSIGNED = (SAMPLES / "invoice-10.1-unsigned.xml").read_bytes()
BOTH_SIGNED = (SAMPLES / "invoice-10.1-signed-by-seller-and-buyer.xml").read_bytes()
SIGNATURE = GENUINE[GENUINE.index(b"<Signature ") : GENUINE.index(b"</Signature>") + len(b"</Signature>")]
REFERENCES = ["#DLHDon", "#SigningTime-NBan"]
YEAR_2020 = datetime(2020, 1, 1, tzinfo=UTC)
#: Codes no document can produce, and why (each is still defended in depth).
UNREACHABLE = {
    "XML_ENTITY_FORBIDDEN": "an entity needs a DTD to be declared, and the DTD is refused first (XML_DTD_FORBIDDEN)",
}


@dataclass(frozen=True)
class Case:
    """A document, how to verify it, and the outcome code it must produce."""

    xml: bytes
    options: dict[str, Any]


@cache
def _root(organization: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    return create_root_ca(now=YEAR_2020, organization=organization, key_size=2048)


@cache
def _holder(*, expired: bool = False, bits: int = 2048, development: bool = False, as_root: bool = False) -> KeyHolder:
    """Return a signer whose certificate is made here: expired in 2021, short, development, or a bare root."""
    root_key, root = _root("einvoice development CA" if development else "TEST-ONLY outcome CA (tests/signing)")
    if as_root:
        return KeyHolder(root_key, root)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    end = YEAR_2020 + timedelta(days=365 if expired else 30 * 365)
    unit = None if development else "TEST ONLY certificate - tests/signing"
    if development:
        unit = "einvoice development certificate"
    _, certificate = issue_certificate(
        root_key,
        root,
        tax_code=SELLER_TAX_CODE,
        name="TEST ONLY - CÔNG TY TNHH ABC",
        not_before=YEAR_2020,
        not_after=end,
        unit=unit,
        key=key,
    )
    return KeyHolder(key, certificate, (root,))


def _real(prefix: str) -> bytes:
    [path] = REAL_XML.glob(f"{prefix}-*.xml")
    return path.read_bytes()


def _attack(name: str) -> Case:
    return Case((ATTACKS / name).read_bytes(), {})


def _signed_by(holder: KeyHolder | Any, **options: Any) -> bytes:
    return crafted(UNSIGNED, holder, REFERENCES, **options)


PRODUCERS: dict[str, Callable[[], Case]] = {
    "XML_MALFORMED": lambda: Case(b"<HDon><DLHDon>", {}),
    "XML_DTD_FORBIDDEN": lambda: _attack("13-doctype.xml"),
    "XML_TOO_LARGE": lambda: Case(b"<HDon>" + b" " * MAX_XML_BYTES + b"</HDon>", {}),
    "NOT_A_DOCUMENT": lambda: Case(b"<TKhai><DLTKhai/></TKhai>", {}),
    "MULTIPLE_DOCUMENTS": lambda: Case(b"<TDiep><DLieu>" + UNSIGNED[38:] * 2 + b"</DLieu></TDiep>", {}),
    "UNSIGNED": lambda: Case(UNSIGNED, {}),
    "ISSUER_SIGNATURE_MISSING": lambda: Case(
        re.sub(rb"<NBan><Signature .*?</Signature></NBan>", b"<NBan/>", BOTH_SIGNED), {}
    ),
    "SIGNED_DATA_AMBIGUOUS": lambda: _attack("16-unsigned-copy-read-first.xml"),
    "UNEXPECTED_SIGNATURE": lambda: Case(
        GENUINE.replace(b"</DSCKS>", b"</DSCKS><DSCKS><NBan>" + SIGNATURE + b"</NBan></DSCKS>"), {}
    ),
    "MULTIPLE_SIGNATURES": lambda: _attack("03-two-signatures-in-nban.xml"),
    "SIGNATURE_MALFORMED": lambda: Case(re.sub(rb"<SignatureValue>[^<]*</SignatureValue>", b"", GENUINE), {}),
    "ALGORITHM_NOT_ALLOWED": lambda: Case(
        GENUINE.replace(dsig.RSA_SHA256.encode(), dsig.DS.encode() + b"dsa-sha1"), {}
    ),
    "TRANSFORM_NOT_ALLOWED": lambda: _attack("17-xslt-transform.xml"),
    "REFERENCE_COUNT": lambda: _attack("05-extra-reference.xml"),
    "REFERENCE_UNRESOLVED": lambda: Case(GENUINE.replace(b'URI="#DLHDon"', b'URI="#Nowhere"'), {}),
    "DUPLICATE_ID": lambda: _attack("02-duplicate-id.xml"),
    "REFERENCE_TARGET": lambda: _attack("04-reference-to-another-element.xml"),
    "SIGNED_ELEMENT_MISPLACED": lambda: _attack("01-signed-element-moved.xml"),
    "COMMENT_IN_SIGNED_DATA": lambda: _attack("10-comment-in-signed-text.xml"),
    "CERTIFICATE_MISSING": lambda: Case(re.sub(rb"<KeyInfo>.*?</KeyInfo>", b"", GENUINE), {}),
    "CERTIFICATE_UNREADABLE": lambda: Case(
        re.sub(rb"<X509Certificate>[^<]+</X509Certificate>", b"<X509Certificate>AAAA</X509Certificate>", GENUINE), {}
    ),
    "KEY_VALUE_MISMATCH": lambda: _attack("09-keyvalue-not-the-certificate.xml"),
    "DIGEST_MISMATCH": lambda: _attack("18-amount-changed.xml"),
    "SIGNATURE_INVALID": lambda: _attack("07-signature-value-altered.xml"),
    "SIGNING_TIME_MISSING": lambda: Case(_signed_by(load_signer("TEST-ONLY-seller"), signing_time=None), {}),
    "SIGNING_TIME_MALFORMED": lambda: Case(_signed_by(load_signer("TEST-ONLY-seller"), signing_time="20/11/2025"), {}),
    "CERTIFICATE_NOT_VALID_AT_SIGNING_TIME": lambda: Case(_signed_by(_holder(expired=True)), {}),
    "CHAIN_UNTRUSTED": lambda: Case(GENUINE, {"trust": TrustStore([_root("Another CA")[1]])}),
    "DEVELOPMENT_CERTIFICATE": lambda: Case(
        _signed_by(_holder(development=True)), {"trust": TrustStore([_holder(development=True).chain[0]])}
    ),
    "WEAK_ALGORITHM_SHA1": lambda: Case(_real("02"), {}),
    "WEAK_KEY": lambda: Case(_signed_by(_holder(bits=1024)), {}),
    "CERTIFICATE_NONSTANDARD": lambda: Case(_real("04"), {}),
    "TAX_CODE_MISSING": lambda: Case(_signed_by(_holder(as_root=True)), {}),
    "TAX_CODE_DIFFERS": lambda: Case(_signed_by(load_signer("TEST-ONLY-other")), {}),
    "SIGNATURE_NOT_CHECKED": lambda: Case(
        b"<TDiep><DLieu>"
        + GENUINE[38:]
        + b"</DLieu><CKSNNT>"
        + SIGNATURE.replace(b'Id="', b'Id="x')
        + b"</CKSNNT></TDiep>",
        {},
    ),
}
#: Rows that read ../shared (skipped without it, failing under CI=true).
FROM_SHARED = {"WEAK_ALGORITHM_SHA1", "CERTIFICATE_NONSTANDARD"}


def outcomes(report: VerificationReport) -> set[str]:
    """Return every code in a report: the document's problems and warnings, and each signature's reasons."""
    codes = {p.code for p in (*report.problems, *report.warnings)}
    for signature in report.signatures:
        codes |= {p.code for p in (*signature.problems, *signature.certificate_problems, *signature.warnings)}
    return codes


def test_every_outcome_of_the_catalogue_has_a_producer() -> None:
    """Each code the verifier can report has a row here (or a stated reason why no document can reach it)."""
    outcomes = (MESSAGES.keys() - VERDICT_REASONS) | safe.MESSAGES.keys()  # reasons of verdicts: tests/public
    assert sorted(PRODUCERS.keys() | UNREACHABLE.keys()) == sorted(outcomes)
    assert not PRODUCERS.keys() & UNREACHABLE.keys()


@pytest.mark.parametrize(
    "code",
    [pytest.param(code, marks=needs(REAL_XML)) if code in FROM_SHARED else code for code in sorted(PRODUCERS)],
)
def test_each_outcome_is_produced_by_its_document(code: str) -> None:
    """Verifying the row's document yields the row's outcome code."""
    case = PRODUCERS[code]()
    assert code in outcomes(verify_document(case.xml, **case.options))


def test_a_certificate_expired_at_signing_time_is_not_accepted() -> None:
    """A signature made after its certificate expired is intact but not accepted (its certificate is refused)."""
    report = verify_document(_signed_by(_holder(expired=True)))
    signature = report.signature("NBan")
    assert signature is not None
    assert signature.problems == ()
    assert signature.certificate_valid_at_signing_time is False
    assert [p.code for p in signature.certificate_problems] == ["CERTIFICATE_NOT_VALID_AT_SIGNING_TIME"]
    assert not report.accepted


def test_a_certificate_of_another_tax_code_is_flagged() -> None:
    """A seller signature by a certificate of another tax code carries TAX_CODE_DIFFERS, naming both codes."""
    signature = verify_document(_signed_by(load_signer("TEST-ONLY-other"))).signature("NBan")
    assert signature is not None
    [differs] = [w for w in signature.warnings if w.code == "TAX_CODE_DIFFERS"]
    assert "0309876543" in differs.message_en
    assert SELLER_TAX_CODE in differs.message_en


@pytest.mark.parametrize(("text", "code"), [(None, "SIGNING_TIME_MISSING"), ("20/11/2025", "SIGNING_TIME_MALFORMED")])
def test_a_signing_time_missing_or_malformed_invalidates_the_signature(text: str | None, code: str) -> None:
    """An intact signature without a readable signing time is not valid: nothing can be checked against it."""
    signature = verify_document(_signed_by(load_signer("TEST-ONLY-seller"), signing_time=text)).signature("NBan")
    assert signature is not None
    assert [p.code for p in signature.problems] == [code]
    assert not signature.valid
