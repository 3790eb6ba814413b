"""Migrations and engine settings: the migrated schema is the declared one; SQLite runs WAL with full sync."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select, text

from einvoice.storage.engine import make_engine, migrate, write_engine
from einvoice.storage.schema import documents, metadata


def test_migrations_match_the_tables(engine: Engine) -> None:
    """After migrating, Alembic finds no difference between the database and the declared tables."""
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def _head() -> str:
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import einvoice.storage

    config = Config()
    config.set_main_option("script_location", str(Path(einvoice.storage.__file__).parent / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"the migrations must end in one head, not {heads}"
    return str(heads[0])


def test_migrating_twice_is_harmless(engine: Engine) -> None:
    """Running the migrations again on an up-to-date database changes nothing (every start runs them)."""
    migrate(engine)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == _head()


def test_party_search_is_filled_for_existing_documents(database_url: str) -> None:
    """Upgrading from 0001 fills party_search for documents issued before it existed."""
    engine = make_engine(database_url)
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO issuers (id, name, tax_code, address, created_at) VALUES (1, 'X', '0101234567', 'Y', "
                "'2026-01-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO series (id, issuer_id, kind, template, symbol, year, next_number, active) "
                "VALUES (1, 1, 'receipt', 'EBL01', '26T', 2026, 2, true)"
            )
            conn.execute(
                text(
                    "INSERT INTO documents (id, kind, issuer_id, series_id, template, series, number, issue_date,"
                    " currency, total, total_hundredths, state, lookup_code, party_name, created_at, sha256, xml)"
                    " VALUES (1, 'receipt', 1, 1, 'EBL01', '26T', 1, '2026-03-02', 'VND', '2000', 200000, 'issued',"
                    " 'AAAAAAAAAAAA', 'Trần Thị Bích', '2026-03-02 02:00:00', 'x', :xml)"
                ),
                {"xml": b"<BLai/>"},
            )
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(select(documents.c.party_search)).scalar_one() == "tran thi bich"
    finally:
        engine.dispose()


def test_sqlite_settings(engine: Engine) -> None:
    """SQLite connections use WAL, synchronous=FULL, a busy timeout and foreign keys."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
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
        pytest.skip("SQLite settings")
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
