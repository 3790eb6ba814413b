"""Users, passwords and API tokens.

Passwords are hashed with Argon2id (argon2-cffi's defaults); API tokens are 256 random bits shown once and stored
as their SHA-256 (a fast hash is enough for a secret that is not guessable, and it keeps every request cheap).
A token acts as the user it belongs to, with that user's role and counter.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from einvoice.domain.errors import Problem
from einvoice.domain.roles import CASHIER, ROLES
from einvoice.services.catalogue import Row, get_row, update_row
from einvoice.services.errors import ConflictError, RequestProblemsError
from einvoice.services.issuing import Actor
from einvoice.storage.engine import writing
from einvoice.storage.schema import api_tokens, counters, users

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so that timing does not tell which usernames exist.
_dummy_hash: str | None = None  # made on first use: hashing costs ~0.1 s, not to be paid at import
_PUBLIC = ("id", "username", "full_name", "role", "counter_id", "active", "created_at")


def _dummy() -> str:
    global _dummy_hash  # computed once per process
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash passwords with ``hasher`` from now on (tests use cheap parameters; production keeps the defaults)."""
    global _hasher, _dummy_hash  # one process-wide policy, set once at start
    _hasher = hasher
    _dummy_hash = None


def public(row: RowMapping | Row) -> Row:
    """Return a user row without its password hash."""
    return {name: row[name] for name in _PUBLIC}


def _check(role: str | None, counter_id: int | None, engine: Engine) -> None:
    if role is not None and role not in ROLES:
        raise RequestProblemsError(
            [Problem("NOT_ONE_OF", "role", "Vai trò không hợp lệ", f"role must be one of {ROLES}")]
        )
    if role == CASHIER and counter_id is None:
        raise RequestProblemsError(
            [
                Problem(
                    "CASHIER_NEEDS_COUNTER", "counter_id", "Thu ngân phải gắn với một quầy", "a cashier needs a counter"
                )
            ]
        )
    if counter_id is not None:
        get_row(engine, counters, counter_id)


def create_user(
    engine: Engine,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str | None = None,
    counter_id: int | None = None,
) -> Row:
    """Create a user; ``password`` may be omitted for accounts that only use API tokens."""
    _check(role, counter_id, engine)
    values: dict[str, Any] = {
        "username": username,
        "full_name": full_name,
        "role": role,
        "counter_id": counter_id,
        "password_hash": _hasher.hash(password) if password else None,
        "active": True,
        "created_at": datetime.now(UTC),
    }
    try:
        with writing(engine) as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
                raise ConflictError(f"user {username} exists")
            row = conn.execute(users.insert().values(**values).returning(*users.c)).mappings().one()
    except IntegrityError as error:  # PostgreSQL: a concurrent insert of the same username
        raise ConflictError(f"user {username} exists") from error
    return public(row)


def update_user(engine: Engine, user_id: int, values: dict[str, Any]) -> Row:
    """Change a user's name, role, counter, active flag or password."""
    current = get_row(engine, users, user_id)
    _check(values.get("role"), values.get("counter_id", current["counter_id"]), engine)
    if "password" in values:
        password = values.pop("password")
        values["password_hash"] = _hasher.hash(password) if password else None
    return public(update_row(engine, users, user_id, values))


def _actor(row: RowMapping) -> Actor:
    return Actor(row["id"], row["username"], row["role"], row["counter_id"], row["full_name"])


def authenticate(engine: Engine, username: str, password: str) -> Actor | None:
    """Return the active user with this username and password, or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    stored = row["password_hash"] if row is not None and row["active"] else None
    try:
        _hasher.verify(stored or _dummy(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or stored is None:
        return None
    if _hasher.check_needs_rehash(stored):
        update_row(engine, users, row["id"], {"password_hash": _hasher.hash(password)})
    return _actor(row)


def actor_for_user(engine: Engine, user_id: int) -> Actor | None:
    """Return the active user with this id as an actor, or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id, users.c.active.is_(True))).mappings().first()
    return None if row is None else _actor(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, user_id: int, name: str) -> tuple[str, Row]:
    """Create an API token for a user; return the token (shown once) and its stored row."""
    get_row(engine, users, user_id)
    token = "ei_" + secrets.token_urlsafe(32)
    values = {"user_id": user_id, "name": name, "token_hash": _token_hash(token), "created_at": datetime.now(UTC)}
    with writing(engine) as conn:
        row = conn.execute(api_tokens.insert().values(**values).returning(*api_tokens.c)).mappings().one()
    return token, {k: v for k, v in row.items() if k != "token_hash"}


def revoke_token(engine: Engine, token_id: int) -> Row:
    """Revoke an API token; it stops working at once."""
    row = update_row(engine, api_tokens, token_id, {"revoked_at": datetime.now(UTC)})
    return {k: v for k, v in row.items() if k != "token_hash"}


_BY_TOKEN = (
    select(users)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token_hash == bindparam("b_hash"), api_tokens.c.revoked_at.is_(None), users.c.active)
)


def actor_for_token(engine: Engine, token: str) -> Actor | None:
    """Return the actor an unrevoked token of an active user stands for, or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(_BY_TOKEN, {"b_hash": _token_hash(token)}).mappings().first()
    return None if row is None else _actor(row)
