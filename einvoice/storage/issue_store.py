"""The statements of the issuing transaction, in as few round trips to the database as each engine allows.

:func:`lock_series` reads the series row under its lock together with its issuer (one statement); on PostgreSQL it
also takes the new document's id from the documents' sequence, so that everything the issue writes — the document,
its outbox item (choice 16), its lifecycle event, its audit entry (whose hash covers the document id) and the advanced
series counter — goes in one statement of data-modifying CTEs (:func:`store_issue`). On PostgreSQL an issue is then
two statements, and with ``BEGIN``, ``COMMIT`` and the pool's pre-ping five round trips, whatever the number of lines.
SQLite runs in-process, where a statement costs no round trip: there the writes stay plain statements, the id coming
from ``RETURNING``. ``tests/services/test_issue_statements.py`` holds both to a budget.

Every value is bound, never rendered; the statements are built once, at import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.engine import Connection

from einvoice.storage.schema import audit_entries, document_events, documents, issuers, outbox_items, series

#: Statements one issue sends through the cursor (``before_cursor_execute``), ``BEGIN``/``COMMIT`` not counted. SQLite
#: counts its ``BEGIN IMMEDIATE``. A receipt naming catalogue fees reads the catalogue too (one more).
STATEMENT_BUDGET = {"postgresql": 2, "sqlite": 7}

_ISSUER_PREFIX = "issuer__"
_LOCK = (
    select(series, *(column.label(_ISSUER_PREFIX + column.name) for column in issuers.c))
    .join(issuers, issuers.c.id == series.c.issuer_id)
    .where(series.c.id == bindparam("b_id"))
    .with_for_update(of=series)
)
# nextval is not transactional: an id taken by an issue that then fails is skipped, which only ids, never numbers, do.
_LOCK_TAKING_ID = _LOCK.add_columns(func.nextval(func.pg_get_serial_sequence("documents", "id")).label("document_id"))

_EVENT = {"action": "issue", "transmission": "pending", "standing": "issued"}
_INSERT_DOCUMENT = documents.insert().returning(documents.c.id)
_INSERT_OUTBOX = outbox_items.insert()
_INSERT_EVENT = document_events.insert().values(**_EVENT)
_INSERT_AUDIT = audit_entries.insert()
_ADVANCE = (
    series.update()
    .where(series.c.id == bindparam("s_id"))
    .values(
        next_number=bindparam("s_next_number"),
        last_issue_date=bindparam("s_last_issue_date"),
        audit_head=bindparam("s_audit_head"),
        audit_seq=bindparam("s_audit_seq"),
    )
)


def _bound(table: Any, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}


_DOCUMENT_COLUMNS = tuple(column.name for column in documents.c)
_AUDIT_COLUMNS = tuple(column.name for column in audit_entries.c if column.name != "id")
_DOCUMENT_ID = bindparam("d_id", type_=Integer)
_STORE_IN_ONE = _ADVANCE.add_cte(
    documents.insert().values(_bound(documents, "d_", _DOCUMENT_COLUMNS)).cte("new_document"),
    outbox_items.insert()
    .values(
        issuer_id=bindparam("d_issuer_id", type_=Integer),
        route=bindparam("o_route"),
        document_id=_DOCUMENT_ID,
        created_at=bindparam("d_created_at", type_=documents.c.created_at.type),
    )
    .cte("new_outbox_item"),
    document_events.insert()
    .values(
        document_id=_DOCUMENT_ID,
        actor=bindparam("e_actor", type_=document_events.c.actor.type),
        actor_id=bindparam("e_actor_id", type_=Integer),
        at=bindparam("d_created_at", type_=documents.c.created_at.type),
        **_EVENT,
    )
    .cte("new_event"),
    audit_entries.insert().values(_bound(audit_entries, "a_", _AUDIT_COLUMNS)).cte("new_audit_entry"),
)


@dataclass(frozen=True, slots=True)
class LockedSeries:
    """A series row read under its lock, its issuer, and (PostgreSQL) the id the new document will have."""

    series: Mapping[str, Any]
    issuer: Mapping[str, Any]
    document_id: int | None


def lock_series(conn: Connection, series_id: int) -> LockedSeries | None:
    """Lock the series row until the transaction ends and read it with its issuer; ``None`` if there is no such series.

    SQLite: the caller's transaction holds the write lock already (``BEGIN IMMEDIATE``), the ``FOR UPDATE`` is dropped.
    """
    postgresql = conn.dialect.name == "postgresql"
    row = conn.execute(_LOCK_TAKING_ID if postgresql else _LOCK, {"b_id": series_id}).mappings().first()
    if row is None:
        return None
    issuer = {name[len(_ISSUER_PREFIX) :]: value for name, value in row.items() if name.startswith(_ISSUER_PREFIX)}
    series_row = {column.name: row[column.name] for column in series.c}
    return LockedSeries(series_row, issuer, row["document_id"] if postgresql else None)


@dataclass(frozen=True, slots=True)
class IssueRows:
    """What one issue writes: the document row (without its id), its outbox route, who issued it, and its audit row.

    ``audit`` makes the audit row once the document id is known (the entry's hash covers it); its ``seq`` and ``hash``
    become the series' ``audit_seq`` and ``audit_head``.
    """

    document: Mapping[str, Any]
    route: str
    actor: str | None
    actor_id: int | None
    audit: Callable[[int], Mapping[str, Any]]


def store_issue(conn: Connection, locked: LockedSeries, rows: IssueRows) -> tuple[int, str]:
    """Write the issue and advance the series in the caller's transaction; return the document id and audit head."""
    document = rows.document
    if locked.document_id is not None:
        audit = rows.audit(locked.document_id)
        values = {f"d_{name}": document.get(name) for name in _DOCUMENT_COLUMNS}
        values |= {f"a_{name}": audit[name] for name in _AUDIT_COLUMNS}
        values |= {
            "d_id": locked.document_id,
            "o_route": rows.route,
            "e_actor": rows.actor,
            "e_actor_id": rows.actor_id,
        }
        conn.execute(_STORE_IN_ONE, values | _advance(locked, document, audit))
        return locked.document_id, str(audit["hash"])
    document_id: int = conn.execute(_INSERT_DOCUMENT, dict(document)).scalar_one()
    audit = rows.audit(document_id)
    at = document["created_at"]
    issuer_id = document["issuer_id"]
    conn.execute(
        _INSERT_OUTBOX, {"issuer_id": issuer_id, "route": rows.route, "document_id": document_id, "created_at": at}
    )
    conn.execute(_INSERT_EVENT, {"document_id": document_id, "actor": rows.actor, "actor_id": rows.actor_id, "at": at})
    conn.execute(_INSERT_AUDIT, dict(audit))
    conn.execute(_ADVANCE, _advance(locked, document, audit))
    return document_id, str(audit["hash"])


def _advance(locked: LockedSeries, document: Mapping[str, Any], audit: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "s_id": locked.series["id"],
        "s_next_number": document["number"] + 1,
        "s_last_issue_date": document["issue_date"],
        "s_audit_head": audit["hash"],
        "s_audit_seq": audit["seq"],
    }
