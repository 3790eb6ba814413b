"""Signing keys and certificates: the :class:`Signer` interface and its PKCS#12, remote and development sources.

The XML side (assembling and verifying XMLDSig) is in :mod:`einvoice.xmldoc.sign` and :mod:`einvoice.xmldoc.verify`.
"""

from __future__ import annotations

from einvoice.signing.base import (
    CertificateNotValid,
    CertificateRefused,
    CredentialError,
    DocumentNotSignable,
    RemoteSigningError,
    RemoteSigningRejected,
    RemoteSigningTimeout,
    Signer,
    SigningError,
    TaxCodeMismatch,
)
from einvoice.signing.certificates import is_development_certificate, tax_code_of
from einvoice.signing.devca import ensure_dev_credentials
from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.signing.remote import RemoteSigner

__all__ = [
    "CertificateNotValid",
    "CertificateRefused",
    "CredentialError",
    "DocumentNotSignable",
    "Pkcs12Signer",
    "RemoteSigner",
    "RemoteSigningError",
    "RemoteSigningRejected",
    "RemoteSigningTimeout",
    "Signer",
    "SigningError",
    "TaxCodeMismatch",
    "ensure_dev_credentials",
    "is_development_certificate",
    "tax_code_of",
]
