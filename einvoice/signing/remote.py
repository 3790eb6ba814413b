"""A signer whose key stays in a remote signing service (a cloud signing service such as SmartCA/MySign, or an HSM
behind an HTTP API), in the two-step shape those services use.

We compute what must be signed (the SHA-256 digest of the canonical ``SignedInfo``); the remote party signs the
digest, often only after the key holder approves it on a phone; we assemble the XML signature. Over HTTP::

    GET  {base}/credentials/{id}               -> {"certificates": [base64 DER, leaf first, then CAs]}
    POST {base}/credentials/{id}/sign          {"digest": b64, "digest_algorithm": "SHA-256",
                                                 "signature_algorithm": "RSASSA-PKCS1-v1_5", "description": str}
                                               -> {"transaction_id": str, "status": "pending" | "signed", ...}
    GET  {base}/transactions/{transaction_id}  -> {"status": "pending" | "signed" | "rejected" | "expired",
                                                   "signature": b64 when signed}

Every request has an explicit timeout; waiting for approval is bounded by ``approval_timeout``. A returned signature
is checked against the certificate before it is used, so a confused or hostile service cannot slip in a bad one.

Errors: :class:`~einvoice.signing.base.RemoteSigningTimeout` (network or approval timeout),
:class:`~einvoice.signing.base.RemoteSigningRejected` (refused or expired), and
:class:`~einvoice.signing.base.RemoteSigningError` for everything else (HTTP errors, malformed answers).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from einvoice.signing.base import (
    SHA256_DIGEST_SIZE,
    CredentialError,
    RemoteSigningError,
    RemoteSigningRejected,
    RemoteSigningTimeout,
)

#: Per-request limits: connecting, and each read/write of a small JSON exchange.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=15.0, pool=5.0)


class RemoteSigner:
    """Signs digests through a remote signing service; the key never leaves it."""

    def __init__(
        self,
        client: httpx.Client,
        credential_id: str,
        *,
        approval_timeout: float = 120.0,
        poll_interval: float = 2.0,
        description: str = "Ký hóa đơn điện tử",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._credential = credential_id
        self._approval_timeout = approval_timeout
        self._poll_interval = poll_interval
        self._description = description
        self._sleep = sleep
        self._clock = clock
        self._certificates: tuple[x509.Certificate, ...] | None = None

    @classmethod
    def connect(
        cls, base_url: str, credential_id: str, *, token: str, timeout: httpx.Timeout = DEFAULT_TIMEOUT
    ) -> RemoteSigner:
        """Return a signer talking to ``base_url`` with a bearer ``token`` and explicit timeouts."""
        client = httpx.Client(
            base_url=base_url, timeout=timeout, headers={"Authorization": f"Bearer {token}"}, follow_redirects=False
        )
        return cls(client, credential_id)

    @property
    def certificate(self) -> x509.Certificate:
        """Return the signing certificate, fetched once from the service."""
        return self._fetch_certificates()[0]

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        """Return the CA certificates the service sent with the signing certificate."""
        return self._fetch_certificates()[1:]

    def sign_digest(self, digest: bytes) -> bytes:
        """Have the service sign the SHA-256 ``digest``; wait for approval; return the checked signature."""
        if len(digest) != SHA256_DIGEST_SIZE:
            raise ValueError("sign_digest takes a 32-byte SHA-256 digest")
        answer = self._call(
            "POST",
            f"/credentials/{self._credential}/sign",
            json={
                "digest": base64.b64encode(digest).decode("ascii"),
                "digest_algorithm": "SHA-256",
                "signature_algorithm": "RSASSA-PKCS1-v1_5",
                "description": self._description,
            },
        )
        transaction = answer.get("transaction_id")
        deadline = self._clock() + self._approval_timeout
        while answer.get("status") == "pending":
            if not isinstance(transaction, str) or not transaction:
                raise RemoteSigningError("the signing service answered 'pending' without a transaction_id")
            if self._clock() >= deadline:
                raise RemoteSigningTimeout(
                    f"transaction {transaction} was not approved within {self._approval_timeout:g} s"
                )
            self._sleep(self._poll_interval)
            answer = self._call("GET", f"/transactions/{transaction}")
        status = answer.get("status")
        if status in ("rejected", "expired"):
            raise RemoteSigningRejected(f"the signing service reports the transaction {status}")
        if status != "signed":
            raise RemoteSigningError(f"unexpected transaction status from the signing service: {status!r}")
        signature = _b64(answer.get("signature"), "signature")
        self._check(digest, signature)
        return signature

    def _fetch_certificates(self) -> tuple[x509.Certificate, ...]:
        if self._certificates is None:
            answer = self._call("GET", f"/credentials/{self._credential}")
            encoded = answer.get("certificates")
            if not isinstance(encoded, list) or not encoded:
                raise RemoteSigningError("the signing service sent no certificates for the credential")
            try:
                certificates = tuple(x509.load_der_x509_certificate(_b64(item, "certificate")) for item in encoded)
            except ValueError as exc:
                raise RemoteSigningError(f"the signing service sent an unreadable certificate: {exc}") from exc
            if not isinstance(certificates[0].public_key(), rsa.RSAPublicKey):
                raise CredentialError("the remote credential is not an RSA key (the format requires RSA signatures)")
            self._certificates = certificates
        return self._certificates

    def _check(self, digest: bytes, signature: bytes) -> None:
        public_key = self.certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):  # pragma: no cover - refused when fetched
            raise CredentialError("the remote credential is not an RSA key")
        try:
            public_key.verify(signature, digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        except InvalidSignature as exc:
            raise RemoteSigningError(
                "the signing service returned a signature that its certificate does not verify"
            ) from exc

    def _call(self, method: str, path: str, *, json: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._client.request(method, path, json=json)
        except httpx.TimeoutException as exc:
            raise RemoteSigningTimeout(f"the signing service did not answer in time ({method} {path})") from exc
        except httpx.HTTPError as exc:
            raise RemoteSigningError(f"cannot reach the signing service ({method} {path}): {exc}") from exc
        if response.status_code in (401, 403):
            raise RemoteSigningRejected(f"the signing service refused our credentials (HTTP {response.status_code})")
        if response.status_code >= 400:
            raise RemoteSigningError(f"the signing service answered HTTP {response.status_code} to {method} {path}")
        try:
            body = response.json()
        except ValueError as exc:
            raise RemoteSigningError(f"the signing service answered {method} {path} with something not JSON") from exc
        if not isinstance(body, dict):
            raise RemoteSigningError(f"the signing service answered {method} {path} with a JSON {type(body).__name__}")
        return body


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise RemoteSigningError(f"the signing service sent no {what}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RemoteSigningError(f"the signing service sent a {what} that is not base64") from exc
