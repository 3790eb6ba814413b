"""Verifying signatures the way the service is configured: its trust store, and development CAs only in development."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app

from einvoice.services.check_process import CheckUnavailable
from einvoice.services.checking import Check
from einvoice.web.runtime import runtime, settings_of
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.verify import VerificationReport, verify_document


@cache
def _trust_store(folder: str) -> TrustStore | None:
    """Load the root certificates of ``folder`` once per process (``None`` when the folder does not exist)."""
    return TrustStore.from_directory(Path(folder)) if Path(folder).is_dir() else None


def configured_trust() -> TrustStore | None:
    """Return the trust store of the ``TRUST_DIR`` setting, or ``None`` when none is configured."""
    folder = settings_of().trust_dir
    return _trust_store(str(folder)) if folder is not None else None


def verify_as_configured(xml: bytes) -> VerificationReport:
    """Verify every signature of ``xml`` against the configured trust; development CAs count only in development."""
    return verify_document(xml, trust=configured_trust(), allow_development=settings_of().env != "production")


def check_as_configured(xml: bytes) -> Check:
    """Check an uploaded document against the configured trust and what this service issued.

    The check runs in the app's check process, at a low CPU priority, never in this worker (see
    :mod:`einvoice.services.check_process`); it raises (and logs) :class:`CheckUnavailable` when no verdict comes in
    time or the process failed.
    """
    try:
        return runtime().checker.check(xml)
    except CheckUnavailable as gone:
        current_app.logger.warning("the check of an upload of %d bytes gave no verdict: %s", len(xml), gone)
        raise
