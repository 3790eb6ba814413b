"""The transactional outbox (choice 16): what must reach the tax authority is written with the document, then packed.

:func:`enqueue` runs inside the issuing transaction: a document that is numbered is also queued, or neither is.
:func:`pack` (run by the worker) turns queued items into ``TDiep`` messages: a "C" invoice alone in a 200; "K" invoices
of one issuer together in 203s (at most :data:`MAX_PER_MESSAGE`, once the oldest has waited ``batch_window`` — well
before the next-working-day deadline); error notices alone, in the message type their document's kind names
(:data:`einvoice.kinds.NOTICE_MESSAGES`: 300 for invoices, 304 for receipts). Receipts are queued with route
``receipt`` for the daily table 01/TH-BLĐT (choice 20), which is packed by :mod:`einvoice.services.receipt_tables`.
A message's bytes are fixed when it is packed and never rebuilt: a resend (only after the provider says it does not
have it) sends the same ``MTDiep`` and bytes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select, update

from einvoice.domain.lifecycle import DocumentClass, document_class
from einvoice.kinds import row_of
from einvoice.storage.schema import documents, error_notices, issuers, outbox_items, outbox_messages
from einvoice.xmldoc import envelope as env

CODED, UNCODED, RECEIPT, NOTICE = "coded", "uncoded", DocumentClass.RECEIPT.value, "notice"
_ROUTES = {
    DocumentClass.CODED_INVOICE: CODED,
    DocumentClass.UNCODED_INVOICE: UNCODED,
    DocumentClass.RECEIPT: RECEIPT,
}
#: Uncoded invoices per 203 message: well under the authority's 2 MB per message for ordinary invoices.
MAX_PER_MESSAGE = 50
PENDING, SENT, DONE, PARKED = "pending", "sent", "done", "parked"


@dataclass(frozen=True)
class Addressing:
    """Who sends and who receives: the T-VAN's code (``MNNhan``) and the envelope version."""

    receiver: str
    version: str = env.ENVELOPE_VERSION


def enqueue(conn: Connection, *, document_id: int, issuer_id: int, kind: str, series: str, now: datetime) -> None:
    """Queue a just-issued document for the authority, in the caller's (issuing) transaction."""
    route = _ROUTES[document_class(kind, series)]
    conn.execute(
        outbox_items.insert().values(issuer_id=issuer_id, route=route, document_id=document_id, created_at=now)
    )


def enqueue_notice(conn: Connection, *, notice_id: int, issuer_id: int, now: datetime) -> None:
    """Queue an error notice (04/SS) for the authority, in the caller's transaction."""
    conn.execute(outbox_items.insert().values(issuer_id=issuer_id, route=NOTICE, notice_id=notice_id, created_at=now))


_WAITING = (
    select(outbox_items.c.id, outbox_items.c.issuer_id, outbox_items.c.route, outbox_items.c.created_at)
    .where(outbox_items.c.message_id.is_(None), outbox_items.c.route != RECEIPT)
    .order_by(outbox_items.c.id)
)
_ITEM_BYTES = (
    select(outbox_items.c.id, documents.c.xml, error_notices.c.xml.label("notice_xml"))
    .select_from(outbox_items)
    .outerjoin(documents, documents.c.id == outbox_items.c.document_id)
    .outerjoin(error_notices, error_notices.c.id == outbox_items.c.notice_id)
    .where(outbox_items.c.id.in_(bindparam("ids", expanding=True)))
)
_NOTICE_KINDS = (
    select(outbox_items.c.id, documents.c.kind)
    .join(error_notices, error_notices.c.id == outbox_items.c.notice_id)
    .join(documents, documents.c.id == error_notices.c.document_id)
    .where(outbox_items.c.id.in_(bindparam("ids", expanding=True)))
)
_SENDERS = select(issuers.c.id, issuers.c.tax_code).where(issuers.c.id.in_(bindparam("ids", expanding=True)))
_ADD = outbox_messages.insert().returning(outbox_messages.c.id, sort_by_parameter_order=True)
_PACK = (
    update(outbox_items)
    .where(outbox_items.c.id == bindparam("b_item"), outbox_items.c.message_id.is_(None))
    .values(message_id=bindparam("b_message"))
)


@dataclass(frozen=True)
class _Draft:
    """A message to write: its type, its issuer and the outbox items it carries (with their bytes, in order)."""

    code: str
    issuer_id: int
    item_ids: list[int]


