"""Documents built by the XML builder sign and verify, with xmlsec1 and with us, from 1 to 500 lines."""

from __future__ import annotations

import builders
import pytest
from signing.support import COLLECTOR_TAX_CODE, SELLER_TAX_CODE, SIGNING_TIME, Xmlsec

from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.xmldoc.build import build_invoice, build_receipt
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.sign import sign_document
from einvoice.xmldoc.verify import verify_document


@pytest.mark.parametrize("lines", [1, 10, 500])
def test_built_invoice_signs_and_verifies(lines: int, seller: Pkcs12Signer, xmlsec: Xmlsec, trust: TrustStore) -> None:
    """An invoice of ``lines`` goods lines is signed in place and verifies with xmlsec1 (chain) and our verifier."""
    unsigned = build_invoice(builders.invoice(lines))
    signed = sign_document(unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    assert signed.startswith(unsigned.split(b"<NBan/>")[0])
    ok, output = xmlsec.verify(signed)
    assert ok, output
    report = verify_document(signed, trust=trust)
    assert report.accepted, report
    assert report.signed_data is not None
    assert len(report.signed_data.findall("NDHDon/DSHHDVu/HHDVu")) == lines


@pytest.mark.parametrize("fees", [1, 10, 500])
def test_built_receipt_signs_and_verifies(
    fees: int, collector: Pkcs12Signer, xmlsec: Xmlsec, trust: TrustStore
) -> None:
    """A receipt of ``fees`` fee lines is signed by the collector and verifies with xmlsec1 (chain) and us."""
    unsigned = build_receipt(builders.receipt(fees))
    signed = sign_document(unsigned, collector, signing_time=SIGNING_TIME, expected_tax_code=COLLECTOR_TAX_CODE)
    ok, output = xmlsec.verify(signed)
    assert ok, output
    report = verify_document(signed, trust=trust)
    assert report.accepted, report
    assert report.signed_data is not None
    assert report.signed_data.tag == "DLBLai"
