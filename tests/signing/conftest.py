"""Fixtures for signing tests: the TEST-ONLY signers and trust store, the samples, xmlsec1, a fake signing service."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from signing.support import CERTS, SAMPLES, FakeSigningService, Xmlsec, load_signer

from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.signing.remote import RemoteSigner
from einvoice.xmldoc.certinfo import TrustStore


@pytest.fixture(scope="session")
def seller() -> Pkcs12Signer:
    """Return the seller's TEST-ONLY signer (MST 0101234567)."""
    return load_signer("TEST-ONLY-seller")


@pytest.fixture(scope="session")
def collector() -> Pkcs12Signer:
    """Return the fee collector's TEST-ONLY signer (MST 0109999999)."""
    return load_signer("TEST-ONLY-collector")


@pytest.fixture(scope="session")
def other() -> Pkcs12Signer:
    """Return another valid TEST-ONLY signer (the buyer, MST 0309876543)."""
    return load_signer("TEST-ONLY-other")


@pytest.fixture(scope="session")
def trust() -> TrustStore:
    """Return a trust store holding the TEST-ONLY root only."""
    return TrustStore.from_directory(CERTS)


@pytest.fixture(scope="session")
def invoice_unsigned() -> bytes:
    """Return the §10.1 sample, compacted, without MCCQT, with an empty DSCKS/NBan."""
    return (SAMPLES / "invoice-10.1-unsigned.xml").read_bytes()


@pytest.fixture(scope="session")
def receipt_unsigned() -> bytes:
    """Return the receipt sample (BLai/DLBLai, DLQRCode, empty DSCKS/DVThu)."""
    return (SAMPLES / "receipt-10.2-unsigned.xml").read_bytes()


@pytest.fixture
def xmlsec(tmp_path: Path) -> Xmlsec:
    """Return the xmlsec1 runner (the test command installs Debian's xmlsec1)."""
    binary = shutil.which("xmlsec1")
    if binary is None:
        pytest.fail("xmlsec1 is not installed: apt-get install xmlsec1 (scripts/test.sh does it)")
    return Xmlsec(binary, tmp_path)


@pytest.fixture
def fake_service(seller: Pkcs12Signer) -> FakeSigningService:
    """Return a fake remote signing service holding the seller's TEST-ONLY key."""
    return FakeSigningService(seller)


@pytest.fixture
def remote_signer(fake_service: FakeSigningService) -> Iterator[Callable[..., RemoteSigner]]:
    """Return a factory of RemoteSigners talking to ``fake_service`` through httpx.MockTransport."""
    clients: list[httpx.Client] = []

    def make(**options: object) -> RemoteSigner:
        client = httpx.Client(
            base_url="https://signing.invalid",
            transport=httpx.MockTransport(fake_service.handle),
            timeout=httpx.Timeout(5.0),
            headers={"Authorization": f"Bearer {fake_service.token}"},
        )
        clients.append(client)
        return RemoteSigner(client, fake_service.credential, sleep=lambda _seconds: None, **options)  # type: ignore[arg-type]

    yield make
    for client in clients:
        client.close()
