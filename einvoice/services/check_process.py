"""Checking uploads in a helper process at a low CPU priority, so that a check never takes the CPU issuing needs.

Checking an upload is CPU work (a 490 KB document takes 0.7 s, most of it validation); run in a gunicorn worker it
would take a core from the requests that issue documents. :class:`CheckProcess` hands each check to a child process
of its own (``python -m einvoice.services.check_process``), started on first use and kept for the next checks. The
child lowers its priority (``nice``, 10 by default: a tenth of a normal process's share of a busy core): when the CPU
is busy it goes to issuing first, and checks run on what is left. The worker that waits for a check uses no CPU
meanwhile; how many workers may wait at once is bounded by the check slots (:mod:`einvoice.web.checkslots`).

The child inherits no descriptor (not gunicorn's listening socket), dies with its parent (``PR_SET_PDEATHSIG``, and at
the end of its input), looks up what we issued through an engine of its own (reading only) and loads the trust store
once. Messages on the pipes are an 8-byte big-endian length and the bytes: first the pickled :class:`CheckConfig`,
then per check the uploaded XML as it came; the child answers with a pickle of ``(True, Check)`` or ``(False, error)``.
A check crosses without the signed lxml elements (``SignatureReport.signed_data``, which no page or answer reads);
certificates cross as DER. Only our own child's answers are unpickled, never anything a client sent.

Errors, raised by :meth:`CheckProcess.check`::

    CheckUnavailable        the check gave no verdict; ask the client to try again
    ├── CheckTimedOut       not done within the timeout (the child is stopped; the next check starts a new one)
    └── CheckFailed         the child died or failed (its traceback is in the service's error log)
"""

from __future__ import annotations

import dataclasses
import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
import traceback
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning

from einvoice.domain.errors import EInvoiceError

if TYPE_CHECKING:
    from einvoice.services.checking import Check

_LENGTH = struct.Struct(">Q")
#: The largest message either side accepts: an upload is at most 5 MiB, an answer far less.
_MAX_MESSAGE = 64 * 1024 * 1024


class CheckUnavailable(EInvoiceError, RuntimeError):
    """The check gave no verdict (timed out, or the helper process failed): the client may try again later."""


class CheckTimedOut(CheckUnavailable):
    """The check did not finish within the timeout."""


class CheckFailed(CheckUnavailable):
    """The helper process died or raised while checking."""


@dataclass(frozen=True)
class CheckConfig:
    """What the child needs to check like the app: the database, the trust folder, the mode, its priority."""

    database_url: str
    trust_dir: Path | None
    production: bool
    nice: int = 10
    #: Development roots (the local authority simulator's), trusted in development for documents we stored only.
    development_roots: tuple[Path, ...] = ()


class CheckProcess:
    """A helper process that checks uploads one at a time; started on first use, restarted after a failure."""

    def __init__(self, config: CheckConfig, *, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._child: subprocess.Popen[bytes] | None = None
        self._owner = os.getpid()
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """Return the child's process id while it runs (None before the first check or after a failure)."""
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    def check(self, xml: bytes) -> Check:
        """Check ``xml`` in the child; raise :class:`CheckUnavailable` when no verdict comes within the timeout."""
        with self._lock:
            deadline = time.monotonic() + self.timeout
            kept = self._kept()
            try:
                done, answer = self._ask(xml, deadline)
            except CheckFailed:
                if kept is None:
                    raise
                # The child kept from before may have died since its last check: once more, in a new one.
                done, answer = self._ask(xml, deadline)
        if not done:
            raise CheckFailed(f"the check process failed: {answer}")
        return answer  # type: ignore[no-any-return]  # the child sends a Check with done=True

    def close(self) -> None:
        """Stop the child, if any (it would also stop at the end of this process)."""
        with self._lock:
            self._stop()

    def _ask(self, xml: bytes, deadline: float) -> tuple[bool, Any]:
        try:
            child = self._kept() or self._start(deadline)
            _write_message(_pipe(child.stdin), xml, deadline)
            # S301: the bytes come from our own child, never from a client (see the module's docstring).
            answer: tuple[bool, Any] = pickle.loads(_read_message(_pipe(child.stdout), deadline))  # noqa: S301
        except TimeoutError as error:
            self._stop()
            raise CheckTimedOut(f"no verdict within {self.timeout:g} s") from error
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            self._stop()
            raise CheckFailed(f"the check process stopped: {error}") from error
        return answer

    def _kept(self) -> subprocess.Popen[bytes] | None:
        """Return the child started before, if it still runs."""
        if self._owner != os.getpid():  # forked with a child of the parent's: that pipe is the parent's
            self._child, self._owner = None, os.getpid()
        if self._child is not None and self._child.poll() is not None:
            self._stop()
        return self._child

    def _start(self, deadline: float) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", __name__, str(os.getpid())]
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)  # noqa: S603
        weakref.finalize(self, _end, child)
        os.set_blocking(_pipe(child.stdin).fileno(), False)  # a stopped child must not block the worker
        self._child = child
        _write_message(_pipe(child.stdin), pickle.dumps(self.config), deadline)
        return child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            _end(child)


