"""Check a document someone sends us: its signatures, its content, and how it compares with what we issued.

One use case for the public check page and ``POST /api/v1/verify``: :func:`check_document` verifies the signatures
(against the trust store given), validates the content, looks for the document this service issued under the same
lookup code or the same issuer, template, series and number, compares the two, and turns it all into one
:class:`~einvoice.xmldoc.verdicts.Verdict`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from einvoice.domain.documents import Document
from einvoice.domain.errors import EInvoiceError, Problem
from einvoice.domain.lookup import normalize_lookup_code
from einvoice.storage.schema import coded_documents, documents, issuers, series
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


def check_document(
    engine: Engine,
    xml: bytes,
    *,
    trust: TrustStore | None,
    production: bool,
    stored_trust: TrustStore | None = None,
) -> Check:
    """Check ``xml`` as uploaded; development certificates count only when ``production`` is false.

    In development, an upload identical to a document we stored is verified against ``stored_trust`` instead: the
    trust plus the development roots (the local authority simulator's), which sign nothing anyone else could upload.
    """
    provenance = provenance_of(engine, xml)
    matches = provenance.issued is True and provenance.identical
    chosen = stored_trust if matches and not production and stored_trust is not None else trust
    report = verify_document(xml, trust=chosen, allow_development=not production)
    content = tuple(validate_document(xml, Profile.READ))  # others' documents, judged as the authority does
    try:
        document: Document | None = parse_document(xml)
    except EInvoiceError:  # an unreadable upload has no summary; its problems say why
        document = None
    verdict = verdict_of(report, content, provenance, production=production)
    return Check(report, content, verdict, document)


def provenance_of(engine: Engine, xml: bytes) -> Provenance:
    """Say whether we issued the document ``xml`` names and, if so, how ``xml`` compares with what we stored."""
    identity = identity_of(xml)
    if identity is None:
        return Provenance()
    coded = identity.authority_code is not None
    stored = _stored(engine, identity, coded=coded)
    if stored is not None:
        comparison = compare_documents(xml, stored, coded=coded)
        return Provenance(issued=True, identical=comparison.identical, differences=comparison.differences)
    return Provenance(issued=False) if _series_is_ours(engine, identity) else Provenance()


def _stored(engine: Engine, identity: Identity, *, coded: bool) -> bytes | None:
    """Return the stored bytes of the document with the upload's lookup code, else with its issuer and number.

    When the upload carries the authority's code (``coded``), the authority's coded XML is what it is compared with:
    the document of record of a coded invoice (choice 17); else, and for a document not coded, the seller's bytes.
    """
    code = normalize_lookup_code(identity.lookup_code) if identity.lookup_code else None
    record = func.coalesce(coded_documents.c.xml, documents.c.xml) if coded else documents.c.xml
    stored = select(record).select_from(
        documents.outerjoin(coded_documents, coded_documents.c.document_id == documents.c.id)
    )
    with engine.connect() as conn:
        if code is not None:
            found = conn.execute(stored.where(documents.c.lookup_code == code)).scalar()
            if found is not None:
                return bytes(found)
        if identity.number is None:
            return None
        query = stored.join(issuers, issuers.c.id == documents.c.issuer_id).where(
            issuers.c.tax_code == identity.tax_code,
            documents.c.kind == identity.kind,
            documents.c.template == identity.template,
            documents.c.series == identity.series,
            documents.c.number == identity.number,
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
