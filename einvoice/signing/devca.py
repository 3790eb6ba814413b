"""The development certificate authority: a local three-level chain and issuer certificates for trying it out.

:func:`ensure_dev_credentials` is what the run command calls on first start: it creates, once, a root CA, an
intermediate (issuing) CA signed by it, and an issuer certificate signed by the intermediate whose subject carries
``UID=MST:<tax code>``, and stores them under ``<data dir>/dev-ca/``::

    root-ca.pem                  the root certificate (trust it only in development)
    root-ca.p12, root-ca.password            the root key, kept to issue the intermediate
    intermediate-ca.pem          the intermediate certificate (carried in every signature's KeyInfo)
    intermediate-ca.p12, intermediate-ca.password   the intermediate key, kept to issue more certificates
    issuer-<tax code>.p12, issuer-<tax code>.password   key + chain (intermediate, root) for signing, and its password

Real certificates come from a licensed CA through an intermediate, as this chain does: a signature must carry the
intermediate in ``KeyInfo`` for a verifier that trusts only the root.

Private files are created with mode 0600 in a 0700 folder. Every certificate made here is marked (the root's
organisation is :data:`DEVELOPMENT_ORGANIZATION`, issuer certificates carry :data:`DEVELOPMENT_UNIT`), so
:func:`is_development_certificate` recognises them and production refuses them.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from einvoice.domain.parties import is_tax_code
from einvoice.signing.base import CredentialError
from einvoice.signing.certificates import (
    DEVELOPMENT_ORGANIZATION,
    DEVELOPMENT_UNIT,
    is_development_certificate,
    tax_code_of,
)
from einvoice.signing.pkcs12 import Pkcs12Signer, password_from_file

__all__ = [
    "DEVELOPMENT_ORGANIZATION",
    "DEVELOPMENT_UNIT",
    "DevCredentials",
    "create_intermediate_ca",
    "create_root_ca",
    "dev_credentials",
    "ensure_dev_credentials",
    "is_development_certificate",
    "issue_certificate",
    "write_pkcs12",
]

ROOT_VALIDITY = timedelta(days=20 * 365)
INTERMEDIATE_VALIDITY = timedelta(days=10 * 365)
ISSUER_VALIDITY = timedelta(days=3 * 365)
#: An issuer certificate this close to its end is replaced by :func:`ensure_dev_credentials`.
RENEW_BEFORE = timedelta(days=30)
_FOLDER = "dev-ca"


@dataclass(frozen=True)
class DevCredentials:
    """Where the development credentials of one issuer live."""

    folder: Path
    root_certificate: Path
    p12: Path
    password_file: Path
    intermediate_certificate: Path


def dev_credentials(data_dir: Path, tax_code: str) -> DevCredentials:
    """Return the paths of the development credentials for ``tax_code`` under ``data_dir`` (created or not)."""
    if not is_tax_code(tax_code):
        raise ValueError(f"not a tax code (10 digits, 10-3 digits or 12 digits): {tax_code!r}")
    folder = data_dir / _FOLDER
    return DevCredentials(
        folder=folder,
        root_certificate=folder / "root-ca.pem",
        p12=folder / f"issuer-{tax_code}.p12",
        password_file=folder / f"issuer-{tax_code}.password",
        intermediate_certificate=folder / "intermediate-ca.pem",
    )


def create_root_ca(
    *,
    now: datetime,
    organization: str = DEVELOPMENT_ORGANIZATION,
    common_name: str = "einvoice development root CA",
    validity: timedelta = ROOT_VALIDITY,
    key_size: int = 3072,
    path_length: int = 1,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Return a new self-signed root CA key and certificate, valid from ``now`` for ``validity``.

    ``path_length`` is how many intermediate CAs may follow it: 1 for the development chain, 0 for a two-level one.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(key_usage(signing=False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def create_intermediate_ca(
    root_key: rsa.RSAPrivateKey,
    root: x509.Certificate,
    *,
    now: datetime,
    organization: str = DEVELOPMENT_ORGANIZATION,
    common_name: str = "einvoice development issuing CA",
    validity: timedelta = INTERMEDIATE_VALIDITY,
    key_size: int = 3072,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Return a new intermediate CA key and certificate issued by ``root``, that may issue end-entity certificates."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(min(now + validity, root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return key, certificate


def issue_certificate(
    root_key: rsa.RSAPrivateKey,
    root: x509.Certificate,
    *,
    tax_code: str,
    name: str,
    not_before: datetime,
    not_after: datetime,
    unit: str | None = DEVELOPMENT_UNIT,
    key: rsa.RSAPrivateKey | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Return a key and a signing certificate for ``name`` with ``UID=MST:<tax_code>``, issued by ``root``.

    ``root`` is the issuing CA: the development intermediate, or any CA certificate with its key ``root_key``.
    """
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes += [
        x509.NameAttribute(NameOID.USER_ID, f"MST:{tax_code}"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ]
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(signing=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return key, certificate


def write_pkcs12(
    path: Path,
    password_file: Path,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
) -> None:
    """Write ``key``, ``certificate`` and ``chain`` as PKCS#12 at ``path``, its new password in ``password_file``."""
    password = secrets.token_urlsafe(32).encode("ascii")
    bundle = pkcs12.serialize_key_and_certificates(
        name=(tax_code_of(certificate) or "key").encode("utf-8"),
        key=key,
        cert=certificate,
        cas=list(chain) or None,
        encryption_algorithm=serialization.BestAvailableEncryption(password),
    )
    _write_private(password_file, password + b"\n")
    _write_private(path, bundle)


def ensure_dev_credentials(data_dir: Path, tax_code: str, name: str) -> Path:
    """Create (once) the development root CA and an issuer certificate for ``tax_code``; return the .p12 path.

    Idempotent: existing credentials that still open, name ``tax_code``, chain to the stored root and are not about
    to expire are kept as they are. The password is in the file beside the bundle (``issuer-<tax code>.password``).
    """
    paths = dev_credentials(data_dir, tax_code)
    paths.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(paths.folder / ".lock"):
        now = datetime.now(UTC)
        root_key, root = _ensure_root(paths.folder, now)
        ca_key, ca = _ensure_intermediate(paths, root_key, root, now)
        if not _issuer_usable(paths, ca, tax_code, now):
            key, certificate = issue_certificate(
                ca_key,
                ca,
                tax_code=tax_code,
                name=name,
                not_before=now - timedelta(minutes=5),
                not_after=min(now + ISSUER_VALIDITY, ca.not_valid_after_utc),
            )
            write_pkcs12(paths.p12, paths.password_file, key, certificate, [ca, root])
    return paths.p12


def key_usage(*, signing: bool) -> x509.KeyUsage:
    """Return the key usage of a signing certificate (``signing``) or of a certificate authority."""
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _stored_ca(folder: Path, stem: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate] | None:
    p12, password_file = folder / f"{stem}.p12", folder / f"{stem}.password"
    if not (p12.exists() and password_file.exists()):
        return None
    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), password_from_file(password_file))
    except ValueError:
        return None
    if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
        return None
    return key, certificate


