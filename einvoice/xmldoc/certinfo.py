"""Certificates in signatures: reading them from ``KeyInfo``, and trusting them through configured roots.

A :class:`TrustStore` is a set of root CA certificates read from a directory of PEM files. Chains are built and
checked by ``cryptography``'s X.509 verifier at the signing time. The development CA is a trust anchor only when the
caller says development, and a development certificate is never trusted otherwise.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import verification
from lxml import etree

from einvoice.signing.certificates import is_development_certificate
from einvoice.xmldoc import dsig

_PEM_SUFFIXES = (".pem", ".crt", ".cer")


@dataclass(frozen=True)
class KeyInfoCertificates:
    """The certificates of a signature's ``KeyInfo/X509Data``: the signing one and the others."""

    signing: x509.Certificate
    others: tuple[x509.Certificate, ...]


def certificates_in(signature: etree._Element) -> KeyInfoCertificates | None:
    """Return the certificates in ``KeyInfo/X509Data/X509Certificate``, or None when there are none.

    Raises ValueError when one cannot be read. The signing certificate is the one that issued none of the others.
    """
    texts = [
        el.text or ""
        for el in signature.iterfind(f"{dsig.ds('KeyInfo')}/{dsig.ds('X509Data')}/{dsig.ds('X509Certificate')}")
    ]
    if not texts:
        return None
    certificates = []
    for text in texts:
        try:
            der = base64.b64decode("".join(text.split()), validate=True)
        except binascii.Error as exc:
            raise ValueError("an X509Certificate is not base64") from exc
        certificates.append(x509.load_der_x509_certificate(der))
    issuers = {certificate.issuer for certificate in certificates}
    leaves = (
        [c for c in certificates if c.subject not in issuers or c.subject == c.issuer]
        if len(certificates) > 1
        else certificates
    )
    signing = leaves[0] if leaves else certificates[0]
    others = tuple(c for c in certificates if c is not signing)
    return KeyInfoCertificates(signing, others)


def key_value_matches(signature: etree._Element, certificate: x509.Certificate) -> bool | None:
    """Tell whether ``KeyInfo/KeyValue`` holds the certificate's RSA key; None when there is no KeyValue."""
    key_value = signature.find(f"{dsig.ds('KeyInfo')}/{dsig.ds('KeyValue')}")
    if key_value is None:
        return None
    rsa_value = key_value.find(dsig.ds("RSAKeyValue"))
    public_key = certificate.public_key()
    if rsa_value is None or not isinstance(public_key, rsa.RSAPublicKey):
        return False
    numbers = public_key.public_numbers()
    return _integer(rsa_value, "Modulus") == numbers.n and _integer(rsa_value, "Exponent") == numbers.e


def _integer(parent: etree._Element, tag: str) -> int | None:
    text = parent.findtext(dsig.ds(tag))
    if text is None:
        return None
    try:
        return int.from_bytes(base64.b64decode("".join(text.split()), validate=True), "big")
    except binascii.Error:
        return None


class TrustStore:
    """The root CA certificates we trust for signatures."""

    def __init__(self, roots: Iterable[x509.Certificate]) -> None:
        self.roots = tuple(roots)

    @classmethod
    def from_directory(cls, path: Path) -> TrustStore:
        """Load every certificate of the ``*.pem``/``*.crt``/``*.cer`` PEM files directly in ``path``."""
        if not path.is_dir():
            raise ValueError(f"the trust store {path} is not a directory")
        roots: list[x509.Certificate] = []
        for file in sorted(path.iterdir()):
            if file.suffix.lower() in _PEM_SUFFIXES and file.is_file():
                try:
                    roots += x509.load_pem_x509_certificates(file.read_bytes())
                except ValueError as exc:
                    raise ValueError(f"{file} holds no readable PEM certificate: {exc}") from exc
        return cls(roots)

    def chain_problem(
        self,
        certificate: x509.Certificate,
        intermediates: Sequence[x509.Certificate],
        *,
        at: datetime,
        allow_development: bool,
    ) -> tuple[str, str] | None:
        """Return ``(code, reason)`` when ``certificate`` does not chain to a trusted root at ``at``, else None."""
        if not allow_development and any(map(is_development_certificate, (certificate, *intermediates))):
            return "DEVELOPMENT_CERTIFICATE", "a development certificate is trusted only in development mode"
        roots = [root for root in self.roots if allow_development or not is_development_certificate(root)]
        if not roots:
            return "CHAIN_UNTRUSTED", "the trust store holds no usable root certificate"
        builder = (
            verification.PolicyBuilder()
            .store(verification.Store(roots))
            .time(at)
            .extension_policies(
                ee_policy=_signing_policy(), ca_policy=verification.ExtensionPolicy.webpki_defaults_ca()
            )
        )
        try:
            builder.build_client_verifier().verify(certificate, list(intermediates))
        except verification.VerificationError as exc:
            return "CHAIN_UNTRUSTED", f"no chain to a trusted root at {at.isoformat()}: {exc}"
        return None


def _signing_policy() -> verification.ExtensionPolicy:
    """Accept any end-entity extensions, but require a KeyUsage that allows digital signatures."""

    def allows_signing(_policy: object, _certificate: object, usage: x509.KeyUsage | None) -> None:
        if usage is None or not usage.digital_signature:
            raise ValueError("the certificate's KeyUsage does not allow digitalSignature")

    return verification.ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, verification.Criticality.AGNOSTIC, allows_signing
    )
