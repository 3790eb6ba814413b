"""The gunicorn worker ``scripts/serve.sh`` runs: gunicorn's own answers carry our security headers too.

gunicorn answers some requests itself, before the app sees them: a request line over ``--limit-request-line`` (414),
headers over ``--limit-request-field_size`` or ``--limit-request-fields`` (431), a malformed request (400). Those
answers are written by ``gunicorn.util.write_error`` straight to the socket with three headers of its own. This
worker hands ``handle_error`` a socket that inserts the security headers after the status line, so that every
answer of the service, the app's or the server's, carries them.
"""

from __future__ import annotations

import socket
from typing import Any

from gunicorn.workers.sync import SyncWorker

from einvoice.web.app import SECURITY_HEADERS

_HEADERS = "".join(f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items()).encode("latin-1")


class _HeaderedSocket:
    """A client socket whose one ``sendall`` (the whole error answer) gains the security headers."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def sendall(self, data: bytes) -> None:
        """Send ``data`` with the security headers inserted after its status line."""
        status, newline, rest = data.partition(b"\r\n")
        self._sock.sendall(status + newline + _HEADERS + rest if newline else data)


class HardenedWorker(SyncWorker):  # type: ignore[misc]  # gunicorn ships no type information
    """gunicorn's synchronous worker, whose own error answers carry the security headers."""

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        """Answer as gunicorn does, through a socket that adds the security headers."""
        super().handle_error(req, _HeaderedSocket(client), addr, exc)
