"""Genuine documents of other providers: amber without their CA in the trust store, green with it.

The real CA certificates (CA2, Viettel-CA) are not among the fixtures and cannot be fetched here, so "its CA in the
trust store" is the signer's own certificate put there as a trust anchor: what an operator does who pins one signer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from public.forgery import PRODUCTION, UNCONFIRMED, VALID, as_upload, headline, verdict_block
from public.lookup_support import make_public_app
from signing.support import REAL_XML
from sqlalchemy import Engine

from einvoice.domain.errors import Problem
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.validate import validate_document
from einvoice.xmldoc.verdicts import SignatureReport, VerificationReport, verdict_of
from einvoice.xmldoc.verify import verify_document

pytestmark = pytest.mark.skipif(not REAL_XML.is_dir(), reason="../shared/fixtures/real-xml is not present")

SALES_MTT = "10-ca2-sales-c25mtt-coded-signed.xml"  # one seller signature, CA2, 1024-bit
CODED = "07-datkep-eni-c25tac-00001144-coded.xml"  # seller (Viettel-CA) and tax authority (Government CA)


def _xml(name: str) -> bytes:
    return (REAL_XML / name).read_bytes()


def _pinned(xml: bytes, *roles: str) -> TrustStore:
    """Return a trust store holding the certificates of the signatures in ``roles``."""
    report = verify_document(xml)
    return TrustStore(s.certificate for s in report.signatures if s.role in roles and s.certificate is not None)


@pytest.mark.parametrize("production", [False, True])
def test_other_providers_invoice_is_amber_without_its_ca(production: bool) -> None:
    """A genuine CA2 invoice with no trust store, or one without its CA, is "signer not confirmed", never green."""
    xml = _xml(SALES_MTT)
    for trust in (None, _pinned(_xml(CODED), "NBan")):
        report = verify_document(xml, trust=trust, allow_development=not production)
        verdict = verdict_of(report, (), production=production)
        assert verdict.outcome == "unconfirmed"
        assert [p.code for p in verdict.reasons] == ["SIGNER_NOT_TRUSTED"]


@pytest.mark.parametrize("production", [False, True])
def test_other_providers_invoice_is_green_with_its_ca(production: bool) -> None:
    """The same invoice with its signer's CA in the trust store is valid (content judged apart)."""
    xml = _xml(SALES_MTT)
    report = verify_document(xml, trust=_pinned(xml, "NBan"), allow_development=not production)
    assert verdict_of(report, (), production=production).outcome == "valid"


def test_every_signer_must_be_confirmed() -> None:
    """A coded invoice whose seller is trusted but whose tax-authority signer is not stays amber; both make it green."""
    xml = _xml(CODED)
    seller_only = verify_document(xml, trust=_pinned(xml, "NBan"))
    assert verdict_of(seller_only, (), production=True).outcome == "unconfirmed"
    both = verify_document(xml, trust=_pinned(xml, "NBan", "CQT"))
    assert verdict_of(both, (), production=True).outcome == "valid"


def test_content_problems_make_any_signature_red() -> None:
    """A trusted, intact document whose content breaks the rules is red, saying so in plain words."""
    xml = _xml(SALES_MTT)
    report = verify_document(xml, trust=_pinned(xml, "NBan"))
    broken = Problem("DOC_TOTAL", "/HDon", "Tổng tiền không khớp.", "total differs")
    verdict = verdict_of(report, (broken,), production=True)
    assert verdict.outcome == "invalid"
    assert [p.message_vi for p in verdict.reasons] == ["nội dung chứng từ không đúng quy định"]


def test_certificate_not_valid_at_signing_time_is_red() -> None:
    """A signature whose certificate had expired when it signed is red, whatever the trust store says."""
    expired = SignatureReport("NBan", certificate_valid_at_signing_time=False, trusted=True)
    verdict = verdict_of(VerificationReport("invoice", (expired,)), (), production=True)
    assert verdict.outcome == "invalid"
    assert [p.code for p in verdict.reasons] == ["CERTIFICATE_EXPIRED_AT_SIGNING"]


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("pinned", [False, True])
def test_check_page_on_a_real_invoice(
    engine: Engine,
    world: dict[str, Any],
    clock: Callable[[], datetime],
    tmp_path: Path,
    mode: str,
    pinned: bool,
) -> None:
    """Through the real page: the CA2 invoice is amber without its CA in the trust store and green with it."""
    from einvoice.web.runtime import dispose

    xml = _xml(SALES_MTT)
    if validate_document(xml, Profile.READ):
        pytest.skip("the reading profile (issue 9, section 2) does not accept this coded invoice yet")
    app = make_public_app(engine, clock, tmp_path / "data", **(PRODUCTION if mode == "production" else {}))
    if pinned:
        certificate = verify_document(xml).signatures[0].certificate
        assert certificate is not None
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        (Path(app.config["TRUST_DIR"]) / "ca2-signer.pem").write_bytes(pem)
    try:
        page = app.test_client().post("/tra-cuu/kiem-tra", data={"tep": (as_upload(xml), "hoa-don.xml")})
        assert headline(page.data) == (VALID if pinned else UNCONFIRMED)
        assert "Trùng khớp" not in verdict_block(page.data)  # not ours: nothing to compare with
    finally:
        dispose(app)
