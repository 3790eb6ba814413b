"""Verifying signatures the way the service is configured: its trust store, and development CAs only in development."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cryptography import x509
from flask import current_app

from einvoice.gateway.simulator import authority_root_path
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


@cache
def _with_simulator_root(folder: str | None, simulator_root: str) -> TrustStore | None:
    configured = _trust_store(folder) if folder is not None else None
    roots = list(configured.roots) if configured is not None else []
    roots += x509.load_pem_x509_certificates(Path(simulator_root).read_bytes())
    return TrustStore(roots)


def record_trust() -> TrustStore | None:
    """Return the trust for our stored documents of record: the configured roots and, in development only, the root
    of the local authority simulator (``<data dir>/simulator/authority-root.pem``) that signs coded invoices there.

    The authority's signature is trusted by its chain only, never by its certificate's subject: its certificate was
    renewed in November 2026 (2026 spec §3.5), and a renewal must not make coded invoices look altered.
    """
    settings = settings_of()
    simulator_root = authority_root_path(settings.data_dir)
    if settings.env == "production" or not simulator_root.is_file():
        return configured_trust()
    folder = str(settings.trust_dir) if settings.trust_dir is not None else None
    return _with_simulator_root(folder, str(simulator_root))


def verify_record(xml: bytes) -> VerificationReport:
    """Verify a stored document of record (seller's and authority's signatures) against :func:`record_trust`."""
    return verify_document(xml, trust=record_trust(), allow_development=settings_of().env != "production")


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
