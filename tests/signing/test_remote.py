"""The remote two-step signer, against a fake signing service behind httpx.MockTransport."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

import httpx
import pytest
from signing.support import SELLER_TAX_CODE, SIGNING_TIME, FakeSigningService, Xmlsec

from einvoice.signing.base import RemoteSigningError, RemoteSigningRejected, RemoteSigningTimeout, Signer
from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.signing.remote import RemoteSigner
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.sign import sign_document
from einvoice.xmldoc.verify import verify_document

RemoteFactory = Callable[..., RemoteSigner]


def test_remote_signature_is_the_file_signature(
    remote_signer: RemoteFactory, seller: Pkcs12Signer, invoice_unsigned: bytes, xmlsec: Xmlsec, trust: TrustStore
) -> None:
    """Same key, same time: the remote signer's document is byte for byte the file signer's, and verifies alike."""
    remote = remote_signer()
    assert isinstance(remote, Signer)
    by_remote = sign_document(invoice_unsigned, remote, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    by_file = sign_document(invoice_unsigned, seller, signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE)
    assert by_remote == by_file
    ok, output = xmlsec.verify(by_remote)
    assert ok, output
    assert verify_document(by_remote, trust=trust).accepted


def test_remote_signer_waits_for_approval(
    remote_signer: RemoteFactory, fake_service: FakeSigningService, invoice_unsigned: bytes
) -> None:
    """A pending transaction is polled until the key holder approves it."""
    fake_service.polls_before_approval = 3
    signed = sign_document(
        invoice_unsigned, remote_signer(), signing_time=SIGNING_TIME, expected_tax_code=SELLER_TAX_CODE
    )
    assert verify_document(signed).valid
    polls = [r for r in fake_service.requests if r.url.path.startswith("/transactions/")]
    assert len(polls) == 3


def test_only_the_digest_leaves_the_process(remote_signer: RemoteFactory, fake_service: FakeSigningService) -> None:
    """The service receives a 32-byte SHA-256 digest and an algorithm, never the document."""
    remote_signer().sign_digest(hashlib.sha256(b"SignedInfo").digest())
    (submission,) = [r for r in fake_service.requests if r.method == "POST"]
    body = json.loads(submission.content)
    assert set(body) == {"digest", "digest_algorithm", "signature_algorithm", "description"}
    assert len(base64.b64decode(body["digest"])) == 32
    assert body["digest_algorithm"] == "SHA-256"


def test_approval_timeout(remote_signer: RemoteFactory, fake_service: FakeSigningService) -> None:
    """A transaction never approved ends with RemoteSigningTimeout, not a hang."""
    fake_service.polls_before_approval = 10**6
    ticks = iter(range(10**6))
    signer = remote_signer(approval_timeout=5.0, clock=lambda: float(next(ticks)))
    with pytest.raises(RemoteSigningTimeout):
        signer.sign_digest(hashlib.sha256(b"x").digest())


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        ("rejected", RemoteSigningRejected),
        ("expired", RemoteSigningRejected),
        ("garbage", RemoteSigningError),
        ("wrong-key", RemoteSigningError),
        ("http-500", RemoteSigningError),
    ],
)
def test_service_failures_raise_signing_errors(
    remote_signer: RemoteFactory, fake_service: FakeSigningService, outcome: str, error: type[Exception]
) -> None:
    """Refusals, nonsense and a signature by another key all raise, none yields a signature."""
    fake_service.outcome = outcome
    signer = remote_signer()
    with pytest.raises(error):
        signer.sign_digest(hashlib.sha256(b"x").digest())


def test_bad_credentials_are_a_rejection(fake_service: FakeSigningService) -> None:
    """HTTP 401 from the service is reported as a rejection."""
    client = httpx.Client(base_url="https://signing.invalid", transport=httpx.MockTransport(fake_service.handle))
    with client, pytest.raises(RemoteSigningRejected):
        _ = RemoteSigner(client, fake_service.credential).certificate


def test_network_timeout_is_a_timeout(fake_service: FakeSigningService) -> None:
    """A request that times out raises RemoteSigningTimeout."""

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    client = httpx.Client(base_url="https://signing.invalid", transport=httpx.MockTransport(slow))
    with client, pytest.raises(RemoteSigningTimeout):
        _ = RemoteSigner(client, fake_service.credential).certificate


def test_connect_sets_explicit_timeouts() -> None:
    """RemoteSigner.connect builds a client with explicit timeouts and a bearer token."""
    signer = RemoteSigner.connect("https://signing.invalid", "cred", token="t0k")
    client = signer._client
    try:
        assert client.timeout.connect == 5.0
        assert client.timeout.read == 15.0
        assert client.headers["Authorization"] == "Bearer t0k"
    finally:
        client.close()
