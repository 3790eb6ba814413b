"""A bound on checking uploads, so that verifying files never takes the workers that issue documents.

Verifying a large upload is CPU work (a 5 MB file took 2 s) and a gunicorn worker is busy for all of it. Checks
therefore take a *slot*: at most ``PUBLIC_CHECK_CONCURRENCY`` (default 1) run at once in the whole service, and at
most one per client address. A request that finds no free slot is answered at once (503 or 429 with
``Retry-After``) instead of waiting, so a flood of uploads costs each worker a few milliseconds per request, never
the seconds of a check. Slots are ``flock`` locks on files under ``<DATA_DIR>/check-slots/``: shared by every worker
on the machine, and released by the kernel when a worker dies. Addresses are hashed into 1024 files; two addresses
that share one merely share their limit.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from einvoice.web.runtime import settings_of

FOLDER = "check-slots"
_ADDRESS_FILES = 1024


class NoSlot(Exception):
    """No check may start now: ``why`` is ``"busy"`` (the service's slots are taken) or ``"address"``."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class CheckSlots:
    """``size`` slots for the whole service and one per client address, as non-blocking file locks in ``folder``."""

    def __init__(self, folder: Path, size: int) -> None:
        self.folder = folder
        self.size = max(1, size)

    @contextmanager
    def taken(self, client: str | None) -> Iterator[None]:
        """Hold a slot (and the client's, when given) for the duration, or raise :class:`NoSlot` at once."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with ExitStack() as held:
            if client is not None:
                digest = int.from_bytes(hashlib.sha256(client.encode()).digest()[:4], "big") % _ADDRESS_FILES
                if not self._lock(held, f"address-{digest}.lock"):
                    raise NoSlot("address")
            if not any(self._lock(held, f"slot-{index}.lock") for index in range(self.size)):
                raise NoSlot("busy")
            yield

    def _lock(self, held: ExitStack, name: str) -> bool:
        descriptor = os.open(self.folder / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        held.callback(os.close, descriptor)  # closing the descriptor releases the lock
        return True


def configured_slots() -> CheckSlots:
    """Return the slots of the current app: under its data folder, ``PUBLIC_CHECK_CONCURRENCY`` of them."""
    settings = settings_of()
    return CheckSlots(settings.data_dir / FOLDER, settings.public_check_concurrency)
