"""Moving a stored document through its lifecycle (:mod:`einvoice.domain.lifecycle`), inside the caller's transaction.

:func:`move` locks the document's row, applies the action to its state *as it is now* (so two concurrent moves cannot
both succeed from the same state), stores the new state and appends a ``document_events`` row with who, when, why
and the related document or notice. Corrections call it in the issuing transaction of the correcting document; the
transmission work calls it with ``send``, ``accept`` and ``reject`` when it sends a message and reads an answer
(a duplicated or late answer raises :class:`einvoice.domain.lifecycle.IllegalTransition` and changes nothing), through
:func:`move_many`, which does the same for a batch of documents in three statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection, RowMapping

from einvoice.domain.lifecycle import Action, IllegalTransition, Standing, State, Transmission, apply, document_class
from einvoice.services.errors import NotFoundError
from einvoice.services.issuing import Actor
from einvoice.storage.schema import document_events, documents


def load(conn: Connection, document_id: int, *, for_update: bool = False) -> RowMapping:
    """Return a document's row without its XML (locked when ``for_update``), or raise not found."""
    query = select(*[c for c in documents.c if c.name != "xml"]).where(documents.c.id == document_id)
    row = conn.execute(query.with_for_update() if for_update else query).mappings().first()
    if row is None:
        raise NotFoundError(f"no document {document_id}")
    return row


def state_of(row: RowMapping) -> State:
    """Return the lifecycle state a documents row records."""
    return State(Transmission(row["transmission"]), Standing(row["state"]))


@dataclass(frozen=True, slots=True)
class Move:
    """One lifecycle move to store: which document, what action, and why or by which document or notice."""

    document_id: int
    action: Action
    reason: str | None = None
    related_id: int | None = None
    notice_id: int | None = None
    legacy_cancel: bool = False  # the legacy setting allows cancelling this document


_LOCK = (
    select(documents.c.id, documents.c.kind, documents.c.series, documents.c.state, documents.c.transmission)
    .where(documents.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(documents.c.id)
)
_STORE = (
    update(documents)
    .where(documents.c.id == bindparam("b_id"))
    .values(state=bindparam("b_standing"), transmission=bindparam("b_transmission"))
)


def move(
    conn: Connection,
    document_id: int,
    action: Action,
    actor: Actor,
    at: datetime,
    *,
    related_id: int | None = None,
    notice_id: int | None = None,
    reason: str | None = None,
    legacy_cancel: bool = False,
) -> State:
    """Lock the document, apply ``action`` to its state as it is now, store the new state and its event.

    ``legacy_cancel`` says whether the legacy setting allows cancelling this document (a cancel is refused otherwise).
    """
    single = Move(document_id, action, reason, related_id, notice_id, legacy_cancel)
    (outcome,) = move_many(conn, [single], actor, at)
    if isinstance(outcome, IllegalTransition):
        raise outcome
    return outcome


def move_many(conn: Connection, moves: Sequence[Move], actor: Actor, at: datetime) -> list[State | IllegalTransition]:
    """Apply several moves with one lock, one update and one insert (the worker's batches); return each outcome.

    The documents are locked in id order (so two batches never wait for each other in a cycle); the moves of one
    document apply in the order given. A move the lifecycle forbids is returned as its :class:`IllegalTransition`
    and stores nothing; the others stand.
    """
    ids = sorted({each.document_id for each in moves})
    query = _LOCK.with_for_update() if conn.dialect.name == "postgresql" else _LOCK
    found = {row["id"]: row for row in conn.execute(query, {"ids": ids}).mappings()}
    missing = [document_id for document_id in ids if document_id not in found]
    if missing:
        raise NotFoundError(f"no document {missing[0]}")
    current = {document_id: state_of(row) for document_id, row in found.items()}
    outcomes: list[State | IllegalTransition] = []
    events, moved = [], set()
    for each in moves:
        row = found[each.document_id]
        try:
            klass = document_class(row["kind"], row["series"])
            after = apply(current[each.document_id], each.action, klass, legacy_cancel=each.legacy_cancel)
        except IllegalTransition as refused:
            outcomes.append(refused)
            continue
        current[each.document_id] = after
        moved.add(each.document_id)
        outcomes.append(after)
        events.append(
            {
                "document_id": each.document_id,
                "action": each.action.value,
                "transmission": after.transmission.value,
                "standing": after.standing.value,
                "related_id": each.related_id,
                "notice_id": each.notice_id,
                "reason": each.reason,
                "actor": actor.username,
                "actor_id": actor.user_id,
                "at": at,
            }
        )
    if events:
        conn.execute(
            _STORE,
            [
                {"b_id": i, "b_standing": current[i].standing.value, "b_transmission": current[i].transmission.value}
                for i in sorted(moved)
            ],
        )
        conn.execute(document_events.insert(), events)
    return outcomes
