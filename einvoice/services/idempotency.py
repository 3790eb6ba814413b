"""Idempotency keys: a creating request runs once per (user, key); every retry gets the stored answer.

:func:`reserve` records the key as *in flight* in a short transaction of its own, so a concurrent duplicate sees it
at once (→ 409). The answer is stored by :func:`complete` — for issuing, inside the issuing transaction itself, so the
document and its answer commit together and a client that timed out can always learn the outcome. A key whose
request failed unexpectedly is released; one left in flight by a crashed worker is taken over after
:data:`STALE_AFTER`. Answered keys are kept until :func:`purge` (``einvoice purge-idempotency-keys``) removes them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from einvoice.services.errors import ConflictError, problem
from einvoice.storage.engine import is_busy, writing
from einvoice.storage.schema import idempotency_keys

STALE_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


_FIND = select(idempotency_keys).where(
    idempotency_keys.c.user_id == bindparam("b_user"), idempotency_keys.c.key == bindparam("b_key")
)
_INSERT = idempotency_keys.insert().returning(idempotency_keys.c.id)
_COMPLETE = update(idempotency_keys).where(idempotency_keys.c.id == bindparam("b_id"))


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """An answer given before, to give again byte for byte."""

    status_code: int
    content_type: str
    location: str | None
    body: bytes


@dataclass(frozen=True, slots=True)
class Reservation:
    """A key this request now holds; complete or release it."""

    id: int


def request_hash(method: str, path: str, body: bytes) -> str:
    """Return the fingerprint a key's request is compared by."""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def reserve(engine: Engine, user_id: int, key: str, fingerprint: str) -> Reservation | StoredResponse:
    """Hold ``key`` for this request, or return the stored answer; raise on a different body or a request in flight."""
    for attempt in range(20):
        try:
            # Not durable: a reservation lost in a power cut is a request that never finished; the issuing commit,
            # durable, makes it durable anyway (SQLite WAL commits are ordered).
            with writing(engine, durable=False) as conn:
                return _reserve(conn, user_id, key, fingerprint)
        except OperationalError as error:
            if not is_busy(error) or attempt == 19:
                raise
            time.sleep(0.01 * (attempt + 1))
        except IntegrityError:
            continue  # a concurrent request inserted the key between our read and our insert: read it again
    raise ConflictError("the idempotency key is in use")


def _reserve(conn: Connection, user_id: int, key: str, fingerprint: str) -> Reservation | StoredResponse:
    now = datetime.now(UTC)
    row = conn.execute(_FIND, {"b_user": user_id, "b_key": key}).mappings().first()
    if row is None:
        values = {"user_id": user_id, "key": key, "request_hash": fingerprint, "state": "in_flight", "created_at": now}
        return Reservation(conn.execute(_INSERT, values).scalar_one())
    if row["request_hash"] != fingerprint:
        raise problem(
            "idempotency_key_reused",
            "Idempotency-Key",
            "Khóa Idempotency-Key đã dùng cho một yêu cầu khác",
            "this Idempotency-Key was used with a different request",
        )
    if row["state"] == "done":
        return StoredResponse(row["status_code"], row["content_type"], row["location"], row["response_body"])
    if now - row["created_at"] < STALE_AFTER:
        raise ConflictError("a request with this Idempotency-Key is still in flight")
    conn.execute(update(idempotency_keys).where(idempotency_keys.c.id == row["id"]).values(created_at=now))
    return Reservation(row["id"])


def complete(conn: Connection, reservation: Reservation, answer: StoredResponse, document_id: int | None) -> None:
    """Store the answer of the request holding ``reservation`` (inside the caller's transaction)."""
    conn.execute(
        _COMPLETE,
        {
            "b_id": reservation.id,
            "state": "done",
            "status_code": answer.status_code,
            "content_type": answer.content_type,
            "location": answer.location,
            "response_body": answer.body,
            "document_id": document_id,
            "completed_at": datetime.now(UTC),
        },
    )


def complete_now(engine: Engine, reservation: Reservation, answer: StoredResponse) -> None:
    """Store the answer in a transaction of its own."""
    with writing(engine) as conn:
        complete(conn, reservation, answer, None)


def release(engine: Engine, reservation: Reservation) -> None:
    """Forget a key whose request failed unexpectedly, so that a retry runs it again."""
    with writing(engine) as conn:
        conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.id == reservation.id, idempotency_keys.c.state != "done")
        )


def outcome(engine: Engine, user_id: int, key: str) -> StoredResponse | None:
    """Return the stored answer for a key of this user; ``None`` if unknown; raise if still in flight."""
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(idempotency_keys).where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    if row["state"] != "done":
        raise ConflictError("a request with this Idempotency-Key is still in flight")
    return StoredResponse(row["status_code"], row["content_type"], row["location"], row["response_body"])


def purge(engine: Engine, older_than: timedelta, *, now: datetime | None = None) -> int:
    """Delete answered keys older than ``older_than`` (their documents stay); return how many were deleted."""
    cutoff = (now or datetime.now(UTC)) - older_than
    with writing(engine) as conn:
        deleted: int = conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.state == "done", idempotency_keys.c.created_at < cutoff)
        ).rowcount
    return deleted
