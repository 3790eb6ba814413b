"""A document's history: what it corrects, what corrects it, its error notices, its messages with the tax authority
(:mod:`einvoice.services.authority`), and every state change with who and when (the ``document_events`` rows, oldest
first). Read only; the caller has checked the document is visible.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, or_, select

from einvoice.domain.documents import CorrectionKind, RelatedDocument
from einvoice.services.authority import exchanges
from einvoice.storage.schema import document_events, documents, error_notices

_SUMMARY = (
    documents.c.id,
    documents.c.kind,
    documents.c.template,
    documents.c.series,
    documents.c.number,
    documents.c.issue_date,
    documents.c.correction,
    documents.c.total,
)


def document_history(engine: Engine, document_id: int) -> dict[str, Any]:
    """Return the history of document ``document_id`` (see the module docstring)."""
    with engine.connect() as conn:
        corrects_id = conn.execute(select(documents.c.corrects_id).where(documents.c.id == document_id)).scalar()
        related = conn.execute(
            select(*_SUMMARY, documents.c.corrects_id)
            .where(or_(documents.c.corrects_id == document_id, documents.c.id == corrects_id))
            .order_by(documents.c.id)
        ).mappings()
        corrects, corrected_by = None, []
        for row in related:
            summary = {column.name: row[column.name] for column in _SUMMARY}
            if row["id"] == corrects_id:
                corrects = summary
            else:
                corrected_by.append(summary)
        events = conn.execute(
            select(document_events).where(document_events.c.document_id == document_id).order_by(document_events.c.id)
        ).mappings()
        notices = conn.execute(
            select(error_notices.c.id, error_notices.c.form, error_notices.c.reason, error_notices.c.created_at)
            .where(error_notices.c.document_id == document_id)
            .order_by(error_notices.c.id)
        ).mappings()
        found = {
            "corrects": corrects,
            "corrected_by": corrected_by,
            "events": [{k: v for k, v in event.items() if k not in ("id", "document_id")} for event in events],
            "notices": [dict(notice) for notice in notices],
        }
    found["messages"] = [exchange.as_dict() for exchange in exchanges(engine, document_id)]
    return found


def replacement_of(engine: Engine, lookup_code: str) -> RelatedDocument | None:
    """Return the document that replaced the one with ``lookup_code`` (what a reprint names), or ``None``."""
    original = documents.alias("original")
    query = (
        select(documents.c.template, documents.c.series, documents.c.number, documents.c.issue_date)
        .join(original, documents.c.corrects_id == original.c.id)
        .where(original.c.lookup_code == lookup_code, documents.c.correction == "replacement")
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return RelatedDocument(CorrectionKind.REPLACEMENT, row.template, row.series, str(row.number), row.issue_date)
