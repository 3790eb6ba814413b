"""Structured logs: one JSON line per request, and one per security event, through the ``logging`` module.

Request lines (logger ``einvoice.request``) carry method, path, status, duration in milliseconds, user and request
id; security events (logger ``einvoice.security``) have their own table and ECS shape in
:mod:`einvoice.security_events`. The request id is the client's ``X-Request-Id`` when it is short and plain, else a
fresh one, and is echoed in the response.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request
from flask.wrappers import Response

from einvoice import security_events as events

request_log = logging.getLogger("einvoice.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, and every ``extra`` field."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stderr`` is at the time of writing (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write the record to the current standard error."""
        self.stream = sys.stderr
        super().emit(record)


def _configure_handlers() -> None:
    logger = logging.getLogger("einvoice")
    if any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _user() -> str | None:
    actor = g.get("actor")
    return None if actor is None else str(actor.username)


def context() -> dict[str, Any]:
    """Return the request's context for a log line."""
    return {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": request.path,
        "user": _user(),
        "remote_addr": request.remote_addr,
    }


def security_event(event: str, **fields: Any) -> None:
    """Log a security event; see :mod:`einvoice.security_events` for the events and their JSON shape."""
    events.security_event(event, **fields)


def init_app(app: Flask) -> None:
    """Attach request ids and the per-request log line to ``app``."""
    _configure_handlers()

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)

    @app.after_request
    def _log(response: Response) -> Response:
        duration = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        response.headers["X-Request-Id"] = g.get("request_id", "")
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={**context(), "status": response.status_code, "duration_ms": round(duration, 2)},
        )
        return response