def _store_ca(folder: Path, stem: str, key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> None:
    write_pkcs12(folder / f"{stem}.p12", folder / f"{stem}.password", key, certificate)
    _write_public(folder / f"{stem}.pem", certificate.public_bytes(serialization.Encoding.PEM))


def _ensure_root(folder: Path, now: datetime) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    stored = _stored_ca(folder, "root-ca")
    if stored is not None and now < stored[1].not_valid_after_utc and _allows_intermediate(stored[1]):
        if not (folder / "root-ca.pem").exists():
            _write_public(folder / "root-ca.pem", stored[1].public_bytes(serialization.Encoding.PEM))
        return stored
    key, certificate = create_root_ca(now=now - timedelta(minutes=5))
    _store_ca(folder, "root-ca", key, certificate)
    return key, certificate


def _allows_intermediate(root: x509.Certificate) -> bool:
    """Whether ``root`` may sign an intermediate (roots of the former two-level chain may not: they are replaced)."""
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    return constraints.path_length is None or constraints.path_length >= 1


def _ensure_intermediate(
    paths: DevCredentials, root_key: rsa.RSAPrivateKey, root: x509.Certificate, now: datetime
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    stored = _stored_ca(paths.folder, "intermediate-ca")
    if stored is not None and _issued_by(stored[1], root) and stored[1].not_valid_after_utc - RENEW_BEFORE > now:
        return stored
    key, certificate = create_intermediate_ca(root_key, root, now=now - timedelta(minutes=5))
    _store_ca(paths.folder, "intermediate-ca", key, certificate)
    return key, certificate


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:  # every development CA has the same name: check the signature, not the name
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _issuer_usable(paths: DevCredentials, ca: x509.Certificate, tax_code: str, now: datetime) -> bool:
    if not (paths.p12.exists() and paths.password_file.exists()):
        return False
    try:
        signer = Pkcs12Signer.from_password_file(paths.p12, paths.password_file)
    except CredentialError:
        return False
    certificate = signer.certificate
    if not _issued_by(certificate, ca):
        return False
    return tax_code_of(certificate) == tax_code and certificate.not_valid_after_utc - RENEW_BEFORE > now


def _write_private(path: Path, data: bytes) -> None:
    _write(path, data, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    _write(path, data, 0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically, the file having ``mode`` from its creation on."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # exactly ``mode``, whatever the umask
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise concurrent first starts (several workers) on one data directory."""
    descriptor = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
