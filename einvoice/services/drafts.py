"""Drafts (bản nháp): an issue request saved by its cashier, edited, previewed, and issued once.

A draft holds the request as JSON exactly as the API received it; issuing it goes through the issuing transaction,
which marks the draft issued in the same commit, so a draft never yields two documents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from einvoice.services.errors import ConflictError, NotFoundError
from einvoice.services.issuing import Actor
from einvoice.storage.engine import writing
from einvoice.storage.schema import drafts


def _out(row: Any) -> dict[str, Any]:
    out = dict(row)
    out["payload"] = json.loads(out["payload"])
    return out


def create_draft(engine: Engine, actor: Actor, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Save a new draft of ``kind`` (receipt or invoice) for the acting user."""
    now = datetime.now(UTC)
    values = {
        "owner_id": actor.user_id,
        "kind": kind,
        "payload": json.dumps(payload, ensure_ascii=False),
        "created_at": now,
        "updated_at": now,
    }
    with writing(engine) as conn:
        row = conn.execute(drafts.insert().values(**values).returning(*drafts.c)).mappings().one()
    return _out(row)


def get_draft(engine: Engine, draft_id: int, actor: Actor) -> dict[str, Any]:
    """Return one of the acting user's drafts."""
    with engine.connect() as conn:
        row = (
            conn.execute(select(drafts).where(drafts.c.id == draft_id, drafts.c.owner_id == actor.user_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFoundError(f"no draft {draft_id}")
    return _out(row)


def update_draft(engine: Engine, draft_id: int, actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    """Replace a draft's request; an issued draft can no longer change."""
    if get_draft(engine, draft_id, actor)["document_id"] is not None:
        raise ConflictError(f"draft {draft_id} was issued")
    with writing(engine) as conn:
        conn.execute(
            update(drafts)
            .where(drafts.c.id == draft_id, drafts.c.document_id.is_(None))
            .values(payload=json.dumps(payload, ensure_ascii=False), updated_at=datetime.now(UTC))
        )
    return get_draft(engine, draft_id, actor)


def mark_issued(conn: Connection, draft_id: int, document_id: int) -> None:
    """Record, inside the issuing transaction, that the draft became ``document_id``; refuse a second issue."""
    done = conn.execute(
        update(drafts).where(drafts.c.id == draft_id, drafts.c.document_id.is_(None)).values(document_id=document_id)
    ).rowcount
    if not done:
        raise ConflictError(f"draft {draft_id} was issued already")
