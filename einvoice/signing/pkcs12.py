"""A signer backed by a PKCS#12 file (``.p12``/``.pfx``): the private key and its certificate chain.

The password never lives in the repository or in code: it comes from an environment variable
(:func:`password_from_env`) or from a file readable only by the service (:func:`password_from_file`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12

from einvoice.signing.base import SHA256_DIGEST_SIZE, CredentialError

#: Environment variable read by :meth:`Pkcs12Signer.from_env` unless told otherwise.
DEFAULT_PASSWORD_ENV = "EINVOICE_SIGNING_PASSWORD"  # noqa: S105 - the name of a variable, not a secret


def password_from_env(name: str = DEFAULT_PASSWORD_ENV) -> bytes:
    """Return the password held in the environment variable ``name``, or raise :class:`CredentialError`."""
    value = os.environ.get(name)
    if not value:
        raise CredentialError(f"the environment variable {name} holding the PKCS#12 password is not set")
    return value.encode("utf-8")


def password_from_file(path: Path) -> bytes:
    """Return the password stored in ``path`` (one line; a trailing newline is ignored)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CredentialError(f"cannot read the password file {path}: {exc.strerror}") from exc
    return raw.rstrip(b"\r\n")


class Pkcs12Signer:
    """Signs with the RSA key of a PKCS#12 bundle; the bundle's first certificate must hold that key."""

    def __init__(self, data: bytes, password: bytes) -> None:
        try:
            key, certificate, extra = pkcs12.load_key_and_certificates(data, password)
        except ValueError as exc:
            raise CredentialError("cannot open the PKCS#12 bundle: wrong password or not PKCS#12") from exc
        if key is None or certificate is None:
            raise CredentialError("the PKCS#12 bundle must hold a private key and its certificate")
        if not isinstance(key, rsa.RSAPrivateKey):
            raise CredentialError("the PKCS#12 key is not an RSA key (the format requires RSA signatures)")
        if key.public_key().public_numbers() != _rsa_public_numbers(certificate):
            raise CredentialError("the PKCS#12 private key does not belong to its certificate")
        self._key = key
        self._certificate = certificate
        self._chain = tuple(extra)

    @classmethod
    def from_file(cls, path: Path, *, password: bytes) -> Pkcs12Signer:
        """Load the bundle at ``path`` with ``password``."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CredentialError(f"cannot read the PKCS#12 file {path}: {exc.strerror}") from exc
        return cls(data, password)

    @classmethod
    def from_password_file(cls, path: Path, password_file: Path) -> Pkcs12Signer:
        """Load the bundle at ``path`` with the password stored in ``password_file``."""
        return cls.from_file(path, password=password_from_file(password_file))

    @classmethod
    def from_env(cls, path: Path, variable: str = DEFAULT_PASSWORD_ENV) -> Pkcs12Signer:
        """Load the bundle at ``path`` with the password in the environment variable ``variable``."""
        return cls.from_file(path, password=password_from_env(variable))

    @property
    def certificate(self) -> x509.Certificate:
        """Return the signing certificate."""
        return self._certificate

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        """Return the other certificates of the bundle (CA certificates), as stored."""
        return self._chain

    def sign_digest(self, digest: bytes) -> bytes:
        """Return the RSASSA-PKCS1-v1_5 signature of the SHA-256 ``digest``."""
        if len(digest) != SHA256_DIGEST_SIZE:
            raise ValueError("sign_digest takes a 32-byte SHA-256 digest")
        return self._key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def _rsa_public_numbers(certificate: x509.Certificate) -> rsa.RSAPublicNumbers | None:
    public_key = certificate.public_key()
    return public_key.public_numbers() if isinstance(public_key, rsa.RSAPublicKey) else None
