"""The production toolchain of the issuing transaction: the lead's validation and a PKCS#12 signer per issuer.

An issuer's signer configuration is the path of its ``.p12`` and where its password is: a file, or the name of an
environment variable. Signers are loaded once per (path, modification time) and kept: opening a PKCS#12 costs more
than signing.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from einvoice.services.errors import ConflictError
from einvoice.services.issuing import Row, Toolchain
from einvoice.signing.base import Signer
from einvoice.signing.pkcs12 import DEFAULT_PASSWORD_ENV, Pkcs12Signer
from einvoice.xmldoc.build import BuiltDocument
from einvoice.xmldoc.sign import sign_built
from einvoice.xmldoc.validate import validate_document


class SignerCache:
    """Signers by issuer configuration, reloaded when the .p12 file changes."""

    def __init__(self) -> None:
        self._signers: dict[tuple[str, float, str, str], Signer] = {}
        self._lock = threading.Lock()

    def signer_for(self, issuer: Row) -> Signer:
        """Return the signer configured for ``issuer``."""
        path_text = issuer["signer_p12_path"]
        if not path_text:
            raise ConflictError(f"issuer {issuer['id']} has no signing certificate configured")
        path = Path(path_text)
        password_file = issuer["signer_password_file"] or ""
        password_env = issuer["signer_password_env"] or ""
        key = (str(path), path.stat().st_mtime, password_file, password_env)
        with self._lock:
            signer = self._signers.get(key)
            if signer is None:
                if password_file:
                    signer = Pkcs12Signer.from_password_file(path, Path(password_file))
                else:
                    signer = Pkcs12Signer.from_env(path, password_env or DEFAULT_PASSWORD_ENV)
                self._signers[key] = signer
        return signer


def pkcs12_toolchain(cache: SignerCache | None = None) -> Toolchain:
    """Return the toolchain that validates with the XSD and rules, and signs with the issuer's PKCS#12."""
    signers = cache or SignerCache()

    def sign(built: BuiltDocument, issuer: Row, moment: datetime) -> bytes:
        signer = signers.signer_for(issuer)
        return sign_built(built, signer, signing_time=moment, expected_tax_code=issuer["tax_code"])

    return Toolchain(validate=validate_document, sign=sign)