def pack(conn: Connection, addressing: Addressing, *, now: datetime, batch_window: timedelta) -> int:
    """Turn queued items into messages (in the caller's write transaction); return how many messages were made."""
    # workers pack in parallel on PostgreSQL: each takes the items no other holds
    query = _WAITING.with_for_update(skip_locked=True) if conn.dialect.name == "postgresql" else _WAITING
    drafts = _plan(conn, query, now=now, batch_window=batch_window)
    if not drafts:
        return 0
    ids = [item_id for draft in drafts for item_id in draft.item_ids]
    carried = {row.id: bytes(row.xml or row.notice_xml) for row in conn.execute(_ITEM_BYTES, {"ids": ids})}
    messages = [(draft.code, draft.issuer_id, [carried[i] for i in draft.item_ids]) for draft in drafts]
    rows = add_messages(conn, addressing, messages, now)
    links = [{"b_item": i, "b_message": row} for draft, row in zip(drafts, rows, strict=True) for i in draft.item_ids]
    packed = conn.execute(_PACK, links).rowcount
    if packed != len(links):  # never: the items are locked; if it happened, roll back rather than send twice
        raise RuntimeError(f"{len(links) - packed} outbox items were packed by another worker")
    return len(drafts)


def packing_due(conn: Connection, *, now: datetime, batch_window: timedelta) -> bool:
    """Tell, reading only, whether :func:`pack` would make a message now (a worker then opens its write transaction)."""
    return bool(_plan(conn, _WAITING, now=now, batch_window=batch_window))


def _plan(conn: Connection, query: Select[Any], *, now: datetime, batch_window: timedelta) -> list[_Draft]:
    """The messages the waiting items of ``query`` make now, in order."""
    drafts: list[_Draft] = []
    uncoded: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    notices: list[tuple[int, int]] = []
    for item_id, issuer_id, route, created_at in conn.execute(query):
        if route == CODED:
            drafts.append(_Draft(env.CODED_INVOICE, issuer_id, [item_id]))
        elif route == NOTICE:
            notices.append((item_id, issuer_id))
        else:
            uncoded[issuer_id].append((item_id, created_at))
    if notices:
        kinds = {row.id: row.kind for row in conn.execute(_NOTICE_KINDS, {"ids": [item_id for item_id, _ in notices]})}
        drafts += [_Draft(row_of(kinds[item_id]).notice_message, issuer, [item_id]) for item_id, issuer in notices]
    for issuer_id, items in uncoded.items():
        due = len(items) >= MAX_PER_MESSAGE or min(created for _, created in items) <= now - batch_window
        if due:
            for start in range(0, len(items), MAX_PER_MESSAGE):
                chunk = [item_id for item_id, _ in items[start : start + MAX_PER_MESSAGE]]
                drafts.append(_Draft(env.UNCODED_INVOICES, issuer_id, chunk))
    return drafts


def add_message(
    conn: Connection, addressing: Addressing, code: str, issuer_id: int, items: list[bytes], now: datetime
) -> int:
    """Write one message of ``items`` (signed documents) to the outbox; return its row id."""
    (message_row,) = add_messages(conn, addressing, [(code, issuer_id, items)], now)
    return message_row


def add_messages(
    conn: Connection, addressing: Addressing, messages: list[tuple[str, int, list[bytes]]], now: datetime
) -> list[int]:
    """Write messages (type, issuer, signed items) to the outbox in one statement; return their row ids, in order."""
    senders = {
        issuer_id: _sender(tax_code)
        for issuer_id, tax_code in conn.execute(_SENDERS, {"ids": sorted({issuer for _, issuer, _ in messages})})
    }
    rows = []
    for code, issuer_id, items in messages:
        sender = senders[issuer_id]
        message_id = env.new_message_id(sender)
        header = env.Header(addressing.version, sender, addressing.receiver, code, message_id, None, sender, len(items))
        rows.append(
            {
                "mtdiep": message_id,
                "code": code,
                "issuer_id": issuer_id,
                "payload": env.build_message(header, items),
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return [int(message_row) for message_row in conn.execute(_ADD, rows).scalars()]


def _sender(tax_code: str) -> str:
    """The sender code between a provider and its T-VAN: the issuer's tax code without the dash (spec §4)."""
    return str(tax_code).replace("-", "")


def message_documents(conn: Connection, message_row_id: int) -> list[int]:
    """Return the ids of the documents a message carries (none for notices)."""
    return [
        int(document_id)
        for document_id in conn.execute(
            select(outbox_items.c.document_id)
            .where(outbox_items.c.message_id == message_row_id, outbox_items.c.document_id.is_not(None))
            .order_by(outbox_items.c.id)
        ).scalars()
    ]
