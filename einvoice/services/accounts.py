"""Users, passwords and API tokens.

Passwords are hashed with Argon2id (argon2-cffi's defaults) and must pass :mod:`einvoice.services.passwords`; API
tokens are 256 random bits shown once and stored as their SHA-256 (a fast hash is enough for a secret that is not
guessable, and it keeps every request cheap). A token acts as the user it belongs to, with that user's role and
counter, until it expires or is revoked; its last use is recorded to the minute.

Sessions are the web layer's, but whether one still holds is decided here: each user has a *session generation*,
which a session records at login; logout, a new password, a new role or counter, and disabling bump it, and every
session of the older generation ends at once, on every device (see :func:`actor_for_session`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, bindparam, or_, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from einvoice.domain.errors import Problem
from einvoice.domain.roles import CASHIER, ROLES
from einvoice.services.catalogue import Row, get_row, update_row
from einvoice.services.errors import ConflictError, RequestProblemsError
from einvoice.services.issuing import Actor
from einvoice.services.passwords import password_problems
from einvoice.storage.engine import writing
from einvoice.storage.schema import api_tokens, counters, users

_hasher = PasswordHasher()
#: Verified against when the user does not exist, so that timing does not tell which usernames exist.
_dummy_hash: str | None = None  # made on first use: hashing costs ~0.1 s, not to be paid at import
_PUBLIC = ("id", "username", "full_name", "role", "counter_id", "active", "created_at", "demo")


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


def _hash_password(password: str, username: str) -> str:
    problems = password_problems(password, username)
    if problems:
        raise RequestProblemsError(problems)
    return _hasher.hash(password)


def create_user(
    engine: Engine,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str | None = None,
    counter_id: int | None = None,
    demo: bool = False,
) -> Row:
    """Create a user; ``password`` may be omitted for accounts that only use API tokens.

    ``demo`` marks the accounts a first start prints: production refuses to start while one is active and keeps the
    printed password (see :func:`active_demo_accounts`).
    """
    _check(role, counter_id, engine)
    values: dict[str, Any] = {
        "username": username,
        "full_name": full_name,
        "role": role,
        "counter_id": counter_id,
        "password_hash": _hash_password(password, username) if password else None,
        "active": True,
        "created_at": datetime.now(UTC),
        "demo": demo,
    }
    try:
        with writing(engine) as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
                raise ConflictError(f"user {username} exists")
            row = conn.execute(users.insert().values(**values).returning(*users.c)).mappings().one()
    except IntegrityError as error:  # PostgreSQL: a concurrent insert of the same username
        raise ConflictError(f"user {username} exists") from error
    return public(row)


#: Changes after which the user's sessions end: whoever held one must sign in again with what is now true.
_ENDS_SESSIONS = ("password", "role", "counter_id")


def update_user(engine: Engine, user_id: int, values: dict[str, Any]) -> Row:
    """Change a user's name, role, counter, active flag or password.

    A new password, role or counter, or disabling, ends every session of the user. The last active admin can be
    neither disabled nor given another role: nobody could manage users any more.
    """
    values = dict(values)
    current = get_row(engine, users, user_id)
    _check(values.get("role"), values.get("counter_id", current["counter_id"]), engine)
    ends = values.get("active") is False or any(
        name in values and values[name] != current[name] for name in _ENDS_SESSIONS if name != "password"
    )
    if "password" in values:  # hashed before the transaction: Argon2 takes ~0.1 s, the write lock must not wait
        password = values.pop("password")
        values["password_hash"] = _hash_password(password, current["username"]) if password else None
        values["demo"] = False  # a password the first start did not print
        ends = True
    if ends:
        values["session_generation"] = users.c.session_generation + 1
    with writing(engine) as conn:
        # Lock the admins first, in id order: two admins demoting each other cannot both pass the check.
        admins = conn.execute(_ACTIVE_ADMINS.with_for_update()).scalars().all()
        leaves = values.get("active") is False or values.get("role", "admin") != "admin"
        if user_id in admins and leaves and len(admins) == 1:
            raise ConflictError("this is the last active admin: make another admin first")
        if values:
            conn.execute(users.update().where(users.c.id == user_id).values(**values))
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().one()
    return public(row)


_ACTIVE_ADMINS = select(users.c.id).where(users.c.role == "admin", users.c.active.is_(True)).order_by(users.c.id)


def end_sessions(engine: Engine, user_id: int) -> None:
    """End every session of a user at once (logout ends them all, on every device)."""
    with writing(engine) as conn:
        conn.execute(
            users.update().where(users.c.id == user_id).values(session_generation=users.c.session_generation + 1)
        )


def active_demo_accounts(engine: Engine) -> list[str]:
    """Return the usernames of active accounts that still have the password a first start printed."""
    with engine.connect() as conn:
        query = select(users.c.username).where(users.c.demo.is_(True), users.c.active.is_(True))
        return list(conn.execute(query.order_by(users.c.username)).scalars())


#: A user with the issuer of their counter: a cashier issues only for that issuer.
_USERS = select(users, counters.c.issuer_id.label("counter_issuer_id")).select_from(
    users.outerjoin(counters, counters.c.id == users.c.counter_id)
)


def _actor(row: RowMapping) -> Actor:
    return Actor(row["id"], row["username"], row["role"], row["counter_id"], row["full_name"], row["counter_issuer_id"])


def authenticate(engine: Engine, username: str, password: str) -> Actor | None:
    """Return the active user with this username and password, or ``None``."""
    with engine.connect() as conn:
        row = conn.execute(_USERS.where(users.c.username == username)).mappings().first()
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


def session_generation(engine: Engine, user_id: int) -> int:
    """Return the user's current session generation, which a new session records."""
    with engine.connect() as conn:
        return int(conn.execute(select(users.c.session_generation).where(users.c.id == user_id)).scalar_one())


