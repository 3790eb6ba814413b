"""What passed between the tax authority and us about one document: the messages, the answers, the coded record.

Read only. A document travels in one outbox message (a "C" invoice alone in a 200, "K" invoices in a 203, receipts in
the day's table 01/TH-BLĐT) and its error notices in 300s (304s for receipts); each message gets a 999 then a final
answer (202, 204, 301), stored exactly as received in ``authority_answers`` and read back here with
:mod:`einvoice.xmldoc.envelope`.

- :func:`exchanges` lists them in both directions, oldest first: for a message we sent, its type (``MLTDiep``), its
  ``MTDiep``, when it left and its outbox state; for an answer, its type, its own ``MTDiep``, the ``MTDTChieu`` it
  answers, when it arrived, its outcome and the authority's reasons (``MLoi``/``MTLoi``/``HDXLy``).
- :func:`refusal_reasons` gives the reasons of the answer that rejected the document, for the pages.
- :func:`authority_code_of` gives the code (``MCCQT``) of a coded invoice, whose coded XML (answer 202, in
  ``coded_documents``) is its document of record (choice 17); the seller's bytes stay in ``documents.xml``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from einvoice.domain.errors import UnsafeInputError
from einvoice.storage.schema import (
    authority_answers,
    coded_documents,
    documents,
    error_notices,
    outbox_items,
    outbox_messages,
)
from einvoice.xmldoc import envelope as env

#: An answer's outcome when it cannot be read (never expected: answers are checked when they arrive).
UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One message about the document, sent or received (see the module docstring)."""

    direction: str  # sent | received
    type: str  # MLTDiep: 200, 203, 300, 212 sent; 999, 202, 204, 301 received
    message_id: str  # MTDiep
    answers: str | None  # MTDTChieu: the message this one answers (received only)
    at: datetime | None  # sent (None while still queued) or received
    outcome: str  # sent: pending | sent | done | parked; received: received | refused | coded | accepted | rejected
    reasons: tuple[env.Reason, ...] = ()
    authority_code: str | None = None  # MCCQT, on a 202
    about: str = "document"  # what the message carried: the document itself, or an error notice about it

    def as_dict(self) -> dict[str, Any]:
        """Return the exchange as the API shows it."""
        return {
            "direction": self.direction,
            "type": self.type,
            "message_id": self.message_id,
            "answers": self.answers,
            "at": self.at,
            "outcome": self.outcome,
            "reasons": [{"code": r.code, "text": r.text, "fix": r.fix} for r in self.reasons],
            "authority_code": self.authority_code,
            "about": self.about,
        }


def authority_code_in(conn: Connection, document_id: int) -> str | None:
    """Return the code (``MCCQT``) the authority gave document ``document_id``, or ``None``, on ``conn``."""
    code = conn.execute(
        select(coded_documents.c.authority_code).where(coded_documents.c.document_id == document_id)
    ).scalar()
    return None if code is None else str(code)


def authority_code_of(engine: Engine, document_id: int) -> str | None:
    """Return the code (``MCCQT``) the authority gave document ``document_id``, or ``None``."""
    with engine.connect() as conn:
        return authority_code_in(conn, document_id)


def _messages(conn: Connection, document_id: int) -> list[Any]:
    """The outbox messages carrying the document or one of its error notices, oldest first, each with ``about``."""
    notices = select(error_notices.c.id).where(error_notices.c.document_id == document_id)
    query = (
        select(
            outbox_messages.c.id,
            outbox_messages.c.code,
            outbox_messages.c.mtdiep,
            outbox_messages.c.state,
            outbox_messages.c.sent_at,
            outbox_items.c.notice_id,
        )
        .join(outbox_items, outbox_items.c.message_id == outbox_messages.c.id)
        .where(or_(outbox_items.c.document_id == document_id, outbox_items.c.notice_id.in_(notices)))
        .order_by(outbox_messages.c.id)
    )
    return list(conn.execute(query))


def exchanges(engine: Engine, document_id: int) -> list[Exchange]:
    """Return every message about document ``document_id`` and every answer to them, oldest first."""
    found: list[Exchange] = []
    with engine.connect() as conn:
        row = conn.execute(
            select(documents.c.template, documents.c.series, documents.c.number).where(documents.c.id == document_id)
        ).first()
        identity = None if row is None else (row.template, row.series, str(row.number))  # its row of a 301
        for message in _messages(conn, document_id):
            about = "document" if message.notice_id is None else "notice"
            sent = Exchange("sent", message.code, message.mtdiep, None, message.sent_at, message.state, about=about)
            answers = conn.execute(
                select(authority_answers.c.raw, authority_answers.c.received_at)
                .where(authority_answers.c.answers == message.mtdiep)
                .order_by(authority_answers.c.received_at, authority_answers.c.id)
            ).all()
            found.append(sent)
            found.extend(replace(_read_answer(bytes(raw), at, identity), about=about) for raw, at in answers)
    return found


def _read_answer(raw: bytes, received_at: datetime, identity: tuple[str, str, str] | None) -> Exchange:
    """Read one stored answer into an :class:`Exchange`."""
    try:
        message = env.read_message(raw)
    except (UnsafeInputError, ValueError):
        return Exchange("received", "", "", None, received_at, UNREADABLE)
    header = message.header
    outcome, reasons, code = _outcome(message, identity)
    return Exchange("received", header.code, header.message_id, header.answers, received_at, outcome, reasons, code)


def _outcome(
    message: env.Message, identity: tuple[str, str, str] | None
) -> tuple[str, tuple[env.Reason, ...], str | None]:
    """Return what an answer says: its outcome, the authority's reasons, and the code it assigned (202)."""
    kind = message.header.code
    try:
        if kind == env.TECHNICAL_RECEIPT:
            accepted, reasons = env.technical_receipt_ok(message)
            return ("received" if accepted else "refused"), reasons, None
        if kind == env.CODED:
            return "coded", (), env.coded_invoice(message).authority_code
        if kind == env.CHECK_RESULT:
            result = env.check_result(message)
            return ("accepted" if result.accepted else "rejected"), result.reasons, None
        if kind == env.NOTICE_RESULT:
            rows = [
                row
                for row in env.notice_result(message)
                if identity is None or (row.template, row.series, row.number) == identity
            ]
            accepted = bool(rows) and all(row.accepted for row in rows)
            return ("accepted" if accepted else "rejected"), tuple(r for row in rows for r in row.reasons), None
    except (UnsafeInputError, ValueError):
        return UNREADABLE, (), None
    return UNREADABLE, (), None


def refusal_reasons(engine: Engine, document_id: int) -> tuple[env.Reason, ...]:
    """Return the reasons of the latest answer that refused or rejected the document (none if it was not)."""
    refusals = [
        e for e in exchanges(engine, document_id) if e.outcome in ("refused", "rejected") and e.about == "document"
    ]
    return refusals[-1].reasons if refusals else ()
