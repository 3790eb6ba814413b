"""Per-key lock files: held across processes, freed when the holder dies, keys sharing a file wait for each other."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from einvoice.storage import keylocks
from einvoice.storage.engine import make_engine, sqlite_url

_HOLDER = """
import sys
from pathlib import Path
from einvoice.storage import keylocks
lock = keylocks.try_hold(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
assert isinstance(lock, keylocks.KeyLock)
print("held", flush=True)
sys.stdin.readline()
lock.release()
"""


def _name(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _same_bucket_as(name: str) -> str:
    """Return another key name that falls in the same lock file as ``name``."""
    for number in range(100_000):
        other = _name(f"other-{number}")
        if other != name and keylocks._bucket(other) == keylocks._bucket(name):
            return other
    raise AssertionError("no key found in the same bucket")


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Start another process that holds key "a" with fingerprint "f1" until told (or killed)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path), _name("a"), "f1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    yield process
    process.kill()
    process.communicate(timeout=10)  # closes the pipes too


def test_folder_only_for_an_sqlite_file(tmp_path: Path) -> None:
    """The lock folder sits beside an SQLite file; in-memory SQLite and PostgreSQL have none."""
    assert keylocks.folder_for(make_engine(sqlite_url(tmp_path))) == tmp_path / "einvoice.sqlite3-keys"
    assert keylocks.folder_for(make_engine("sqlite://")) is None
    assert keylocks.folder_for(make_engine("postgresql+psycopg://localhost/none")) is None


def test_another_process_holding_the_key_is_seen(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    """While another process holds a key, taking it returns that holder's fingerprint; afterwards it is free."""
    assert keylocks.try_hold(tmp_path, _name("a"), "f2") == "f1"
    assert keylocks.holders_fingerprint(tmp_path, _name("a")) == "f1"
    assert keylocks.holders_fingerprint(tmp_path, _name("b")) is None
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(timeout=10)
    assert keylocks.holders_fingerprint(tmp_path, _name("a")) is None
    lock = keylocks.try_hold(tmp_path, _name("a"), "f2")
    assert isinstance(lock, keylocks.KeyLock)
    lock.release()


def test_a_crashed_holder_frees_the_key(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    """A holder killed outright (no clean-up) leaves the key free at once: the kernel drops its lock."""
    holder.kill()
    holder.wait(timeout=10)
    assert keylocks.holders_fingerprint(tmp_path, _name("a")) is None
    lock = keylocks.try_hold(tmp_path, _name("a"), "f2")
    assert isinstance(lock, keylocks.KeyLock)
    lock.release()
    lock.release()  # a second release does nothing


def test_threads_of_one_process_exclude_each_other(tmp_path: Path) -> None:
    """Each request opens the file itself, so two threads of one worker see each other's key."""
    lock = keylocks.try_hold(tmp_path, _name("a"), "f1")
    assert isinstance(lock, keylocks.KeyLock)
    seen: list[keylocks.KeyLock | str] = []
    thread = threading.Thread(target=lambda: seen.append(keylocks.try_hold(tmp_path, _name("a"), "f1")))
    thread.start()
    thread.join(timeout=10)
    assert seen == ["f1"]
    lock.release()


def test_another_key_in_the_same_file_waits_its_turn(tmp_path: Path) -> None:
    """A key sharing the lock file with a key in flight is not refused: it waits, then holds its own."""
    first = _name("a")
    second = _same_bucket_as(first)
    lock = keylocks.try_hold(tmp_path, first, "f1")
    assert isinstance(lock, keylocks.KeyLock)
    took = threading.Event()
    result: list[keylocks.KeyLock | str] = []

    def take() -> None:
        result.append(keylocks.try_hold(tmp_path, second, "f2"))
        took.set()

    thread = threading.Thread(target=take)
    thread.start()
    assert not took.wait(timeout=0.05)  # still waiting: the file is held (by another key)
    lock.release()
    thread.join(timeout=10)
    assert len(result) == 1
    assert isinstance(result[0], keylocks.KeyLock)
    assert keylocks.holders_fingerprint(tmp_path, second) == "f2"
    assert keylocks.holders_fingerprint(tmp_path, first) is None
    result[0].release()
