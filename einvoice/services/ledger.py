"""The finance ledger: each document's payment method and lines, extracted once from its XML, and day totals.

Reconciliation groups by fee, payment method and cashier; those live only in the signed XML. Parsing every XML at
every summary would cost a request per document (what finance did by hand before). An issued document never changes,
so :func:`catch_up` reads each document once, in batches, and :func:`record` stores what it read: a row of facts,
its lines, and its share of the **day totals** (``finance_days`` per payment method, ``finance_day_fees`` per fee,
keyed by day, kind, series, counter and cashier) in the same transaction. A month's summary then reads a few hundred
rows of totals, whatever the number of documents. The totals are *as issued*: a document's state changes later
(replaced, cancelled), so the summary takes the few documents not standing as issued from ``documents`` itself.

Exactly once: a document's facts row is its primary key, inserted first; a second catch-up of the same document
fails on it and its whole transaction (totals included) rolls back and is retried as a no-op. Totals are upserted
in key order, so two catch-ups of different documents never deadlock.

Which documents lack facts: :func:`catch_up` looks, by default, only above the highest document that has facts,
minus :data:`RECENT_IDS` (PostgreSQL hands out ids before commit, so a slow transaction can commit a smaller id
after a bigger one was read) — a range read of the primary key. ``full=True`` looks at every document (an anti-join
over the whole table): the worker does it when idle.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from einvoice.finance.facts import DocumentFacts, hundredths, read_facts
from einvoice.storage.engine import writing
from einvoice.storage.schema import documents, finance_day_fees, finance_days, finance_facts, finance_lines

BATCH = 500
#: How far below the highest document with facts a default catch-up still looks (see the module docstring).
RECENT_IDS = 10_000
#: What a document row must hold for :func:`record` (the day totals' keys and its total).
DOCUMENT_COLUMNS = (
    documents.c.id,
    documents.c.issue_date,
    documents.c.kind,
    documents.c.series_id,
    documents.c.counter_id,
    documents.c.issued_by,
    documents.c.total_hundredths,
)
DIMENSIONS = ("issue_date", "kind", "series_id", "counter_id", "issued_by")

_HAS_FACTS = select(finance_facts.c.document_id).where(finance_facts.c.document_id == documents.c.id).exists()


def fee_key(code: str | None, name: str, legal_basis: str | None) -> str:
    """Return the key of a fee in the day totals: SHA-256 of its code, name and legal basis."""
    return hashlib.sha256("\x1f".join((code or "", name, legal_basis or "")).encode()).hexdigest()


def _dimensions(document: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        document["issue_date"],
        str(document["kind"]),
        document["series_id"],
        document["counter_id"] or 0,
        document["issued_by"] or 0,
    )


def record(conn: Connection, extracted: Iterable[tuple[Mapping[str, Any], DocumentFacts]]) -> int:
    """Store the facts, lines and day totals of documents (rows with :data:`DOCUMENT_COLUMNS`); return how many."""
    facts_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    per_method: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    per_fee: dict[tuple[Any, ...], list[Any]] = {}
    for document, facts in extracted:
        method = facts.payment_method[:20]
        facts_rows.append(
            {
                "document_id": document["id"],
                "payment_method": method,
                "cashier_name": facts.cashier_name,
                "line_count": len(facts.lines),
            }
        )
        key = _dimensions(document)
        totals = per_method[(*key, method)]
        totals[0] += 1
        totals[1] += document["total_hundredths"]
        seen: set[str] = set()
        for line in facts.lines:
            amount = hundredths(line.amount)
            line_rows.append(
                {
                    "document_id": document["id"],
                    "line_no": line.line_no,
                    "code": line.code,
                    "name": line.name,
                    "legal_basis": line.legal_basis,
                    "quantity": line.quantity,
                    "amount": line.amount,
                    "amount_hundredths": amount,
                }
            )
            fee = fee_key(line.code, line.name, line.legal_basis)
            entry = per_fee.setdefault((*key, fee), [line.code, line.name, line.legal_basis, 0, 0])
            entry[3] += fee not in seen  # documents holding the fee, each once
            entry[4] += amount
            seen.add(fee)
    if not facts_rows:
        return 0
    conn.execute(finance_facts.insert(), facts_rows)  # first: a document already recorded fails here
    if line_rows:
        conn.execute(finance_lines.insert(), line_rows)
    _add(
        conn,
        finance_days,
        [
            {**dict(zip((*DIMENSIONS, "payment_method"), key, strict=True)), "documents": n, "amount_hundredths": a}
            for key, (n, a) in sorted(per_method.items())
        ],
    )
    _add(
        conn,
        finance_day_fees,
        [
            {**dict(zip((*DIMENSIONS, "fee_key"), key, strict=True)), "code": code, "name": name,
             "legal_basis": basis, "documents": n, "amount_hundredths": a}
            for key, (code, name, basis, n, a) in sorted(per_fee.items(), key=lambda item: item[0])
        ],
    )  # fmt: skip
    return len(facts_rows)


def _add(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Add ``rows``' documents and amounts to the totals of their keys (insert, or add on conflict)."""
    if not rows:
        return
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
    keys = [column.name for column in table.primary_key.columns]
    statement = insert.on_conflict_do_update(
        index_elements=keys,
        set_={
            "documents": table.c.documents + insert.excluded.documents,
            "amount_hundredths": table.c.amount_hundredths + insert.excluded.amount_hundredths,
        },
    )
    conn.execute(statement, rows)


def _missing(conn: Connection, full: bool, batch: int) -> list[Any]:
    query = select(documents.c.id).where(~_HAS_FACTS).order_by(documents.c.id).limit(batch)
    if not full:
        highest = conn.execute(select(func.max(finance_facts.c.document_id))).scalar()
        if highest is not None:
            query = query.where(documents.c.id > highest - RECENT_IDS)
    ids = list(conn.execute(query).scalars())
    if not ids:
        return []
    return list(conn.execute(select(*DOCUMENT_COLUMNS, documents.c.xml).where(documents.c.id.in_(ids))).mappings())


def catch_up(engine: Engine, *, batch: int = BATCH, full: bool = False) -> int:
    """Extract the facts of every document that has none yet; return how many were added (see the docstring)."""
    added = 0
    while True:
        with engine.connect() as conn:
            rows = _missing(conn, full, batch)
        if not rows:
            return added
        extracted = [(row, read_facts(bytes(row["xml"]))) for row in rows]
        try:
            with writing(engine, durable=False) as conn:  # a cache of the XML: lost rows are read again
                added += record(conn, extracted)
        except IntegrityError:
            continue  # another catch-up wrote some of these rows first: read what is still missing again
