"""The public pages' rate limit: one token bucket per client address, shared by every worker of the service.

gunicorn runs several worker processes; a bucket kept in each would let a client through once per worker (two
workers, twice the burst). The buckets live in a small SQLite file under the data folder instead
(``<DATA_DIR>/public-rate-limit.sqlite3``), which every worker on the machine opens: a token is taken in one short
``BEGIN IMMEDIATE`` transaction. The file is a cache, not data: losing it only refills every bucket. Several machines
behind one address would each count on their own. Settings: ``PUBLIC_RATE_PER_MINUTE`` (refill) and
``PUBLIC_RATE_BURST`` (bucket size).
"""

from __future__ import annotations

import itertools
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import cast

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.blueprints import BlueprintSetupState

from einvoice.web.runtime import settings_of

FILE_NAME = "public-rate-limit.sqlite3"
_EXTENSION = "einvoice.public.limiter"
_SCHEMA = "CREATE TABLE IF NOT EXISTS buckets (client TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL)"


class RateLimiter:
    """Token buckets per client: ``burst`` requests at once, refilled at ``per_minute``; shared through ``path``.

    Without a path the buckets live in memory, shared by the threads of this process only (tests). Every
    ``prune_every`` takings, the buckets that have refilled are forgotten: forgetting them changes nothing.
    """

    def __init__(
        self,
        path: Path | None,
        per_minute: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.time,
        prune_every: int = 1000,
    ) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self._path = path
        self._memory = f"file:einvoice-limits-{uuid.uuid4().hex}?mode=memory&cache=shared"
        self._clock = clock
        self._prune_every = prune_every
        self._local = threading.local()
        self._calls = itertools.count(1)
        self._keep_memory_alive = None if path else self._connect()

    def _connect(self) -> sqlite3.Connection:
        if self._path is None:
            connection = sqlite3.connect(self._memory, uri=True, isolation_level=None, check_same_thread=False)
        else:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self._path, timeout=2, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")  # a crash loses a few takings, never the file
        connection.execute(_SCHEMA)
        return connection

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def wait(self, client: str) -> float:
        """Take a token for ``client``; return 0 if it had one, else the seconds until it will."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            now = self._clock()
            row = connection.execute("SELECT tokens, at FROM buckets WHERE client = ?", (client,)).fetchone()
            tokens = float(self.burst) if row is None else min(self.burst, row[0] + max(0.0, now - row[1]) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            connection.execute(
                "INSERT INTO buckets (client, tokens, at) VALUES (?, ?, ?) "
                "ON CONFLICT (client) DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
                (client, tokens - 1 if not wait else tokens, now),
            )
            if next(self._calls) % self._prune_every == 0:
                connection.execute("DELETE FROM buckets WHERE tokens + (? - at) * ? >= ?", (now, self.rate, self.burst))
        finally:
            connection.execute("COMMIT")
        return wait

    def clients(self) -> int:
        """Return how many clients have a bucket (refilled ones may be forgotten)."""
        return int(self._connection().execute("SELECT count(*) FROM buckets").fetchone()[0])


def init_blueprint(bp: Blueprint) -> None:
    """Give every page of ``bp`` (its static files excepted) the service-wide limit."""
    bp.record_once(_install)
    bp.before_request(_limit)


def _install(state: BlueprintSetupState) -> None:
    settings = settings_of(cast(Flask, state.app))
    state.app.extensions[_EXTENSION] = RateLimiter(
        settings.data_dir / FILE_NAME, settings.public_rate_per_minute, settings.public_rate_burst
    )


def _limit() -> Response | None:
    if request.endpoint and request.endpoint.endswith(".static"):
        return None
    limiter: RateLimiter = current_app.extensions[_EXTENSION]
    try:
        wait = limiter.wait(request.remote_addr or "unknown")
    except sqlite3.Error:  # the limit is a guard, not a gate: a broken cache file must not close the pages
        current_app.logger.exception("public rate limit unavailable; request let through")
        return None
    if not wait:
        return None
    seconds = max(1, math.ceil(wait))
    body = render_template("public/rate_limited.html", seconds=seconds)
    return Response(body, 429, {"Retry-After": str(seconds)}, mimetype="text/html")
