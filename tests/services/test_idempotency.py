"""Idempotency keys in storage: reserved once, a different body refused, in flight reported, stale ones taken over.

``reserve`` holds a key by a row (PostgreSQL's way); ``hold`` is what the API calls: ``reserve`` on PostgreSQL, a
lock file on SQLite. The tests of ``hold`` run on both.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from einvoice.services import idempotency
from einvoice.services.errors import ConflictError, RequestProblemsError
from einvoice.services.idempotency import LockedKey, Reservation, StoredResponse
from einvoice.storage import keylocks
from einvoice.storage.engine import writing
from einvoice.storage.schema import idempotency_keys

ANSWER = StoredResponse(201, "application/json", "/api/v1/documents/1", b'{"id":1}')


def test_key_is_reserved_then_answered(engine: Engine, world: dict[str, Any]) -> None:
    """The first request holds the key; after completion every retry gets the stored answer."""
    user = world["cashier"].user_id
    held = idempotency.reserve(engine, user, "k", "h1")
    assert isinstance(held, Reservation)
    with pytest.raises(ConflictError, match="in flight"):
        idempotency.reserve(engine, user, "k", "h1")
    with writing(engine) as conn:
        idempotency.complete(conn, held, ANSWER, None)
    assert idempotency.reserve(engine, user, "k", "h1") == ANSWER
    assert idempotency.outcome(engine, user, "k") == ANSWER


def test_other_body_and_other_user(engine: Engine, world: dict[str, Any]) -> None:
    """The same key with another fingerprint is refused; another user's same key is theirs alone."""
    cashier, admin = world["cashier"].user_id, world["users"]["admin"]["id"]
    idempotency.reserve(engine, cashier, "k", "h1")
    with pytest.raises(RequestProblemsError):
        idempotency.reserve(engine, cashier, "k", "h2")
    assert isinstance(idempotency.reserve(engine, admin, "k", "h2"), Reservation)


def test_released_and_stale_keys_run_again(engine: Engine, world: dict[str, Any]) -> None:
    """A released key, or one left in flight longer than STALE_AFTER, can be taken again."""
    user = world["cashier"].user_id
    held = idempotency.reserve(engine, user, "k", "h1")
    assert isinstance(held, Reservation)
    idempotency.release(engine, held)
    again = idempotency.reserve(engine, user, "k", "h1")
    assert isinstance(again, Reservation)
    old = datetime.now(UTC) - idempotency.STALE_AFTER - timedelta(seconds=1)
    with writing(engine) as conn:
        conn.execute(update(idempotency_keys).values(created_at=old))
    assert idempotency.reserve(engine, user, "k", "h1") == Reservation(again.id)


