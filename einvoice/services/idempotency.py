"""Idempotency keys: a creating request runs once per (user, key); every retry gets the stored answer.

:func:`hold` marks the key as *in flight* so that a concurrent duplicate sees it at once (→ 409). On PostgreSQL it
calls :func:`reserve`, which records a new key in one statement of its own (``INSERT … ON CONFLICT DO NOTHING``). On
SQLite, where that transaction would queue behind every issuing one on the single write lock, the mark is a lock file
instead (``storage.keylocks``): no write at all until the answer. The answer is stored by :func:`complete` — for
issuing, inside the issuing transaction itself, so the document and its answer commit together and a client that timed
out can always learn the outcome. :func:`let_go` ends the hold, whatever happened. A key whose request failed
unexpectedly is released; a lock file held by a crashed worker is freed by the kernel at once, a row left in flight is
taken over after :data:`STALE_AFTER`. Answered keys are kept until :func:`purge` (``einvoice purge-idempotency-keys``)
removes them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError, OperationalError

from einvoice.services.errors import ConflictError, problem
from einvoice.storage import keylocks
from einvoice.storage.engine import is_busy, writing
from einvoice.storage.schema import idempotency_keys

STALE_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


_FIND = select(idempotency_keys).where(
    idempotency_keys.c.user_id == bindparam("b_user"), idempotency_keys.c.key == bindparam("b_key")
)
_INSERT = idempotency_keys.insert().returning(idempotency_keys.c.id)
_INSERT_ANSWER = idempotency_keys.insert()
#: PostgreSQL: take a new key in one statement; a key already there is left alone and read instead.
_INSERT_NEW = (
    postgresql.insert(idempotency_keys)
    .on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(idempotency_keys.c.id)
)
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
    """A key this request now holds by a row in flight; complete or release it."""

    id: int


@dataclass(frozen=True, slots=True)
class LockedKey:
    """A key this request holds by its lock file (SQLite); :func:`complete` inserts the row, answered."""

    user_id: int
    key: str
    fingerprint: str
    lock: keylocks.KeyLock


Held = Reservation | LockedKey


def _in_flight(holders_fingerprint: str, fingerprint: str) -> Exception:
    """Return the error for a key another request holds: 422 if that request has another body, else 409."""
    if holders_fingerprint != fingerprint:
        return _reused()
    return ConflictError("a request with this Idempotency-Key is still in flight")


def _reused() -> Exception:
    return problem(
        "IDEMPOTENCY_KEY_REUSED",
        "headers.Idempotency-Key",
        "Khóa Idempotency-Key đã dùng cho một yêu cầu khác",
        "this Idempotency-Key was used with a different request",
    )


def request_hash(method: str, path: str, body: bytes) -> str:
    """Return the fingerprint a key's request is compared by."""
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def lock_name(user_id: int, key: str) -> str:
    """Return the lock file name of a user's key (a hash: keys are any printable ASCII)."""
    return hashlib.sha256(f"{user_id}\n{key}".encode()).hexdigest()


def hold(engine: Engine, user_id: int, key: str, fingerprint: str) -> Held | StoredResponse:
    """Hold ``key`` for this request, or return the stored answer; raise on a different body or a request in flight.

    On SQLite the key's lock file is taken first, so that between the read of the row and the answer's commit no other
    request can run with the key; on PostgreSQL this is :func:`reserve`.
    """
    folder = keylocks.folder_for(engine)
    if folder is None:
        return reserve(engine, user_id, key, fingerprint)
    try:
        lock = keylocks.try_hold(folder, lock_name(user_id, key), fingerprint)
    except TimeoutError as error:  # another key sharing the lock file ran for long: worth a retry
        raise ConflictError("the idempotency key is in use, try again") from error
    try:
        row = _find(engine, user_id, key)
    except BaseException:
        if isinstance(lock, keylocks.KeyLock):
            lock.release()
        raise
    if row is None and isinstance(lock, keylocks.KeyLock):
        return LockedKey(user_id, key, fingerprint, lock)  # the common case: a new key, and no write yet
    if isinstance(lock, keylocks.KeyLock):
        lock.release()  # the row decides from here
    if row is not None and row["request_hash"] != fingerprint:
        raise _reused()
    if row is not None and row["state"] == "done":
        return StoredResponse(row["status_code"], row["content_type"], row["location"], row["response_body"])
    if isinstance(lock, str):
        raise _in_flight(lock, fingerprint)  # held by a request still running
    return reserve(engine, user_id, key, fingerprint)  # a row in flight written by reserve(): staleness decides


