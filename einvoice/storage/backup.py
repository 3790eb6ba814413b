"""Backups that restore: one archive holds a consistent copy of the database and the instance's files.

An archive is an uncompressed tar (the documents inside are already compact XML; signing keys must not be re-coded by
a compressor that some restore host lacks) with:

- ``manifest.json``: format, when and from where it was made, the schema revision, each series' next number at that
  moment, and the SHA-256 of every other member;
- ``database.sqlite3``: SQLite's online backup (``sqlite3.Connection.backup``: a consistent snapshot taken while the
  service keeps issuing), or ``database.pgdump``: ``pg_dump --format=custom`` of the PostgreSQL database;
- ``files/…``: the data folder's own files (development CA and issuer keys, their password files, the instance's
  secret key), without the database, its journal, its lock files and key-lock folder, and the PDF cache (PDFs are
  re-rendered from XML).

Restoring checks every hash before it writes anything, refuses a target that already holds a database (nothing stored
is overwritten), and points issuers whose key files lived in the old data folder at the same files in the new one.
The archive holds signing keys: keep it as secret as the data folder itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.engine import make_url

import einvoice
from einvoice.domain.errors import EInvoiceError
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import issuers, series

FORMAT = "einvoice-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
FILES_PREFIX = "files/"
#: Data-folder entries that are never copied: the live database and its side files, locks, and the PDF cache.
_SKIPPED_SUFFIXES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".sqlite3-journal", "-writelock", ".lock")
_SKIPPED_FOLDERS = ("pdf-cache", "einvoice.sqlite3-keys")
_CHUNK = 1 << 20


class BackupError(EInvoiceError, RuntimeError):
    """A backup could not be made or restored; the message says why and what to do."""


@dataclass(frozen=True)
class SeriesMark:
    """Where a series stood when the backup was made."""

    issuer_tax_code: str
    template: str
    symbol: str
    next_number: int

    def label(self) -> str:
        """Return e.g. ``0101234567 EBL01/26TAA from number 42``."""
        return f"{self.issuer_tax_code} {self.template}/{self.symbol} from number {self.next_number}"


@dataclass(frozen=True)
class Manifest:
    """What an archive says of itself."""

    created_at: str
    dialect: str
    data_dir: str
    revision: str | None
    series: tuple[SeriesMark, ...]
    files: dict[str, str]  # member name -> SHA-256

    def as_json(self) -> bytes:
        """Return the manifest as the archive stores it."""
        body: dict[str, Any] = {
            "format": FORMAT,
            "einvoice_version": einvoice.__version__,
            "created_at": self.created_at,
            "dialect": self.dialect,
            "data_dir": self.data_dir,
            "revision": self.revision,
            "series": [mark.__dict__ for mark in self.series],
            "files": self.files,
        }
        return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Read a stored manifest; refuse another format."""
        try:
            body = json.loads(raw)
            if body.get("format") != FORMAT:
                raise BackupError(f"not an einvoice backup of format {FORMAT}: {body.get('format')!r}")
            return cls(
                created_at=str(body["created_at"]),
                dialect=str(body["dialect"]),
                data_dir=str(body["data_dir"]),
                revision=body.get("revision"),
                series=tuple(SeriesMark(**mark) for mark in body["series"]),
                files={str(k): str(v) for k, v in body["files"].items()},
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BackupError(f"the archive's manifest is unreadable: {error}") from error


def create_backup(url: str, data_dir: Path, destination: Path, now: datetime) -> Manifest:
    """Write a backup of the database at ``url`` and of ``data_dir`` to ``destination`` (a new file)."""
    if destination.exists():
        raise BackupError(f"{destination} exists already: choose a new file name")
    engine = make_engine(url)
    try:
        with tempfile.TemporaryDirectory(prefix="einvoice-backup-") as scratch:
            members: dict[str, Path] = {}
            if engine.dialect.name == "sqlite":
                members[SQLITE_MEMBER] = _sqlite_snapshot(engine, Path(scratch) / SQLITE_MEMBER)
            else:
                members[PGDUMP_MEMBER] = _pg_dump(url, Path(scratch) / PGDUMP_MEMBER)
            # Series marks read after the snapshot: a number taken in between makes the mark higher, never lower,
            # so the restored series may start above the mark but a restore never hides a number it contains.
            marks, revision = _series_marks(engine), _revision(engine)
            for path in _data_files(data_dir):
                members[FILES_PREFIX + path.relative_to(data_dir).as_posix()] = path
            manifest = Manifest(
                created_at=now.isoformat(),
                dialect=engine.dialect.name,
                data_dir=str(data_dir.resolve()),
                revision=revision,
                series=marks,
                files={name: _sha256(path) for name, path in sorted(members.items())},
            )
            partial = destination.with_name(destination.name + ".partial")
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive:
                _add_bytes(archive, MANIFEST, manifest.as_json())
                for name, path in sorted(members.items()):
                    archive.add(path, arcname=name, recursive=False)
            with partial.open("rb") as handle:
                os.fsync(handle.fileno())
            partial.rename(destination)
            return manifest
    finally:
        engine.dispose()


def read_manifest(archive_path: Path) -> Manifest:
    """Return the manifest of an archive after checking every member against it."""
    with tarfile.open(archive_path, "r") as archive:
        manifest = Manifest.from_json(_member_bytes(archive, MANIFEST))
        names = {member.name for member in archive.getmembers() if member.isfile()} - {MANIFEST}
        if names != set(manifest.files):
            raise BackupError("the archive's members differ from its manifest: it is incomplete or was altered")
        for name, expected in manifest.files.items():
            digest = hashlib.sha256()
            for chunk in _member_chunks(archive, name):
                digest.update(chunk)
            if digest.hexdigest() != expected:
                raise BackupError(f"{name} does not match its SHA-256 in the manifest: the archive is damaged")
    return manifest


def restore_backup(archive_path: Path, data_dir: Path, url: str | None = None) -> Manifest:
    """Restore an archive into ``data_dir`` (and the empty database at ``url`` for PostgreSQL backups)."""
    manifest = read_manifest(archive_path)
    data_dir = data_dir.resolve()
    sqlite_target = data_dir / "einvoice.sqlite3"
    if manifest.dialect == "sqlite" and url is None and sqlite_target.exists():
        raise BackupError(f"{sqlite_target} exists: restore into a new data folder, never over a database")
    for name in manifest.files:
        if name.startswith(FILES_PREFIX):
            relative = Path(name.removeprefix(FILES_PREFIX))
            if relative.is_absolute() or ".." in relative.parts:
                raise BackupError(f"{name} would be written outside the data folder: the archive is not trusted")
            if (data_dir / relative).exists():
                raise BackupError(f"{data_dir / relative} exists: restore into a new data folder")
    target_url = url or f"sqlite:///{sqlite_target}"
    if not target_url.startswith("sqlite") and manifest.dialect == "sqlite":
        raise BackupError("this archive holds an SQLite database: restore it without a PostgreSQL URL")
    if target_url.startswith("sqlite") and manifest.dialect != "sqlite":
        raise BackupError("this archive holds a PostgreSQL dump: give the URL of an empty PostgreSQL database")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, "r") as archive:
        for name in manifest.files:
            if name.startswith(FILES_PREFIX):
                _extract(archive, name, data_dir / name.removeprefix(FILES_PREFIX))
        if manifest.dialect == "sqlite":
            _extract(archive, SQLITE_MEMBER, sqlite_target)
        else:
            with tempfile.TemporaryDirectory(prefix="einvoice-restore-") as scratch:
                dump = Path(scratch) / PGDUMP_MEMBER
                _extract(archive, PGDUMP_MEMBER, dump)
                _pg_restore(target_url, dump)
    engine = make_engine(target_url)
    try:
        migrate(engine)  # an archive made by an older version gets the newer schema
        _move_key_paths(engine, Path(manifest.data_dir), data_dir)
    finally:
        engine.dispose()
    return manifest


