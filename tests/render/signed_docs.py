"""Signing test documents for real with the committed TEST-ONLY certificates of tests/signing/certs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from einvoice.domain.documents import Invoice, Receipt
from einvoice.signing import Pkcs12Signer
from einvoice.xmldoc.build import build_invoice, build_receipt
from einvoice.xmldoc.sign import sign_document

CERTS = Path(__file__).resolve().parents[1] / "signing" / "certs"
#: The TEST-ONLY bundle of each issuer tax code the builders use.
BUNDLES = {"0101234567": "TEST-ONLY-seller", "0109999999": "TEST-ONLY-collector"}
ROOT_CA = CERTS / "TEST-ONLY-root-ca.pem"
#: When test documents are signed (the certificates are valid 2025-2055).
SIGNING_TIME = datetime(2025, 11, 20, 9, 15, 2, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
#: An MCCQT as the tax authority writes it (34 uppercase hex characters).
AUTHORITY_CODE = "8113CCD57BCC88099FBA914601E2630383"

Sign = Callable[..., bytes]


@cache
def signer_for(tax_code: str) -> Pkcs12Signer:
    """Return the TEST-ONLY signer of ``tax_code``."""
    name = BUNDLES[tax_code]
    return Pkcs12Signer.from_password_file(CERTS / f"{name}.p12", CERTS / f"{name}.password")


def sign(document: Invoice | Receipt, *, authority_code: str | None = None) -> bytes:
    """Return the XML of ``document`` signed by its issuer's TEST-ONLY certificate (plus an MCCQT when given)."""
    issuer = document.seller if isinstance(document, Invoice) else document.collector
    xml = build_invoice(document) if isinstance(document, Invoice) else build_receipt(document)
    xml = sign_document(xml, signer_for(issuer.tax_code), signing_time=SIGNING_TIME, expected_tax_code=issuer.tax_code)
    if authority_code:  # the seller's signature never covers MCCQT, so adding it keeps the signature valid
        xml = xml.replace(b"<DSCKS>", f'<MCCQT Id="Id-MCCQT">{authority_code}</MCCQT><DSCKS>'.encode(), 1)
    return xml