def _pipe(pipe: IO[bytes] | None) -> IO[bytes]:
    assert pipe is not None  # the child's stdin and stdout are pipes, by construction
    return pipe


def _end(child: subprocess.Popen[bytes]) -> None:
    """Stop ``child`` now and reap it (its half-done check is worth nothing)."""
    if child.poll() is None:
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            pipe.close()


def _write_message(pipe: IO[bytes], data: bytes, deadline: float | None) -> None:
    """Write ``data`` framed by its length; past ``deadline`` (monotonic) raise :class:`TimeoutError`."""
    view = memoryview(_LENGTH.pack(len(data)) + data)
    descriptor = pipe.fileno()
    while view:
        if deadline is not None:
            _wait(descriptor, deadline, write=True)
        try:
            written = os.write(descriptor, view)
        except BlockingIOError:
            continue
        view = view[written:]


def _read_message(pipe: IO[bytes], deadline: float | None) -> bytes:
    """Read one framed message; raise :class:`EOFError` at the end of input, :class:`TimeoutError` past the deadline."""
    (length,) = _LENGTH.unpack(_read_exactly(pipe.fileno(), _LENGTH.size, deadline))
    if length > _MAX_MESSAGE:
        raise EOFError(f"message of {length} bytes refused")
    return _read_exactly(pipe.fileno(), length, deadline)


def _read_exactly(descriptor: int, size: int, deadline: float | None) -> bytes:
    chunks, missing = [], size
    while missing:
        if deadline is not None:
            _wait(descriptor, deadline, write=False)
        chunk = os.read(descriptor, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _wait(descriptor: int, deadline: float, *, write: bool) -> None:
    remaining = deadline - time.monotonic()
    watched = ([], [descriptor]) if write else ([descriptor], [])
    if remaining <= 0 or not any(select.select(*watched, [], remaining)[:2]):
        raise TimeoutError


# --- The child -----------------------------------------------------------------------------------------------------


def portable(check: Check) -> Check:
    """Return ``check`` without what cannot cross a pipe: the signed lxml elements of its signatures."""
    signatures = tuple(dataclasses.replace(s, signed_data=None) for s in check.report.signatures)
    return dataclasses.replace(check, report=dataclasses.replace(check.report, signatures=signatures))


class _Pickler(pickle.Pickler):
    """Pickles certificates as their DER bytes (cryptography's objects do not pickle)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, x509.Certificate):
            return _certificate, (obj.public_bytes(Encoding.DER),)
        return NotImplemented


def _certificate(der: bytes) -> x509.Certificate:
    """Read a certificate the child pickled as DER (its oddities are in the report already: read it quietly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate(der)


def _dumps(answer: tuple[bool, object]) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(answer)
    return buffer.getvalue()


def serve(parent_pid: int, source: IO[bytes], sink: IO[bytes]) -> None:
    """Lower this process's priority, then answer checks read from ``source`` until it ends."""
    from einvoice.processes import die_with_parent

    die_with_parent(parent_pid)
    # Imported at the worker's priority: once per child, and a low priority would stretch a start on a busy machine
    # past the first check's timeout.
    from einvoice.services.checking import check_document
    from einvoice.storage.engine import make_engine
    from einvoice.xmldoc.certinfo import TrustStore

    config: CheckConfig = pickle.loads(_read_message(source, None))  # noqa: S301  # sent by our own parent
    os.nice(config.nice)
    engine = make_engine(config.database_url)
    folder = config.trust_dir
    trust = TrustStore.from_directory(folder) if folder is not None and folder.is_dir() else None
    extra = [
        root
        for path in config.development_roots
        if path.is_file()
        for root in x509.load_pem_x509_certificates(path.read_bytes())
    ]
    stored_trust = TrustStore([*(trust.roots if trust is not None else ()), *extra]) if extra else trust
    while True:
        try:
            xml = _read_message(source, None)
        except EOFError:  # the worker is gone or closed us
            return
        try:
            check = check_document(engine, xml, trust=trust, production=config.production, stored_trust=stored_trust)
            answer = _dumps((True, portable(check)))
        except Exception:  # the worker must hear of any failure at once, not wait for its timeout
            traceback.print_exc()
            answer = _dumps((False, traceback.format_exc(limit=-1).strip()))
        _write_message(sink, answer, None)


def main() -> None:
    """The child's entry point: answers go to a private copy of stdout; what else writes there goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(int(sys.argv[1]), sys.stdin.buffer, answers)


if __name__ == "__main__":  # run as a module: pickle under the module's real name, not ``__main__``
    from einvoice.services import check_process

    check_process.main()
