"""The signer interface the issuing code depends on, and the errors of signing.

A :class:`Signer` holds (or reaches) one RSA private key and the certificate that names its owner. The document code
computes what must be signed, asks the signer for an RSA signature over a SHA-256 digest, and assembles the XML
signature itself, so a PKCS#12 file, a remote signing service or an HSM plug in without touching the document code.

Its exceptions are a branch of the project's tree, drawn with the HTTP status of each in
:mod:`einvoice.domain.errors`; each carries a stable ``code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from cryptography import x509

from einvoice.domain.errors import EInvoiceError

#: Length of the SHA-256 digests a signer signs.
SHA256_DIGEST_SIZE = 32


class SigningError(EInvoiceError):
    """Signing failed or was refused; ``code`` is stable, the message says why in English."""

    code = "SIGNING_FAILED"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class CredentialError(SigningError):
    """The signing key or certificate cannot be loaded or used."""

    code = "CREDENTIAL_UNUSABLE"


class CertificateRefused(SigningError):
    """The certificate may not sign this document."""

    code = "CERTIFICATE_REFUSED"


class TaxCodeMismatch(CertificateRefused):
    """The certificate's ``UID=MST:`` tax code differs from the issuer's tax code."""

    code = "TAX_CODE_MISMATCH"


class CertificateNotValid(CertificateRefused):
    """The certificate is not yet valid, or has expired, at the signing time."""

    code = "CERTIFICATE_NOT_VALID"


class DocumentNotSignable(SigningError):
    """The input is not an unsigned document with exactly one empty signer slot."""

    code = "DOCUMENT_NOT_SIGNABLE"


class RemoteSigningError(SigningError):
    """The remote signing service failed, or answered something we cannot use."""

    code = "REMOTE_SIGNING_FAILED"


class RemoteSigningTimeout(RemoteSigningError):
    """The remote signing service gave no signature within the time allowed."""

    code = "REMOTE_SIGNING_TIMEOUT"


class RemoteSigningRejected(RemoteSigningError):
    """The key holder or the remote signing service refused to sign."""

    code = "REMOTE_SIGNING_REJECTED"


@runtime_checkable
class Signer(Protocol):
    """One RSA key and its certificate: the only thing the document code needs to sign."""

    @property
    def certificate(self) -> x509.Certificate:
        """Return the signing (end-entity) certificate."""
        ...

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        """Return the certificates between the signing certificate and a root, nearest first (may be empty)."""
        ...

    def sign_digest(self, digest: bytes) -> bytes:
        """Return the RSASSA-PKCS1-v1_5 signature of a 32-byte SHA-256 ``digest``."""
        ...
