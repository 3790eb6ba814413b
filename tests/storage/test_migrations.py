"""Migrations and engine settings: the migrated schema is the declared one; SQLite runs WAL with full sync."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from einvoice.storage.engine import migrate, write_engine
from einvoice.storage.schema import metadata


def test_migrations_match_the_tables(engine: Engine) -> None:
    """After migrating, Alembic finds no difference between the database and the declared tables."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrating_twice_is_harmless(engine: Engine) -> None:
    """Running the migrations again on an up-to-date database changes nothing (every start runs them)."""
    migrate(engine)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0001"


def test_sqlite_settings(engine: Engine) -> None:
    """SQLite connections use WAL, synchronous=FULL, a busy timeout and foreign keys."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        pragmas = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("journal_mode", "synchronous")}
        timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2}
    assert timeout is not None
    assert timeout >= 5000
    assert keys == 1


def test_writers_take_the_lock_up_front(engine: Engine) -> None:
    """A write transaction holds SQLite's write lock from BEGIN: a second writer cannot start meanwhile."""
    if engine.dialect.name != "sqlite":
        return
    other = engine.execution_options()
    with write_engine(engine).begin() as conn:
        conn.exec_driver_sql("SELECT 1")
        raw = other.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA busy_timeout = 0")  # type: ignore[union-attr]
            try:
                raw.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
                locked = False
            except Exception as error:
                locked = "locked" in str(error) or "busy" in str(error)
        finally:
            raw.close()
    assert locked
