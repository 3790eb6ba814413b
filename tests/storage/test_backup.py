"""Backups that restore: issue, back up, issue more, restore into a fresh data folder, and carry on from the backup."""

from __future__ import annotations

import os
import re
import secrets
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, select

from einvoice.services.audit import verify_audit
from einvoice.storage.backup import BackupError, read_manifest, restore_backup
from einvoice.storage.engine import make_engine, sqlite_url
from einvoice.storage.schema import documents, issuers
from einvoice.web import create_app
from einvoice.web.runtime import dispose
from einvoice.xmldoc.verify import verify_document

POSTGRES_ENV = "EINVOICE_TEST_DATABASE_URL"


def _app(data_dir: Path) -> Flask:
    return create_app({"TESTING": True, "DATA_DIR": data_dir, "DATABASE_URL": None})


def _cashier(app: Flask, password: str) -> FlaskClient:
    client = app.test_client()
    login = client.post("/api/v1/session", json={"username": "thu.ngan", "password": password})
    assert login.status_code == 200
    return client


def _issue(client: FlaskClient, key: str) -> int:
    series = next(s for s in client.get("/api/v1/series").get_json() if s["kind"] == "receipt")
    body = {"series_id": series["id"], "payer": {"name": "Trần Văn Bình"}, "fees": [{"code": "LP-CTBS", "quantity": 1}]}
    answer = client.post("/api/v1/receipts", json=body, headers={"Idempotency-Key": key})
    assert answer.status_code == 201, answer.get_json()
    return int(answer.get_json()["number"])