def _sqlite_snapshot(engine: Engine, target: Path) -> Path:
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # online: copies a consistent snapshot, restarting if a writer changes a copied page
    finally:
        copy.close()
        source.close()
    return target


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_dump(url: str, target: Path) -> Path:
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", _libpq_url(url)])
    return target


def _pg_restore(url: str, dump: Path) -> None:
    engine = make_engine(url)
    try:
        if inspect(engine).has_table("alembic_version"):
            raise BackupError("the target PostgreSQL database is not empty: create a new database to restore into")
    finally:
        engine.dispose()
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={_libpq_url(url)}", str(dump)])


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian package postgresql-client)")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 -- fixed tool, our args
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")


def _series_marks(engine: Engine) -> tuple[SeriesMark, ...]:
    query = (
        select(issuers.c.tax_code, series.c.template, series.c.symbol, series.c.next_number)
        .join(issuers, issuers.c.id == series.c.issuer_id)
        .order_by(issuers.c.tax_code, series.c.template, series.c.symbol)
    )
    with engine.connect() as conn:
        return tuple(SeriesMark(*row) for row in conn.execute(query))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _move_key_paths(engine: Engine, old_dir: Path, new_dir: Path) -> None:
    """Point issuers' key and password files that lived in the old data folder at their restored copies."""
    if old_dir == new_dir:
        return
    with engine.begin() as conn:
        rows = conn.execute(select(issuers.c.id, issuers.c.signer_p12_path, issuers.c.signer_password_file)).all()
        for issuer_id, p12, password_file in rows:
            moved = {
                column: str(new_dir / Path(value).relative_to(old_dir))
                for column, value in (("signer_p12_path", p12), ("signer_password_file", password_file))
                if value and Path(value).is_relative_to(old_dir)
            }
            if moved:
                conn.execute(update(issuers).where(issuers.c.id == issuer_id).values(**moved))


def _data_files(data_dir: Path) -> Iterator[Path]:
    if not data_dir.is_dir():
        return
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if not path.is_file() or path.is_symlink() or relative.parts[0] in _SKIPPED_FOLDERS:
            continue
        if path.name.endswith(_SKIPPED_SUFFIXES):
            continue
        yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def _member_chunks(archive: tarfile.TarFile, name: str) -> Iterator[bytes]:
    handle = archive.extractfile(name)
    if handle is None:
        raise BackupError(f"{name} is missing from the archive")
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _member_bytes(archive: tarfile.TarFile, name: str) -> bytes:
    try:
        return b"".join(_member_chunks(archive, name))
    except KeyError as error:
        raise BackupError(f"{name} is missing: this is not an einvoice backup") from error


def _extract(archive: tarfile.TarFile, name: str, target: Path) -> None:
    """Write one member to ``target`` (mode 0600): member names never choose where files go."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in _member_chunks(archive, name):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