def actor_for_session(engine: Engine, user_id: int, generation: int) -> Actor | None:
    """Return the active user a session of this generation belongs to, or ``None`` if it has been ended."""
    query = _USERS.where(users.c.id == user_id, users.c.active.is_(True), users.c.session_generation == generation)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else _actor(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_row(row: RowMapping | Row) -> Row:
    return {k: v for k, v in row.items() if k != "token_hash"}


def create_token(engine: Engine, user_id: int, name: str, *, expires_at: datetime | None = None) -> tuple[str, Row]:
    """Create an API token for a user, valid until ``expires_at`` (or until revoked); return it (shown once)."""
    get_row(engine, users, user_id)
    token = "ei_" + secrets.token_urlsafe(32)
    values = {
        "user_id": user_id,
        "name": name,
        "token_hash": _token_hash(token),
        "created_at": datetime.now(UTC),
        "expires_at": expires_at,
    }
    with writing(engine) as conn:
        row = conn.execute(api_tokens.insert().values(**values).returning(*api_tokens.c)).mappings().one()
    return token, _token_row(row)


def list_tokens(engine: Engine, user_id: int) -> list[Row]:
    """Return a user's API tokens (never the tokens themselves): when made, when they expire, when last used."""
    get_row(engine, users, user_id)
    with engine.connect() as conn:
        rows = conn.execute(select(api_tokens).where(api_tokens.c.user_id == user_id).order_by(api_tokens.c.id))
        return [_token_row(row) for row in rows.mappings()]


def revoke_token(engine: Engine, token_id: int) -> Row:
    """Revoke an API token; it stops working at once."""
    return _token_row(update_row(engine, api_tokens, token_id, {"revoked_at": datetime.now(UTC)}))


_BY_TOKEN = _USERS.add_columns(api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at).where(
    api_tokens.c.user_id == users.c.id,
    api_tokens.c.token_hash == bindparam("b_hash"),
    api_tokens.c.revoked_at.is_(None),
    or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > bindparam("b_now")),
    users.c.active.is_(True),
)
#: How stale ``last_used_at`` may get: recording every use would make every API call a write.
LAST_USED_PRECISION = timedelta(minutes=1)


def actor_for_token(engine: Engine, token: str, now: datetime) -> Actor | None:
    """Return the actor an unrevoked, unexpired token of an active user stands for, or ``None``; note its use."""
    with engine.connect() as conn:
        row = conn.execute(_BY_TOKEN, {"b_hash": _token_hash(token), "b_now": now}).mappings().first()
    if row is None:
        return None
    if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_PRECISION:
        with writing(engine, durable=False) as conn:
            conn.execute(api_tokens.update().where(api_tokens.c.id == row["token_id"]).values(last_used_at=now))
    return _actor(row)
