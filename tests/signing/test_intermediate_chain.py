"""The development chain has three levels, and signatures carry the intermediate so that a root alone suffices."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from signing.support import SELLER_TAX_CODE, SIGNING_TIME, Xmlsec

from einvoice.signing import Pkcs12Signer, ensure_dev_credentials, is_development_certificate
from einvoice.signing.devca import create_root_ca, dev_credentials, write_pkcs12
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.sign import sign_document
from einvoice.xmldoc.verify import verify_document

NAME = "CÔNG TY TNHH ABC"
_CERTIFICATE = re.compile(rb"<X509Certificate>([^<]+)</X509Certificate>")


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pkcs12Signer, x509.Certificate, x509.Certificate, Path]:
    """Return the development signer, its intermediate and root, and the root's PEM path."""
    folder = tmp_path_factory.mktemp("data")
    ensure_dev_credentials(folder, SELLER_TAX_CODE, NAME)
    paths = dev_credentials(folder, SELLER_TAX_CODE)
    signer = Pkcs12Signer.from_password_file(paths.p12, paths.password_file)
    root = x509.load_pem_x509_certificate(paths.root_certificate.read_bytes())
    intermediate = x509.load_pem_x509_certificate(paths.intermediate_certificate.read_bytes())
    return signer, intermediate, root, paths.root_certificate


@pytest.fixture(scope="module")
def signed(chain: tuple[Pkcs12Signer, x509.Certificate, x509.Certificate, Path], invoice_unsigned: bytes) -> bytes:
    """Return the §10.1 sample signed by the development issuer (three-level chain)."""
    now = datetime.now(UTC).replace(microsecond=0)  # the development chain starts today
    return sign_document(invoice_unsigned, chain[0], signing_time=now, expected_tax_code=SELLER_TAX_CODE)


def _der(certificate: x509.Certificate) -> bytes:
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER))


def test_the_development_chain_has_three_levels(
    chain: tuple[Pkcs12Signer, x509.Certificate, x509.Certificate, Path],
) -> None:
    """Root → intermediate → issuer, each signed by the one above, every one marked as development."""
    signer, intermediate, root, _ = chain
    assert list(signer.chain) == [intermediate, root]
    signer.certificate.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)
    assert intermediate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 1
    assert all(map(is_development_certificate, (signer.certificate, intermediate, root)))


def test_key_info_carries_the_intermediate_but_not_the_root(
    chain: tuple[Pkcs12Signer, x509.Certificate, x509.Certificate, Path], signed: bytes
) -> None:
    """KeyInfo holds the signing certificate then the intermediate; the root is the verifier's to hold."""
    signer, intermediate, root, _ = chain
    assert _CERTIFICATE.findall(signed) == [_der(signer.certificate), _der(intermediate)]
    assert _der(root) not in signed


def test_a_root_alone_verifies_through_the_carried_intermediate(
    chain: tuple[Pkcs12Signer, x509.Certificate, x509.Certificate, Path], signed: bytes
) -> None:
    """Trusting only the root, the signature is trusted; without the intermediate in KeyInfo it is not."""
    root = chain[2]
    trust = TrustStore([root])
    report = verify_document(signed, trust=trust, allow_development=True)
    assert report.accepted, report
    without = signed.replace(b"<X509Certificate>" + _der(chain[1]) + b"</X509Certificate>", b"")
    signature = verify_document(without, trust=trust, allow_development=True).signature("NBan")
    assert signature is not None
    assert signature.valid
    assert [p.code for p in signature.certificate_problems] == ["CHAIN_UNTRUSTED"]


def test_xmlsec1_verifies_the_chain_from_the_root(
    chain: tuple[Pkcs12Signer, x509.Certificate, x509.Certificate, Path], signed: bytes, xmlsec: Xmlsec
) -> None:
    """xmlsec1, trusting the root only, accepts the signature thanks to the intermediate in KeyInfo, and not without."""
    ok, output = xmlsec.verify(signed, trusted_pem=chain[3])
    assert ok, output
    without = signed.replace(b"<X509Certificate>" + _der(chain[1]) + b"</X509Certificate>", b"")
    ok, output = xmlsec.verify(without, trusted_pem=chain[3])
    assert not ok, output


def test_a_two_level_development_root_is_replaced(tmp_path: Path) -> None:
    """A data folder from the former two-level chain (root path length 0) gets a root that can sign intermediates."""
    paths = dev_credentials(tmp_path, SELLER_TAX_CODE)
    paths.folder.mkdir(mode=0o700)
    key, old_root = create_root_ca(now=SIGNING_TIME, path_length=0, key_size=2048)
    write_pkcs12(paths.folder / "root-ca.p12", paths.folder / "root-ca.password", key, old_root)
    ensure_dev_credentials(tmp_path, SELLER_TAX_CODE, NAME)
    root = x509.load_pem_x509_certificate(paths.root_certificate.read_bytes())
    assert root != old_root
    signer = Pkcs12Signer.from_password_file(paths.p12, paths.password_file)
    assert signer.chain[-1] == root