@pytest.fixture
def first_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A data folder after `prepare`, and the cashier's printed password."""
    data_dir = tmp_path / "live"
    monkeypatch.setenv("EINVOICE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("EINVOICE_DATABASE_URL", raising=False)
    app = _app(data_dir)
    result = app.test_cli_runner().invoke(args=["prepare"])
    dispose(app)
    assert result.exit_code == 0, result.output
    password = re.search(r"thu\.ngan\s+(\S+)", result.output)
    assert password is not None
    return data_dir, password.group(1)


def test_backup_restore_drill_continues_numbering_from_the_backup(
    first_start: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restored into a new folder: signatures verify, the audit chain holds, numbering continues from the backup."""
    data_dir, password = first_start
    app = _app(data_dir)
    client = _cashier(app, password)
    assert [_issue(client, f"before-{i}") for i in range(3)] == [1, 2, 3]
    archive = tmp_path / "nightly.tar"
    made = app.test_cli_runner().invoke(args=["einvoice", "backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "from number 4" in made.output
    assert [_issue(client, f"after-{i}") for i in range(2)] == [4, 5]  # issued after the backup: not in it
    dispose(app)

    restored_dir = tmp_path / "restored"
    monkeypatch.setenv("EINVOICE_DATA_DIR", str(restored_dir))
    restored = _app(restored_dir)
    result = restored.test_cli_runner().invoke(args=["einvoice", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "issued AFTER this backup" in result.output

    engine = make_engine(sqlite_url(restored_dir))
    with engine.connect() as conn:
        stored = conn.execute(select(documents.c.number, documents.c.xml).order_by(documents.c.number)).all()
        key_paths = conn.execute(select(issuers.c.signer_p12_path, issuers.c.signer_password_file)).one()
    assert [number for number, _ in stored] == [1, 2, 3]
    assert all(verify_document(xml, allow_development=True).valid for _, xml in stored)
    assert verify_audit(engine) == []
    engine.dispose()
    assert all(Path(path).is_relative_to(restored_dir) and Path(path).is_file() for path in key_paths)

    assert _issue(_cashier(restored, password), "after-restore") == 4  # the restored instance signs with its keys
    dispose(restored)


def test_restore_never_writes_over_an_existing_database(first_start: tuple[Path, str], tmp_path: Path) -> None:
    """Restoring into a folder that already holds a database is refused, and the database is left as it was."""
    data_dir, _ = first_start
    app = _app(data_dir)
    archive = tmp_path / "b.tar"
    assert app.test_cli_runner().invoke(args=["einvoice", "backup", str(archive)]).exit_code == 0
    before = (data_dir / "einvoice.sqlite3").read_bytes()
    with pytest.raises(BackupError, match="new data folder"):
        restore_backup(archive, data_dir)
    dispose(app)
    assert (data_dir / "einvoice.sqlite3").read_bytes() == before


def test_a_damaged_archive_is_refused_before_anything_is_written(first_start: tuple[Path, str], tmp_path: Path) -> None:
    """One flipped byte in a member fails the hash check of `restore --check` and of a restore, which writes nothing."""
    data_dir, _ = first_start
    app = _app(data_dir)
    archive = tmp_path / "b.tar"
    assert app.test_cli_runner().invoke(args=["einvoice", "backup", str(archive)]).exit_code == 0
    dispose(app)
    checked = app.test_cli_runner().invoke(args=["einvoice", "restore", "--check", str(archive)])
    assert "archive intact" in checked.output
    with tarfile.open(archive) as tar:
        member = tar.getmember("database.sqlite3")
    raw = bytearray(archive.read_bytes())
    raw[member.offset_data + member.size // 2] ^= 0xFF
    archive.write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="SHA-256"):
        read_manifest(archive)
    target = tmp_path / "never"
    with pytest.raises(BackupError):
        restore_backup(archive, target)
    assert not target.exists()


def test_backup_refuses_to_overwrite_an_existing_file(first_start: tuple[Path, str], tmp_path: Path) -> None:
    """`einvoice backup` onto an existing file fails with a message and leaves the file alone."""
    data_dir, _ = first_start
    app = _app(data_dir)
    existing = tmp_path / "keep.tar"
    existing.write_bytes(b"yesterday")
    result = app.test_cli_runner().invoke(args=["einvoice", "backup", str(existing)])
    dispose(app)
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert existing.read_bytes() == b"yesterday"


@pytest.fixture
def postgres_databases() -> Iterator[tuple[str, str]]:
    """Two new, empty databases on the test PostgreSQL server: one to back up, one to restore into."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    names = [f"bk_{secrets.token_hex(4)}" for _ in range(2)]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        source, target = (make_url(base).set(database=name).render_as_string(hide_password=False) for name in names)
        yield source, target
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.mark.postgres
def test_postgres_backup_restores_into_an_empty_database(
    postgres_databases: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pg_dump into the archive, pg_restore into an empty database: same documents, intact chain, numbering goes on."""
    source, target = postgres_databases
    live = tmp_path / "live"
    monkeypatch.setenv("EINVOICE_DATA_DIR", str(live))
    app = create_app({"TESTING": True, "DATA_DIR": live, "DATABASE_URL": source})
    prepared = app.test_cli_runner().invoke(args=["prepare"])
    assert prepared.exit_code == 0, prepared.output
    password = re.search(r"thu\.ngan\s+(\S+)", prepared.output)
    assert password is not None
    client = _cashier(app, password.group(1))
    assert [_issue(client, f"pg-{i}") for i in range(2)] == [1, 2]
    archive = tmp_path / "pg.tar"
    made = app.test_cli_runner().invoke(args=["einvoice", "backup", "--database-url", source, str(archive)])
    assert made.exit_code == 0, made.output
    assert _issue(client, "pg-after") == 3
    dispose(app)

    restored_dir = tmp_path / "restored"
    restore_backup(archive, restored_dir, target)
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(archive, tmp_path / "again", target)
    engine = make_engine(target)
    with engine.connect() as conn:
        stored = conn.execute(select(documents.c.number, documents.c.xml).order_by(documents.c.number)).all()
    assert [number for number, _ in stored] == [1, 2]
    assert all(verify_document(xml, allow_development=True).valid for _, xml in stored)
    assert verify_audit(engine) == []
    engine.dispose()
    restored = create_app({"TESTING": True, "DATA_DIR": restored_dir, "DATABASE_URL": target})
    assert _issue(_cashier(restored, password.group(1)), "pg-restored") == 3
    dispose(restored)
