"""Check a document someone sends us: its signatures, its content, and how it compares with what we issued.

One use case for the public check page and ``POST /api/v1/verify``: :func:`check_document` verifies the signatures
(against the trust store given), validates the content, looks for the document this service issued under the same
lookup code or the same issuer, template, series and number, compares the two, and turns it all into one
:class:`~einvoice.xmldoc.verdicts.Verdict`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from einvoice.domain.documents import Document
from einvoice.domain.errors import EInvoiceError, Problem
from einvoice.domain.lookup import normalize_lookup_code
from einvoice.storage.schema import documents, issuers, series
from einvoice.xmldoc.certinfo import TrustStore
from einvoice.xmldoc.compare import Identity, compare_documents, identity_of
from einvoice.xmldoc.parse import parse_document
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.validate import validate_document
from einvoice.xmldoc.verdicts import Provenance, Verdict, VerificationReport, verdict_of
from einvoice.xmldoc.verify import verify_document


@dataclass(frozen=True)
class Check:
    """Everything a check found: the signatures' report, content problems, the verdict, and the document read."""

    report: VerificationReport
    content: tuple[Problem, ...]
    verdict: Verdict
    document: Document | None


def check_document(engine: Engine, xml: bytes, *, trust: TrustStore | None, production: bool) -> Check:
    """Check ``xml`` as uploaded; development certificates count only when ``production`` is false."""
    report = verify_document(xml, trust=trust, allow_development=not production)
    content = tuple(validate_document(xml, Profile.READ))  # others' documents, judged as the authority does
    try:
        document: Document | None = parse_document(xml)
    except EInvoiceError:  # an unreadable upload has no summary; its problems say why
        document = None
    verdict = verdict_of(report, content, provenance_of(engine, xml), production=production)
    return Check(report, content, verdict, document)


def provenance_of(engine: Engine, xml: bytes) -> Provenance:
    """Say whether we issued the document ``xml`` names and, if so, how ``xml`` compares with what we stored."""
    identity = identity_of(xml)
    if identity is None:
        return Provenance()
    stored = _stored(engine, identity)
    if stored is not None:
        comparison = compare_documents(xml, stored)
        return Provenance(issued=True, identical=comparison.identical, differences=comparison.differences)
    return Provenance(issued=False) if _series_is_ours(engine, identity) else Provenance()


def _stored(engine: Engine, identity: Identity) -> bytes | None:
    """Return the stored bytes of the document with the upload's lookup code, else with its issuer and number."""
    code = normalize_lookup_code(identity.lookup_code) if identity.lookup_code else None
    with engine.connect() as conn:
        if code is not None:
            found = conn.execute(select(documents.c.xml).where(documents.c.lookup_code == code)).scalar()
            if found is not None:
                return bytes(found)
        if identity.number is None:
            return None
        query = (
            select(documents.c.xml)
            .join(issuers, issuers.c.id == documents.c.issuer_id)
            .where(
                issuers.c.tax_code == identity.tax_code,
                documents.c.kind == identity.kind,
                documents.c.template == identity.template,
                documents.c.series == identity.series,
                documents.c.number == identity.number,
            )
        )
        found = conn.execute(query).scalar()
    return None if found is None else bytes(found)


def _series_is_ours(engine: Engine, identity: Identity) -> bool:
    """Tell whether we issue from the series the upload names (then a number we lack was never issued)."""
    query = (
        select(series.c.id)
        .join(issuers, issuers.c.id == series.c.issuer_id)
        .where(
            issuers.c.tax_code == identity.tax_code,
            series.c.kind == identity.kind,
            series.c.template == identity.template,
            series.c.symbol == identity.series,
        )
    )
    with engine.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None
