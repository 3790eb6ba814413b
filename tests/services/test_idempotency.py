"""Idempotency keys in storage: reserved once, a different body refused, in flight reported, stale ones taken over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, update

from einvoice.services import idempotency
from einvoice.services.errors import ConflictError, RequestProblemsError
from einvoice.services.idempotency import Reservation, StoredResponse
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
        long_ago = datetime.now(UTC) - timedelta(days=100)
        conn.execute(update(idempotency_keys).where(idempotency_keys.c.id == old.id).values(created_at=long_ago))
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["purge-idempotency-keys", "--database-url", url, "--older-than-days", "90"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 " in result.output
    assert idempotency.outcome(engine, user, "old") is None
    assert idempotency.outcome(engine, user, "recent") == ANSWER
    assert isinstance(running, Reservation)