def test_purge_forgets_old_answered_keys_only(engine: Engine, world: dict[str, Any]) -> None:
    """Purging removes answered keys past the retention, never keys in flight or recent ones."""
    from click.testing import CliRunner

    from einvoice.cli import main

    user = world["cashier"].user_id
    old, recent, running = (idempotency.reserve(engine, user, key, "h") for key in ("old", "recent", "running"))
    with writing(engine) as conn:
        for held in (old, recent):
            assert isinstance(held, Reservation)
            idempotency.complete(conn, held, ANSWER, None)
        assert isinstance(old, Reservation)
        assert isinstance(running, Reservation)
        long_ago = datetime.now(UTC) - timedelta(days=100)
        # The key in flight is as old as the answered one: only its state may keep it.
        aged = idempotency_keys.c.id.in_([old.id, running.id])
        conn.execute(update(idempotency_keys).where(aged).values(created_at=long_ago))
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["purge-idempotency-keys", "--database-url", url, "--older-than-days", "90"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 " in result.output
    assert idempotency.outcome(engine, user, "old") is None
    assert idempotency.outcome(engine, user, "recent") == ANSWER
    with engine.connect() as conn:
        kept = conn.execute(select(idempotency_keys.c.state).where(idempotency_keys.c.id == running.id)).scalar_one()
    assert kept == "in_flight"


def test_hold_in_flight_other_body_then_answer(engine: Engine, world: dict[str, Any]) -> None:
    """hold: a duplicate in flight is 409, another body 422, the outcome 409; once answered, every retry replays."""
    user = world["cashier"].user_id
    held = idempotency.hold(engine, user, "k", "h1")
    assert isinstance(held, Reservation | LockedKey)
    with pytest.raises(ConflictError, match="in flight"):
        idempotency.hold(engine, user, "k", "h1")
    with pytest.raises(RequestProblemsError):
        idempotency.hold(engine, user, "k", "h2")
    with pytest.raises(ConflictError, match="in flight"):
        idempotency.outcome(engine, user, "k")
    assert isinstance(idempotency.hold(engine, world["users"]["admin"]["id"], "k", "h2"), Reservation | LockedKey)
    with writing(engine) as conn:
        idempotency.complete(conn, held, ANSWER, None)
    assert idempotency.hold(engine, user, "k", "h1") == ANSWER  # answered, even before the holder lets go
    idempotency.let_go(held)
    assert idempotency.hold(engine, user, "k", "h1") == ANSWER
    assert idempotency.outcome(engine, user, "k") == ANSWER
    with pytest.raises(RequestProblemsError):
        idempotency.hold(engine, user, "k", "h2")


def test_hold_released_runs_again(engine: Engine, world: dict[str, Any]) -> None:
    """A key whose request failed (released, let go) is free for the retry."""
    user = world["cashier"].user_id
    held = idempotency.hold(engine, user, "k", "h1")
    assert isinstance(held, Reservation | LockedKey)
    idempotency.release(engine, held)
    idempotency.let_go(held)
    assert idempotency.outcome(engine, user, "k") is None
    again = idempotency.hold(engine, user, "k", "h1")
    assert isinstance(again, Reservation | LockedKey)
    idempotency.let_go(again)


def test_sqlite_hold_writes_nothing_until_the_answer(engine: Engine, world: dict[str, Any]) -> None:
    """On SQLite a key in flight is a lock file, not a row: the one write is the answer, in the caller's transaction."""
    if keylocks.folder_for(engine) is None:
        pytest.skip("PostgreSQL holds keys by rows (reserve)")
    user = world["cashier"].user_id
    held = idempotency.hold(engine, user, "k", "h1")
    assert isinstance(held, LockedKey)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency_keys)).scalar_one() == 0
    with writing(engine) as conn:
        idempotency.complete(conn, held, ANSWER, None)
    idempotency.let_go(held)
    with engine.connect() as conn:
        row = conn.execute(select(idempotency_keys)).mappings().one()
    assert (row["state"], row["request_hash"], row["response_body"]) == ("done", "h1", ANSWER.body)


_HOLDER = """
import sys
from einvoice.services import idempotency
from einvoice.storage.engine import make_engine
held = idempotency.hold(make_engine(sys.argv[1]), int(sys.argv[2]), "k", "h1")
assert isinstance(held, idempotency.LockedKey)
print("held", flush=True)
sys.stdin.readline()
"""


def test_sqlite_key_held_by_a_crashed_worker_is_free_at_once(engine: Engine, world: dict[str, Any]) -> None:
    """Another worker process holding the key makes it 409; killed mid-request, its key is free (no 5-minute wait)."""
    if keylocks.folder_for(engine) is None:
        pytest.skip("PostgreSQL holds keys by rows (reserve)")
    user = world["cashier"].user_id
    url = engine.url.render_as_string(hide_password=False)
    worker = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url, str(user)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "held"
        with pytest.raises(ConflictError, match="in flight"):
            idempotency.hold(engine, user, "k", "h1")
        with pytest.raises(RequestProblemsError):
            idempotency.hold(engine, user, "k", "h2")
    finally:
        worker.kill()
        worker.communicate(timeout=10)  # closes the pipes too
    assert idempotency.outcome(engine, user, "k") is None
    held = idempotency.hold(engine, user, "k", "h1")
    assert isinstance(held, LockedKey)
    idempotency.let_go(held)
