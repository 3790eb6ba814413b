"""The finance ledger: each document's payment method and lines, extracted once from its XML into two tables.

Reconciliation groups by fee, payment method and cashier; those live only in the signed XML. Parsing every XML at
every summary would cost a request per document (what finance did by hand before). An issued document never changes,
so :func:`catch_up` reads each document once, in batches, and the summaries then need SQL only. It is idempotent:
a document that already has its row is skipped, and two concurrent catch-ups at worst both try one row, the second
insert failing on the primary key and being retried as a no-op.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from einvoice.finance.facts import hundredths, read_facts
from einvoice.storage.engine import writing
from einvoice.storage.schema import documents, finance_facts, finance_lines

BATCH = 500

_MISSING = (
    select(documents.c.id, documents.c.xml)
    .where(~select(finance_facts.c.document_id).where(finance_facts.c.document_id == documents.c.id).exists())
    .order_by(documents.c.id)
)


def catch_up(engine: Engine, *, batch: int = BATCH) -> int:
    """Extract the facts of every document that has none yet; return how many were added."""
    added = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(_MISSING.limit(batch)).all()
        if not rows:
            return added
        facts_rows: list[dict[str, Any]] = []
        line_rows: list[dict[str, Any]] = []
        for document_id, xml in rows:
            facts = read_facts(bytes(xml))
            facts_rows.append(
                {
                    "document_id": document_id,
                    "payment_method": facts.payment_method[:20],
                    "cashier_name": facts.cashier_name,
                    "line_count": len(facts.lines),
                }
            )
            line_rows.extend(
                {
                    "document_id": document_id,
                    "line_no": line.line_no,
                    "code": line.code,
                    "name": line.name,
                    "legal_basis": line.legal_basis,
                    "quantity": line.quantity,
                    "amount": line.amount,
                    "amount_hundredths": hundredths(line.amount),
                }
                for line in facts.lines
            )
        try:
            with writing(engine, durable=False) as conn:  # a cache of the XML: lost rows are read again
                conn.execute(finance_facts.insert(), facts_rows)
                if line_rows:
                    conn.execute(finance_lines.insert(), line_rows)
        except IntegrityError:
            continue  # another catch-up wrote some of these rows first: read what is still missing again
        added += len(rows)
