"""Signing test documents for real, with development certificates made once per test session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from einvoice.domain.documents import Invoice, Receipt
from einvoice.signing import Pkcs12Signer, ensure_dev_credentials
from einvoice.signing.devca import dev_credentials
from einvoice.xmldoc.build import build_invoice, build_receipt
from einvoice.xmldoc.sign import sign_document

#: An MCCQT as the tax authority writes it (34 uppercase hex characters).
AUTHORITY_CODE = "8113CCD57BCC88099FBA914601E2630383"

Sign = Callable[..., bytes]


def make_signer(data_dir: Path) -> Sign:
    """Return a function that signs a document with a development certificate of its issuer, made under ``data_dir``."""
    signers: dict[str, Pkcs12Signer] = {}

    def signed(document: Invoice | Receipt, *, authority_code: str | None = None) -> bytes:
        issuer = document.seller if isinstance(document, Invoice) else document.collector
        if issuer.tax_code not in signers:
            p12 = ensure_dev_credentials(data_dir, issuer.tax_code, issuer.name)
            signers[issuer.tax_code] = Pkcs12Signer.from_password_file(
                p12, dev_credentials(data_dir, issuer.tax_code).password_file
            )
        xml = build_invoice(document) if isinstance(document, Invoice) else build_receipt(document)
        xml = sign_document(
            xml, signers[issuer.tax_code], signing_time=datetime.now(UTC), expected_tax_code=issuer.tax_code
        )
        if authority_code:  # the seller's signature never covers MCCQT, so adding it keeps the signature valid
            xml = xml.replace(b"<DSCKS>", f'<MCCQT Id="Id-MCCQT">{authority_code}</MCCQT><DSCKS>'.encode(), 1)
        return xml

    return signed
