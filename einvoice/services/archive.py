"""Reading a period's documents and their audit entries for the auditors' archive (:mod:`einvoice.finance.archive`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import IO

from sqlalchemy import Engine, and_, select

from einvoice.finance.archive import ArchivedDocument, write_archive
from einvoice.services.audit import HASHED_FIELDS
from einvoice.storage.schema import audit_entries, documents

BATCH = 500


def _documents(engine: Engine, date_from: date, date_to: date) -> Iterator[ArchivedDocument]:
    d, a = documents.c, audit_entries.c
    query = (
        select(
            d.kind,
            d.template,
            d.series,
            d.number,
            d.issue_date,
            d.state,
            d.xml,
            *(a[name].label(f"a_{name}") for name in (*HASHED_FIELDS, "prev_hash", "hash")),
        )
        .outerjoin(audit_entries, and_(a.document_id == d.id, a.action == "issue"))
        .where(d.issue_date >= date_from, d.issue_date <= date_to)
        .order_by(d.template, d.series, d.number)
    )
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for row in result.mappings():
            chain = None
            if row["a_seq"] is not None:
                fields = {name: row[f"a_{name}"] for name in HASHED_FIELDS}
                chain = {"seq": row["a_seq"], "prev_hash": row["a_prev_hash"], "hash": row["a_hash"], "fields": fields}
            yield ArchivedDocument(
                row["kind"],
                row["template"],
                row["series"],
                row["number"],
                row["issue_date"].isoformat(),
                row["state"],
                bytes(row["xml"]),
                chain,
            )


def export_archive(engine: Engine, target: IO[bytes], date_from: date, date_to: date) -> int:
    """Write the archive of every document issued from ``date_from`` to ``date_to``; return how many."""
    period = f"{date_from.isoformat()}/{date_to.isoformat()}"
    return write_archive(target, period, _documents(engine, date_from, date_to))
