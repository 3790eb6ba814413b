"""The development CA, the PKCS#12 signer, trust stores, and the dev-ca / sign / verify commands."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.x509.oid import NameOID
from signing.support import ATTACKS, CERTS, SAMPLES, SELLER_TAX_CODE

from einvoice.cli import main
from einvoice.signing import CredentialError, Pkcs12Signer, ensure_dev_credentials, is_development_certificate
from einvoice.signing.devca import dev_credentials
from einvoice.signing.pkcs12 import password_from_env
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.sign import sign_document
from einvoice.xmldoc.verify import verify_document

NAME = "CÔNG TY TNHH ABC"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a data directory holding development credentials for the seller."""
    folder = tmp_path_factory.mktemp("data")
    ensure_dev_credentials(folder, SELLER_TAX_CODE, NAME)
    return folder


def test_dev_credentials_are_private_files(data_dir: Path) -> None:
    """The bundles and passwords are 0600 in a 0700 folder; the root certificate is public."""
    paths = dev_credentials(data_dir, SELLER_TAX_CODE)
    assert stat.S_IMODE(paths.folder.stat().st_mode) == 0o700
    for private in (paths.p12, paths.password_file, paths.folder / "root-ca.p12", paths.folder / "root-ca.password"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert paths.root_certificate.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_dev_certificate_names_the_issuer_and_is_marked(data_dir: Path) -> None:
    """The issuer certificate carries UID=MST:<tax code> and CN=name, and both it and its root are recognisably dev."""
    paths = dev_credentials(data_dir, SELLER_TAX_CODE)
    signer = Pkcs12Signer.from_password_file(paths.p12, paths.password_file)
    subject = signer.certificate.subject
    assert subject.get_attributes_for_oid(NameOID.USER_ID)[0].value == f"MST:{SELLER_TAX_CODE}"
    assert subject.get_attributes_for_oid(x509.ObjectIdentifier("0.9.2342.19200300.100.1.1"))
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == NAME
    assert is_development_certificate(signer.certificate)
    assert is_development_certificate(x509.load_pem_x509_certificate(paths.root_certificate.read_bytes()))


def test_ensure_dev_credentials_is_idempotent(data_dir: Path) -> None:
    """A second call keeps the existing key, certificate and root."""
    paths = dev_credentials(data_dir, SELLER_TAX_CODE)
    before = (paths.p12.read_bytes(), paths.root_certificate.read_bytes())
    assert ensure_dev_credentials(data_dir, SELLER_TAX_CODE, NAME) == paths.p12
    assert (paths.p12.read_bytes(), paths.root_certificate.read_bytes()) == before


def test_second_issuer_shares_the_root(data_dir: Path) -> None:
    """Another tax code gets its own certificate from the same development root."""
    first = Pkcs12Signer.from_password_file(*_pair(data_dir, SELLER_TAX_CODE))
    ensure_dev_credentials(data_dir, "0109999999", "TRUNG TÂM")
    second = Pkcs12Signer.from_password_file(*_pair(data_dir, "0109999999"))
    assert second.certificate.issuer == first.certificate.issuer


def test_new_root_reissues_the_issuer_certificate(tmp_path: Path) -> None:
    """When the development root is replaced, the issuer certificate it did not sign is issued again."""
    paths = dev_credentials(tmp_path, SELLER_TAX_CODE)
    ensure_dev_credentials(tmp_path, SELLER_TAX_CODE, NAME)
    first = Pkcs12Signer.from_password_file(paths.p12, paths.password_file).certificate
    (paths.folder / "root-ca.p12").unlink()
    ensure_dev_credentials(tmp_path, SELLER_TAX_CODE, NAME)
    second = Pkcs12Signer.from_password_file(paths.p12, paths.password_file).certificate
    root = x509.load_pem_x509_certificate(paths.root_certificate.read_bytes())
    intermediate = x509.load_pem_x509_certificate(paths.intermediate_certificate.read_bytes())
    assert second != first
    second.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(root)


def test_bad_tax_code_is_refused(tmp_path: Path) -> None:
    """A tax code that is not 10, 10-3 or 12 digits never becomes a file name."""
    with pytest.raises(ValueError, match="tax code"):
        ensure_dev_credentials(tmp_path, "../../etc", NAME)


def test_dev_signature_is_trusted_only_in_development(data_dir: Path, invoice_unsigned: bytes) -> None:
    """A document signed by the dev CA is valid; trusted only when the caller says development."""
    signer = Pkcs12Signer.from_password_file(*_pair(data_dir, SELLER_TAX_CODE))
    signed = sign_document(invoice_unsigned, signer, signing_time=datetime.now(UTC), expected_tax_code=SELLER_TAX_CODE)
    trust = TrustStore.from_directory(dev_credentials(data_dir, SELLER_TAX_CODE).folder)
    production = verify_document(signed, trust=trust)
    assert production.valid
    assert not production.accepted
    seller = production.signature("NBan")
    assert seller is not None
    assert [p.code for p in seller.certificate_problems] == ["DEVELOPMENT_CERTIFICATE"]
    assert verify_document(signed, trust=trust, allow_development=True).accepted


def test_test_chain_is_not_a_development_chain() -> None:
    """The committed TEST-ONLY chain is trusted through its root like a real CA, not through development mode."""
    assert not any(is_development_certificate(root) for root in TrustStore.from_directory(CERTS).roots)


def test_untrusted_root_is_reported(invoice_unsigned: bytes, data_dir: Path) -> None:
    """A valid signature whose chain ends at a root we do not hold is valid but not trusted."""
    signed = (SAMPLES / "invoice-10.1-signed.xml").read_bytes()
    report = verify_document(signed, trust=TrustStore.from_directory(dev_credentials(data_dir, SELLER_TAX_CODE).folder))
    seller = report.signature("NBan")
    assert seller is not None
    assert seller.valid
    assert seller.trusted is False
    assert [p.code for p in seller.certificate_problems] == ["CHAIN_UNTRUSTED"]


def test_pkcs12_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password comes from a file or an environment variable; a wrong or missing one is a CredentialError."""
    p12 = CERTS / "TEST-ONLY-seller.p12"
    password = (CERTS / "TEST-ONLY-seller.password").read_bytes().strip()
    monkeypatch.setenv("EINVOICE_SIGNING_PASSWORD", password.decode())
    assert Pkcs12Signer.from_env(p12).certificate == Pkcs12Signer.from_file(p12, password=password).certificate
    monkeypatch.delenv("EINVOICE_SIGNING_PASSWORD")
    with pytest.raises(CredentialError, match="EINVOICE_SIGNING_PASSWORD"):
        password_from_env()
    with pytest.raises(CredentialError, match="wrong password"):
        Pkcs12Signer.from_file(p12, password=b"wrong")
    with pytest.raises(CredentialError, match="cannot read"):
        Pkcs12Signer.from_file(tmp_path / "missing.p12", password=password)


def test_cli_dev_ca_sign_verify(tmp_path: Path, invoice_unsigned: bytes) -> None:
    """einvoice dev-ca, then sign, then verify --development: a readable report and exit code 0."""
    runner = CliRunner()
    result = runner.invoke(main, ["dev-ca", "--data-dir", str(tmp_path), "--tax-code", SELLER_TAX_CODE, "--name", NAME])
    assert result.exit_code == 0, result.output
    p12, password = _pair(tmp_path, SELLER_TAX_CODE)
    unsigned = tmp_path / "invoice.xml"
    unsigned.write_bytes(invoice_unsigned)
    arguments = ["sign", str(unsigned), "--p12", str(p12), "--password-file", str(password)]
    result = runner.invoke(main, [*arguments, "--tax-code", SELLER_TAX_CODE])
    assert result.exit_code == 0, result.output
    signed = tmp_path / "invoice.signed.xml"
    assert verify_document(signed.read_bytes()).valid
    trust_dir = str(dev_credentials(tmp_path, SELLER_TAX_CODE).folder)
    result = runner.invoke(main, ["verify", str(signed), "--trust-dir", trust_dir, "--development"])
    assert result.exit_code == 0, result.output
    assert "signature NBan: valid, trusted" in result.output
    assert "UID=MST:0101234567" in result.output
    result = runner.invoke(main, ["verify", str(signed), "--trust-dir", trust_dir])
    assert result.exit_code == 1
    assert "DEVELOPMENT_CERTIFICATE" in result.output


def test_cli_sign_refuses_wrong_tax_code(tmp_path: Path, invoice_unsigned: bytes) -> None:
    """einvoice sign exits non-zero with the reason when the certificate's tax code is not the issuer's."""
    unsigned = tmp_path / "invoice.xml"
    unsigned.write_bytes(invoice_unsigned)
    arguments = ["sign", str(unsigned), "--p12", str(CERTS / "TEST-ONLY-seller.p12")]
    arguments += ["--password-file", str(CERTS / "TEST-ONLY-seller.password"), "--tax-code", "0309876543"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code != 0
    assert "TAX_CODE_MISMATCH" in result.output


def test_cli_verify_reports_an_attack() -> None:
    """einvoice verify prints the reason code of a rejected file and exits 1."""
    result = CliRunner().invoke(
        main, ["verify", str(ATTACKS / "10-comment-in-signed-text.xml"), "--trust-dir", str(CERTS)]
    )
    assert result.exit_code == 1
    assert "COMMENT_IN_SIGNED_DATA" in result.output


def _pair(data_dir: Path, tax_code: str) -> tuple[Path, Path]:
    paths = dev_credentials(data_dir, tax_code)
    return paths.p12, paths.password_file


def test_cli_dev_ca_defaults_to_the_data_dir_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --data-dir, einvoice dev-ca writes under EINVOICE_DATA_DIR, where the service looks for it."""
    monkeypatch.setenv("EINVOICE_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["dev-ca", "--tax-code", SELLER_TAX_CODE, "--name", NAME])
    assert result.exit_code == 0, result.output
    assert dev_credentials(tmp_path, SELLER_TAX_CODE).p12.is_file()