def let_go(held: Held) -> None:
    """End the hold on a key (after its answer is stored, or it was released): lets go of a lock file."""
    if isinstance(held, LockedKey):
        held.lock.release()


def _find(engine: Engine, user_id: int, key: str) -> RowMapping | None:
    with engine.connect() as conn:
        return conn.execute(_FIND, {"b_user": user_id, "b_key": key}).mappings().first()


def reserve(engine: Engine, user_id: int, key: str, fingerprint: str) -> Reservation | StoredResponse:
    """Hold ``key`` for this request, or return the stored answer; raise on a different body or a request in flight."""
    if engine.dialect.name == "postgresql":
        # A new key (the usual case) is one statement in autocommit: two round trips with the pool's pre-ping.
        values = _new_key(user_id, key, fingerprint, datetime.now(UTC))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            taken = conn.execute(_INSERT_NEW, values).scalar_one_or_none()
        if taken is not None:
            return Reservation(taken)
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


def _new_key(user_id: int, key: str, fingerprint: str, now: datetime) -> dict[str, object]:
    return {"user_id": user_id, "key": key, "request_hash": fingerprint, "state": "in_flight", "created_at": now}


def _reserve(conn: Connection, user_id: int, key: str, fingerprint: str) -> Reservation | StoredResponse:
    now = datetime.now(UTC)
    row = conn.execute(_FIND, {"b_user": user_id, "b_key": key}).mappings().first()
    if row is None:
        return Reservation(conn.execute(_INSERT, _new_key(user_id, key, fingerprint, now)).scalar_one())
    if row["request_hash"] != fingerprint:
        raise _reused()
    if row["state"] == "done":
        return StoredResponse(row["status_code"], row["content_type"], row["location"], row["response_body"])
    if now - row["created_at"] < STALE_AFTER:
        raise ConflictError("a request with this Idempotency-Key is still in flight")
    conn.execute(update(idempotency_keys).where(idempotency_keys.c.id == row["id"]).values(created_at=now))
    return Reservation(row["id"])


def complete(conn: Connection, held: Held, answer: StoredResponse, document_id: int | None) -> None:
    """Store the answer of the request holding the key (inside the caller's transaction)."""
    now = datetime.now(UTC)
    values = {
        "state": "done",
        "status_code": answer.status_code,
        "content_type": answer.content_type,
        "location": answer.location,
        "response_body": answer.body,
        "document_id": document_id,
        "completed_at": now,
    }
    if isinstance(held, Reservation):
        conn.execute(_COMPLETE, {"b_id": held.id, **values})
        return
    key = {"user_id": held.user_id, "key": held.key, "request_hash": held.fingerprint, "created_at": now}
    conn.execute(_INSERT_ANSWER, {**key, **values})


def complete_now(engine: Engine, held: Held, answer: StoredResponse) -> None:
    """Store the answer in a transaction of its own."""
    with writing(engine) as conn:
        complete(conn, held, answer, None)


def release(engine: Engine, held: Held) -> None:
    """Forget a key whose request failed unexpectedly, so that a retry runs it again."""
    if isinstance(held, LockedKey):
        return  # nothing was written: letting go of the lock file (let_go) is all
    with writing(engine) as conn:
        conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.id == held.id, idempotency_keys.c.state != "done")
        )


def outcome(engine: Engine, user_id: int, key: str) -> StoredResponse | None:
    """Return the stored answer for a key of this user; ``None`` if unknown; raise if still in flight."""
    row = _find(engine, user_id, key)
    folder = keylocks.folder_for(engine)
    if row is None and folder is not None and keylocks.holders_fingerprint(folder, lock_name(user_id, key)) is not None:
        raise ConflictError("a request with this Idempotency-Key is still in flight")
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
