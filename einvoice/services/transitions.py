"""Moving a stored document through its lifecycle (:mod:`einvoice.domain.lifecycle`), inside the caller's transaction.

:func:`move` locks the document's row, applies the action to its state *as it is now* (so two concurrent moves cannot
both succeed from the same state), stores the new state and appends a ``document_events`` row with who, when, why
and the related document or notice. Corrections call it in the issuing transaction of the correcting document; the
transmission work calls it with ``send``, ``accept`` and ``reject`` when it sends a message and reads an answer
(a duplicated or late answer raises :class:`einvoice.domain.lifecycle.IllegalTransition` and changes nothing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from einvoice.domain.lifecycle import Action, Standing, State, Transmission, apply, document_class
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
    row = load(conn, document_id, for_update=True)
    after = apply(state_of(row), action, document_class(row["kind"], row["series"]), legacy_cancel=legacy_cancel)
    conn.execute(
        documents.update()
        .where(documents.c.id == document_id)
        .values(state=after.standing.value, transmission=after.transmission.value)
    )
    conn.execute(
        document_events.insert().values(
            document_id=document_id,
            action=action.value,
            transmission=after.transmission.value,
            standing=after.standing.value,
            related_id=related_id,
            notice_id=notice_id,
            reason=reason,
            actor=actor.username,
            actor_id=actor.user_id,
            at=at,
        )
    )
    return after
