"""Per-key locks: "is a request with this key running?" on SQLite, without a write transaction.

A key hashes to one of :data:`BUCKETS` files in ``<database>-keys/``. Its holder takes a non-blocking ``flock`` on
that file and writes a note into it: the key's hash and the request's fingerprint. Another request (another process,
or another thread: each opens the file itself) fails to take the lock and reads the note: the same key is in flight;
another key that fell in the same bucket is waited for, briefly. The kernel releases the lock when the holder's
process dies, so a crashed request never blocks its key. SQLite databases live on one host, so one host's locks are
enough; PostgreSQL uses rows instead (``services.idempotency``).

The files are never removed (there are at most :data:`BUCKETS` of them, one block each) and the note is cleared before
the lock is let go: creating and removing a file per request costs journal writes that queue behind SQLite's commits.
A holder that crashed leaves its note; the next holder of that file overwrites it microseconds after locking, and
only in between could a retry of the crashed request's key read it and get a 409 (which the client retries).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from sqlalchemy import Engine

#: Lock files per database; two keys in flight at once share one with probability 1/BUCKETS.
BUCKETS = 256
#: A note: the key's hash (64 hex digits) then the request's fingerprint (64 hex digits).
NOTE_SIZE = 128
#: How long a request waits for another key in its bucket, or for a new holder to write its note (1 ms steps).
WAIT_SECONDS = 10.0
_EMPTY = bytes(NOTE_SIZE)


def folder_for(engine: Engine) -> Path | None:
    """Return the lock folder beside ``engine``'s SQLite file; ``None`` for PostgreSQL or an in-memory database."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return None
    return Path(f"{database}-keys")


class KeyLock:
    """A held key lock; :meth:`release` lets go (the holder's process ending does too)."""

    __slots__ = ("_descriptor",)

    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor

    def release(self) -> None:
        """Clear the note and let go of the lock; a second call does nothing."""
        if self._descriptor is None:
            return
        try:
            os.pwrite(self._descriptor, _EMPTY, 0)
        finally:
            os.close(self._descriptor)  # closing our only descriptor of the file drops the flock
            self._descriptor = None


def try_hold(folder: Path, name: str, fingerprint: str) -> KeyLock | str:
    """Hold key ``name`` (a 64-digit hex hash); if a request holds it already, return that request's fingerprint."""
    descriptor = _open(folder / _bucket(name))
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                note = os.pread(descriptor, NOTE_SIZE, 0)
                if note != _EMPTY and note[:64].decode(errors="replace") == name:
                    os.close(descriptor)
                    return _fingerprint(note)
                if time.monotonic() > deadline:  # another key held this long, or a holder that never wrote
                    raise TimeoutError(f"key lock bucket {_bucket(name)} stayed busy") from None
                time.sleep(0.001)  # another key in this bucket, or a holder about to write its note
                continue
            os.pwrite(descriptor, f"{name}{fingerprint}".encode().ljust(NOTE_SIZE, b"\0")[:NOTE_SIZE], 0)
            return KeyLock(descriptor)
    except BaseException:
        os.close(descriptor)
        raise


def holders_fingerprint(folder: Path, name: str) -> str | None:
    """Return the fingerprint of the request holding key ``name``, or ``None`` if none does."""
    try:
        descriptor = os.open(folder / _bucket(name), os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        note = os.pread(descriptor, NOTE_SIZE, 0)
        if note[:64].decode(errors="replace") != name:
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _fingerprint(note)
        return None  # a note left by a holder that crashed: nobody holds the key
    finally:
        os.close(descriptor)


def _fingerprint(note: bytes) -> str:
    return note[64:].rstrip(b"\0").decode(errors="replace")


def _bucket(name: str) -> str:
    return f"{int(name[:8], 16) % BUCKETS:03d}"


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
