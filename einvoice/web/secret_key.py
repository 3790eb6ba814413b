"""The key that signs session cookies: configured in production, random per instance in development.

Production reads ``EINVOICE_SECRET_KEY`` and refuses to start without it (see ``einvoice.web.runtime``). Development
needs no configuration: on the first request a random key is written to ``secret_key`` in the data folder (mode 0600)
and every later start, and every worker, reads the same one. A key that anybody could know or guess — the fixed
development value of earlier versions, anything short, one character repeated, a short pattern repeated — is refused
wherever it is configured, because whoever holds the key can sign a cookie for any user.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

#: The fixed development key of versions before 0003: it is public (it was in the code), hence refused everywhere.
OLD_DEVELOPMENT_KEY = "einvoice-development-secret-key-not-for-production"
KEY_FILE = "secret_key"
MIN_LENGTH = 32
#: Estimated from the length and the alphabet actually used; 32 random URL-safe characters carry ~190 bits.
MIN_BITS = 128


def weakness(key: str) -> str | None:
    """Return why ``key`` is too weak to sign sessions, or ``None`` if it will do."""
    if key == OLD_DEVELOPMENT_KEY:
        return "it is the published development key of earlier versions"
    if len(key) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if re.fullmatch(r"(.+?)\1+", key, flags=re.DOTALL):
        return "it is a short pattern repeated"
    distinct = len(set(key))
    if distinct < 2 or len(key) * math.log2(distinct) < MIN_BITS:
        return "it uses too few different characters"
    return None


def instance_key(data_dir: Path) -> str:
    """Return this instance's development key from ``data_dir``, creating it on first use.

    Written to a temporary file and linked into place, so that two workers starting together agree on one key: the
    loser of the race reads the winner's file.
    """
    path = data_dir / KEY_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    fresh = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(fresh, path)
    finally:
        fresh.unlink()
    return path.read_text(encoding="ascii").strip()


def ensure_key(app: Flask) -> None:
    """Give a development app without a configured key its instance key (production is refused elsewhere)."""
    if app.config.get("SECRET_KEY") or app.config["ENV"] == "production":
        return
    app.config["SECRET_KEY"] = instance_key(Path(app.config["DATA_DIR"]))


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the development key made on the first request that needs one.

    The first request, not ``create_app``: building an app touches no disk. Opening the session is the first thing a
    request does, before any view or extension reads the key.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Make sure the app has its key, then read the session cookie."""
        ensure_key(app)
        return super().open_session(app, request)

    def get_signing_serializer(self, app: Flask) -> Any:
        """Sign nothing with a key that :func:`weakness` refuses: such a session is no session."""
        key = app.secret_key
        if not key or weakness(str(key)) is not None:
            return None
        return super().get_signing_serializer(app)
