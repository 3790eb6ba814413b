"""Documents built by the XML builder sign and verify, with xmlsec1 and with us, from 1 to 500 lines."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import builders
import pytest
from signing.support import COLLECTOR_TAX_CODE, OTHER_TAX_CODE, SELLER_TAX_CODE, SIGNING_TIME, Xmlsec

from einvoice.domain.documents import Invoice
from einvoice.jsondoc.documents import load_document
from einvoice.signing.base import TaxCodeMismatch
from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.xmldoc.build import build_invoice, build_invoice_for_signing, build_receipt, build_receipt_for_signing
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.sign import sign_built, sign_document
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


GOLDEN = Path(__file__).resolve().parents[1] / "golden"


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.json")))
def test_signing_what_was_built_equals_signing_the_bytes(
    name: str, seller: Pkcs12Signer, collector: Pkcs12Signer
) -> None:
    """sign_built (no re-parse) gives byte for byte what sign_document gives for the same built bytes."""
    document = load_document(json.loads((GOLDEN / f"{name}.json").read_text("utf-8"), parse_float=Decimal))
    if isinstance(document, Invoice):
        document = replace(document, seller=replace(document.seller, tax_code=SELLER_TAX_CODE))
        built, signer, tax_code = build_invoice_for_signing(document), seller, SELLER_TAX_CODE
        assert built.xml == build_invoice(document)
    else:
        document = replace(document, collector=replace(document.collector, tax_code=COLLECTOR_TAX_CODE))
        built, signer, tax_code = build_receipt_for_signing(document), collector, COLLECTOR_TAX_CODE
        assert built.xml == build_receipt(document)
    from_bytes = sign_document(built.xml, signer, signing_time=SIGNING_TIME, expected_tax_code=tax_code)
    from_tree = sign_built(built, signer, signing_time=SIGNING_TIME, expected_tax_code=tax_code)
    assert from_tree == from_bytes


@pytest.mark.parametrize("lines", [1, 500])
def test_signed_from_the_built_tree_verifies_with_xmlsec1(
    lines: int, seller: Pkcs12Signer, xmlsec: Xmlsec, trust: TrustStore
) -> None:
    """What sign_built makes verifies with xmlsec1 (chain) and with our verifier."""
    built = build_invoice_for_signing(builders.invoice(lines))
    signed = sign_built(built, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    ok, output = xmlsec.verify(signed)
    assert ok, output
    assert verify_document(signed, trust=trust).accepted


def test_signing_what_was_built_refuses_another_tax_code(seller: Pkcs12Signer) -> None:
    """sign_built refuses a certificate of another tax code, like sign_document."""
    built = build_invoice_for_signing(builders.invoice(1))
    with pytest.raises(TaxCodeMismatch):
        sign_built(built, seller, signing_time=SIGNING_TIME, expected_tax_code=OTHER_TAX_CODE)
