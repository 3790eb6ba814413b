"""The authority's answers to our messages, read and applied to the documents they carry (inside the worker's commit).

An answer belongs to a message by its ``MTDTChieu`` only, and is kept once by its own ``MTDiep`` (the unique column
of ``authority_answers``): a duplicated or late answer, or one listed again at the next status question, changes
nothing. What each answer does: a 999 refusing the message rejects its documents (and ends it); a 202 stores the
coded invoice exactly as received, which becomes the document of record, and accepts it; a 204 accepts or rejects
with the authority's reasons; a 301 ends an error notice's message. Statements are built once, at import.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from einvoice.domain.errors import UnsafeInputError
from einvoice.domain.lifecycle import Action, IllegalTransition
from einvoice.kinds import NOTICE_MESSAGE_TYPES
from einvoice.services.issuing import Actor
from einvoice.services.transitions import Move, move_many
from einvoice.storage.schema import authority_answers, coded_documents, outbox_items
from einvoice.xmldoc import envelope as env

log = logging.getLogger("einvoice.transmission")
SYSTEM = Actor(None, "einvoice-worker", "admin")
#: The answers that end a message, by the message's type (a 999 refusing it ends any message too).
FINAL_ANSWERS = {
    env.CODED_INVOICE: frozenset({env.CODED, env.CHECK_RESULT}),
    env.UNCODED_INVOICES: frozenset({env.CHECK_RESULT}),
    env.RECEIPT_TABLE: frozenset({env.CHECK_RESULT}),
} | {notice: frozenset({env.NOTICE_RESULT}) for notice in NOTICE_MESSAGE_TYPES}  # 300 and 304 alike

_DOCUMENTS = (
    select(outbox_items.c.message_id, outbox_items.c.document_id)
    .where(outbox_items.c.message_id.in_(bindparam("ids", expanding=True)), outbox_items.c.document_id.is_not(None))
    .order_by(outbox_items.c.id)
)
_SEEN = select(authority_answers.c.mtdiep).where(authority_answers.c.mtdiep.in_(bindparam("ids", expanding=True)))
_STORED_CODES = select(authority_answers.c.answers, authority_answers.c.code).where(
    authority_answers.c.answers.in_(bindparam("ids", expanding=True))
)
_STORE = authority_answers.insert().returning(authority_answers.c.id, sort_by_parameter_order=True)


def read_ours(message_id: str, raw_answers: Iterable[bytes]) -> list[env.Message]:
    """Parse the answers a provider listed; keep those answering ``message_id`` (unreadable ones are logged)."""
    ours = []
    for raw in raw_answers:
        try:
            answer = env.read_message(raw)
        except (UnsafeInputError, ValueError) as error:
            log.warning("unreadable answer to %s: %s", message_id, error)
            continue
        if answer.header.answers == message_id:  # matched by MTDTChieu only
            ours.append(answer)
    return ours


def ends_message(code: str, answers: Sequence[env.Message], stored_codes: Iterable[str]) -> bool:
    """Tell whether a message of type ``code`` is finished: a final answer (in hand or stored), or a refusing 999."""
    final = FINAL_ANSWERS.get(code, frozenset())
    if final & ({answer.header.code for answer in answers} | set(stored_codes)):
        return True
    return any(
        answer.header.code == env.TECHNICAL_RECEIPT and not env.technical_receipt_ok(answer)[0] for answer in answers
    )


class AnswerBook:
    """What one commit needs to apply answers to a batch of messages; the documents' moves wait for :meth:`flush`."""

    def __init__(self, conn: Connection, message_rows: Sequence[Any], answers: Iterable[env.Message]) -> None:
        self.conn = conn
        ids = [row.id for row in message_rows]
        self.documents: dict[int, list[int]] = {message_id: [] for message_id in ids}
        if ids:
            for message_id, document_id in conn.execute(_DOCUMENTS, {"ids": ids}):
                self.documents[message_id].append(int(document_id))
        own_ids = [answer.header.message_id for answer in answers]
        self.seen: set[str] = set(conn.execute(_SEEN, {"ids": own_ids}).scalars()) if own_ids else set()
        self.stored: dict[str, set[str]] = {row.mtdiep: set() for row in message_rows}
        if self.stored:
            for answered, code in conn.execute(_STORED_CODES, {"ids": list(self.stored)}):
                self.stored[answered].add(code)
        self._moves: list[Move] = []
        self._coded: list[dict[str, Any]] = []
        self._answers: list[dict[str, Any]] = []

    def move_all(self, message_row_id: int, action: Action, reason: str | None = None) -> None:
        """Move every document of a message (stored at :meth:`flush`, in order)."""
        text = reason[:255] if reason else None
        self._moves.extend(Move(document_id, action, text) for document_id in self.documents[message_row_id])

    def record(self, message: Any, answers: Sequence[env.Message], now: datetime) -> bool:
        """Store and apply the answers not kept before; return whether the message is finished."""
        for answer in answers:
            key = answer.header.message_id
            if key in self.seen:
                continue
            self.seen.add(key)
            self._answers.append(
                {
                    "mtdiep": key,
                    "answers": message.mtdiep,
                    "code": answer.header.code,
                    "message_id": message.id,
                    "raw": answer.raw,
                    "received_at": now,
                }
            )
            self._apply(message.id, answer, len(self._answers) - 1, now)
        return ends_message(message.code, answers, self.stored.get(message.mtdiep, ()))

    def flush(self, now: datetime) -> None:
        """Store the new answers, the coded invoices and every move of the batch, a statement each.

        A move the lifecycle refuses (e.g. a document already moved by an earlier answer) changes nothing.
        """
        if self._answers:
            answer_ids = list(self.conn.execute(_STORE, self._answers).scalars())
            for row in self._coded:  # until now, the answer's position in the batch
                row["answer_id"] = answer_ids[row["answer_id"]]
        if self._coded:
            self.conn.execute(coded_documents.insert(), self._coded)
        if self._moves:
            for each, outcome in zip(self._moves, move_many(self.conn, self._moves, SYSTEM, now), strict=True):
                if isinstance(outcome, IllegalTransition):
                    log.info("document %s: %s not applied (%s)", each.document_id, each.action.value, outcome)
        self._moves, self._coded, self._answers = [], [], []

    def _apply(self, message_row_id: int, answer: env.Message, answer_at: int, now: datetime) -> None:
        """Apply one new answer (the ``answer_at``-th of the batch) to the message's documents."""
        code = answer.header.code
        if code == env.TECHNICAL_RECEIPT:
            accepted, reasons = env.technical_receipt_ok(answer)
            if not accepted:
                self.move_all(message_row_id, Action.REJECT, "999: " + "; ".join(f"{r.code} {r.text}" for r in reasons))
        elif code == env.CODED:
            coded = env.coded_invoice(answer)
            digest = hashlib.sha256(coded.document).hexdigest()
            for document_id in self.documents[message_row_id]:
                self._coded.append(
                    {
                        "document_id": document_id,
                        "authority_code": coded.authority_code,
                        "xml": coded.document,
                        "sha256": digest,
                        "answer_id": answer_at,
                        "received_at": now,
                    }
                )
            self.move_all(message_row_id, Action.ACCEPT, f"MCCQT {coded.authority_code}")
        elif code == env.CHECK_RESULT:
            result = env.check_result(answer)
            if result.accepted:
                self.move_all(message_row_id, Action.ACCEPT)
            else:
                text = "; ".join(f"{r.code} {r.text}" + (f" — {r.fix}" if r.fix else "") for r in result.reasons)
                self.move_all(message_row_id, Action.REJECT, f"204: {text}")
