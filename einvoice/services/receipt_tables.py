"""Receipts reach the tax authority the day they are issued, in the table 01/TH-BLĐT (Decree 254 Art 29.3.b, choice 20).

Receipts are queued with the route ``receipt`` by the issuing transaction (:func:`einvoice.services.outbox.enqueue`).
Once a day, at ``table_at`` (Hà Nội time, default 20:00, after the counters close), the worker packs each issuer's
receipts of that day into one signed table (``Lần đầu``) and one message; receipts issued after that — or left over
because the service was down — go out at once in a supplement (``Sửa đổi, bổ sung lần thứ n``) of their day. A
replacement receipt names the receipt it replaces (column 11).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import Connection, RowMapping, Select, func, select, update
from sqlalchemy.orm import aliased

from einvoice.domain.documents import Receipt
from einvoice.services import outbox
from einvoice.storage.schema import documents, issuers, outbox_items, outbox_messages
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.build import BuiltDocument
from einvoice.xmldoc.dsig import VIETNAM_TIME
from einvoice.xmldoc.parse import load_root, read_document
from einvoice.xmldoc.receipt_table import TableHeader, TableRow, build_receipt_table

#: Signs a built document for an issuer at a moment (the issuing toolchain's ``sign``).
Sign = Callable[[BuiltDocument, RowMapping, datetime], bytes]


def pack_tables(conn: Connection, addressing: outbox.Addressing, *, now: datetime, table_at: time, sign: Sign) -> int:
    """Pack the receipts that are due into signed daily tables (in the caller's write transaction); return how many."""
    query = (
        _WAITING.with_for_update(of=outbox_items, skip_locked=True) if conn.dialect.name == "postgresql" else _WAITING
    )
    days = _due_days(conn, query, now=now, table_at=table_at)
    for (issuer_id, day), items in sorted(days.items()):
        issuer = conn.execute(select(issuers).where(issuers.c.id == issuer_id)).mappings().one()
        header = TableHeader(day, _tables_sent(conn, issuer_id, day), issuer["name"], issuer["tax_code"], issuer_id)
        table = build_receipt_table(header, [table_row(conn, document_id) for _, document_id in items])
        signed = sign(table, issuer, now)
        message_row = outbox.add_message(conn, addressing, env.RECEIPT_TABLE, issuer_id, [signed], now)
        item_ids = [item_id for item_id, _ in items]
        conn.execute(update(outbox_items).where(outbox_items.c.id.in_(item_ids)).values(message_id=message_row))
    return len(days)


def tables_due(conn: Connection, *, now: datetime, table_at: time) -> bool:
    """Tell, reading only, whether :func:`pack_tables` would pack a table now."""
    return bool(_due_days(conn, _WAITING, now=now, table_at=table_at))


_WAITING = (
    select(outbox_items.c.id, outbox_items.c.issuer_id, outbox_items.c.document_id, documents.c.issue_date)
    .join(documents, documents.c.id == outbox_items.c.document_id)
    .where(outbox_items.c.message_id.is_(None), outbox_items.c.route == outbox.RECEIPT)
    .order_by(outbox_items.c.id)
)


def _due_days(
    conn: Connection, query: Select[Any], *, now: datetime, table_at: time
) -> dict[tuple[int, date], list[tuple[int, int]]]:
    """The receipts due in a table now (earlier days', and today's after ``table_at``), by issuer and day."""
    local = now.astimezone(VIETNAM_TIME)
    days: dict[tuple[int, date], list[tuple[int, int]]] = defaultdict(list)
    for item_id, issuer_id, document_id, issue_date in conn.execute(query):
        if issue_date < local.date() or local.time() >= table_at:
            days[(issuer_id, issue_date)].append((item_id, document_id))
    return days


def _tables_sent(conn: Connection, issuer_id: int, day: date) -> int:
    """How many tables of ``day`` were packed already: the next one is supplement number that many."""
    return int(
        conn.execute(
            select(func.count(func.distinct(outbox_items.c.message_id)))
            .select_from(outbox_items)
            .join(outbox_messages, outbox_messages.c.id == outbox_items.c.message_id)
            .join(documents, documents.c.id == outbox_items.c.document_id)
            .where(
                outbox_messages.c.code == env.RECEIPT_TABLE,
                outbox_items.c.issuer_id == issuer_id,
                documents.c.issue_date == day,
            )
        ).scalar_one()
    )


def table_row(conn: Connection, document_id: int) -> TableRow:
    """Return one stored receipt as a row of the table (read from its signed XML, the replaced receipt named)."""
    replaced = aliased(documents)
    found = conn.execute(
        select(documents.c.xml, replaced.c.template, replaced.c.series, replaced.c.number)
        .outerjoin(replaced, replaced.c.id == documents.c.corrects_id)
        .where(documents.c.id == document_id)
    ).one()
    document, _ = read_document(load_root(bytes(found.xml)))
    receipt = cast(Receipt, document)  # the route says receipt: only receipts are queued with it
    assert receipt.number is not None
    return TableRow(
        template=receipt.template,
        series=receipt.series,
        number=receipt.number,
        issue_date=receipt.issue_date,
        fee_names="; ".join(fee.name for fee in receipt.fees)[:500],
        amount=receipt.total,
        exchange_rate=receipt.exchange_rate,
        replaces=f"{found.template}/{found.series}/{found.number}" if found.number is not None else None,
    )
