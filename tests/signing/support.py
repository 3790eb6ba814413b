"""Helpers for the signing tests: paths and constants of the TEST-ONLY material, xmlsec1, a fake signing service."""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from einvoice.signing.pkcs12 import Pkcs12Signer

HERE = Path(__file__).resolve().parent
CERTS, SAMPLES, ATTACKS = HERE / "certs", HERE / "samples", HERE / "attacks"
#: The 15 real signed documents beside the repository (skipped when ../shared is absent).
REAL_XML = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "real-xml"
ROOT_PEM = CERTS / "TEST-ONLY-root-ca.pem"
#: The signing time of the committed samples (09:15:02 in Hà Nội).
SIGNING_TIME = datetime(2025, 11, 20, 2, 15, 2, tzinfo=UTC)
SELLER_TAX_CODE, COLLECTOR_TAX_CODE, OTHER_TAX_CODE = "0101234567", "0109999999", "0309876543"


def load_signer(stem: str) -> Pkcs12Signer:
    """Return the TEST-ONLY signer ``stem`` (e.g. ``TEST-ONLY-seller``)."""
    return Pkcs12Signer.from_password_file(CERTS / f"{stem}.p12", CERTS / f"{stem}.password")


@dataclass(frozen=True)
class KeyHolder:
    """A signer made in a test from a key and a certificate, whatever the certificate says (expired, no tax code)."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def sign_digest(self, digest: bytes) -> bytes:
        """Return the RSASSA-PKCS1-v1_5 signature of a SHA-256 ``digest``."""
        return self.key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


@dataclass(frozen=True)
class Xmlsec:
    """The real xmlsec1 binary, verifying with the TEST-ONLY chain (never ``--insecure``) unless told otherwise."""

    binary: str
    folder: Path

    def verify(self, xml: bytes, *, trusted_pem: Path = ROOT_PEM) -> tuple[bool, str]:
        """Return whether xmlsec1 verifies the first signature of ``xml``, and what it printed."""
        path = self.folder / "document.xml"
        path.write_bytes(xml)
        command = [self.binary, "--verify", "--id-attr:Id", "DLHDon", "--id-attr:Id", "DLBLai"]
        command += ["--trusted-pem", str(trusted_pem), str(path)]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        return result.returncode == 0 and "OK" in result.stdout + result.stderr, result.stdout + result.stderr


@dataclass
class FakeSigningService:
    """A stand-in for a remote signing service: it holds a key and signs digests once 'approved'."""

    key_holder: Pkcs12Signer
    credential: str = "cred-1"
    token: str = "test-token"
    polls_before_approval: int = 0
    outcome: str = "signed"  # or "rejected", "expired", "garbage", "wrong-key", "http-500"
    requests: list[httpx.Request] = field(default_factory=list)
    _pending: dict[str, tuple[bytes, int]] = field(default_factory=dict)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one HTTP request the way such a service does."""
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(401, json={"error": "unauthorised"})
        if self.outcome == "http-500":
            return httpx.Response(500, text="internal error")
        path = request.url.path
        if request.method == "GET" and path == f"/credentials/{self.credential}":
            chain = [self.key_holder.certificate, *self.key_holder.chain]
            encoded = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain]
            return httpx.Response(200, json={"certificates": encoded})
        if request.method == "POST" and path == f"/credentials/{self.credential}/sign":
            body = json.loads(request.content)
            digest = base64.b64decode(body["digest"])
            transaction = f"tx-{len(self._pending) + 1}"
            self._pending[transaction] = (digest, self.polls_before_approval)
            return self._status(transaction)
        if request.method == "GET" and path.startswith("/transactions/"):
            transaction = path.rsplit("/", 1)[-1]
            digest, remaining = self._pending[transaction]
            self._pending[transaction] = (digest, remaining - 1)
            return self._status(transaction)
        return httpx.Response(404, json={"error": "no such endpoint"})

    def _status(self, transaction: str) -> httpx.Response:
        digest, remaining = self._pending[transaction]
        if remaining > 0:
            return httpx.Response(202, json={"transaction_id": transaction, "status": "pending"})
        if self.outcome in ("rejected", "expired"):
            return httpx.Response(200, json={"transaction_id": transaction, "status": self.outcome})
        if self.outcome == "garbage":
            return httpx.Response(200, json={"transaction_id": transaction, "status": "signed", "signature": "@@"})
        signature = self.key_holder.sign_digest(digest)
        if self.outcome == "wrong-key":
            signature = load_signer("TEST-ONLY-other").sign_digest(digest)
        encoded = base64.b64encode(signature).decode()
        return httpx.Response(200, json={"transaction_id": transaction, "status": "signed", "signature": encoded})
