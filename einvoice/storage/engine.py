"""Engines for SQLite (the embedded default) and PostgreSQL, and the schema migrations run at start.

SQLite runs in WAL mode with ``synchronous=FULL`` (a committed number survives a power cut) and a busy timeout.
pysqlite's own transaction handling is switched off so that the ``begin`` event decides how a transaction starts:
writers (:func:`write_engine`) send ``BEGIN IMMEDIATE`` and so take the write lock before reading the counter, readers
send a plain ``BEGIN`` and never block a writer. PostgreSQL needs none of this: the issuing transaction locks the series
row with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

#: How long an SQLite connection waits for the write lock before SQLITE_BUSY, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE_OPTION = "einvoice_write"
_SYNCHRONOUS = "einvoice_synchronous"  # key in a DBAPI connection's info: the synchronous setting it has now
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def sqlite_url(data_dir: Path) -> str:
    """Return the URL of the embedded database under ``data_dir``."""
    return f"sqlite:///{data_dir / 'einvoice.sqlite3'}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings this service relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def write_engine(engine: Engine, *, durable: bool = True) -> Engine:
    """Return a view of ``engine`` whose transactions take the write lock up front (SQLite ``BEGIN IMMEDIATE``).

    ``durable=False`` (SQLite only) commits without waiting for the disk (``synchronous=NORMAL``): such a commit may be
    lost in a power cut, but only together with everything after it, and the next durable commit makes it durable
    too. Idempotency reservations use it; everything that must survive uses the default.
    """
    return engine.execution_options(**{_WRITE_OPTION: "FULL" if durable else "NORMAL"})


@contextmanager
def writing(engine: Engine, *, durable: bool = True) -> Iterator[Connection]:
    """Run a write transaction: on SQLite, queued on a file lock first, then ``BEGIN IMMEDIATE``.

    SQLite's own busy handler waits by sleeping in growing steps (up to 100 ms), so with several processes writing,
    most of the time goes to sleeping while the lock is free. A blocking ``flock`` on a file beside the database wakes
    the next writer the moment the lock is released; the busy timeout stays as the safety net for other writers.
    """
    with _queued(engine), write_engine(engine, durable=durable).begin() as conn:
        yield conn


_queues: dict[tuple[int, str], tuple[threading.Lock, int]] = {}
_queues_guard = threading.Lock()


@contextmanager
def _queued(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    # flock belongs to an open file description, shared by threads and across fork: one per process and file,
    # and a thread lock in front of it.
    key = (os.getpid(), database)
    with _queues_guard:
        if key not in _queues:
            _queues[key] = (threading.Lock(), os.open(f"{database}-writelock", os.O_RDWR | os.O_CREAT, 0o600))
        thread_lock, descriptor = _queues[key]
    with thread_lock:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _sqlite_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # we send BEGIN ourselves, in _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
    record.info[_SYNCHRONOUS] = "FULL"


def _sqlite_begin(conn: Connection) -> None:
    synchronous = conn.get_execution_options().get(_WRITE_OPTION)
    wanted = "NORMAL" if synchronous == "NORMAL" else "FULL"
    # Set only on a change (the connection keeps it): three transactions per issuing request each paid a statement.
    if conn.info.get(_SYNCHRONOUS) != wanted:
        conn.exec_driver_sql(f"PRAGMA synchronous = {wanted}")
        conn.info[_SYNCHRONOUS] = wanted
    conn.exec_driver_sql("BEGIN IMMEDIATE" if synchronous else "BEGIN")


def is_busy(error: OperationalError) -> bool:
    """Tell whether ``error`` is SQLite's "database is locked"/"busy", which a retry of the transaction cures."""
    orig = error.orig
    return isinstance(orig, sqlite3.OperationalError) and ("locked" in str(orig).lower() or "busy" in str(orig).lower())


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (the newest by default)."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def over_local_socket(url: str) -> str:
    """Return ``url`` rewritten to the server's Unix socket when the server runs here and listens on one.

    A round trip over a Unix socket costs about half of one over loopback TCP; the issuing transaction makes five.
    The benches use it; deployments write the socket in ``EINVOICE_DATABASE_URL`` (README, Databases).
    """
    parsed = make_url(url)
    if parsed.host not in ("127.0.0.1", "localhost", "::1"):
        return url
    admin = create_engine(url)
    try:
        with admin.connect() as conn:
            folders = conn.exec_driver_sql("SHOW unix_socket_directories").scalar_one()
    finally:
        admin.dispose()
    for folder in str(folders).split(","):
        folder = folder.strip()
        if folder and Path(folder, f".s.PGSQL.{parsed.port or 5432}").exists():
            return parsed._replace(host=None).update_query_dict({"host": folder}).render_as_string(hide_password=False)
    return url


def configured_url(database_url: str | None, data_dir: Path) -> str:
    """Return the configured database URL, or the embedded SQLite database under ``data_dir``."""
    return database_url or sqlite_url(data_dir)
