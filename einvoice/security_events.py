"""Security events for a monitoring centre: one table of every event, logged as JSON with ECS field names.

Each event is one line on the ``einvoice.security`` logger, shaped by the Elastic Common Schema so that a SIEM maps it
without a custom parser::

    {"time": "…", "level": "WARNING", "logger": "einvoice.security", "message": "login_failed",
     "event": {"kind": "event", "action": "login_failed", "category": ["authentication"], "type": ["start"],
               "outcome": "failure", "severity": 3},
     "user": {"name": "thu.ngan"}, "source": {"ip": "203.0.113.7"}, "trace": {"id": "<request id>"},
     "http": {"request": {"method": "POST"}}, "url": {"path": "/api/v1/session"}, "einvoice": {…details…}}

:data:`EVENTS` is the only list of events: logging a name that is not in it is an error, and the README's table of
events and alerts is generated from it (a test keeps them equal). Details specific to an event go under
``einvoice``; nothing secret is logged (no password, token or cookie).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.wrappers import Response

security_log = logging.getLogger("einvoice.security")


@dataclass(frozen=True)
class EventSpec:
    """What an event is (ECS categorisation), how grave, and what a monitoring centre should do with it."""

    category: str
    type: str
    outcome: str  # success | failure | unknown
    severity: int  # 1 (information) … 5 (critical)
    meaning: str
    alert: str


EVENTS: dict[str, EventSpec] = {
    "login_succeeded": EventSpec(
        "authentication", "start", "success", 1, "a user signed in", "none; baseline of who signs in from where"
    ),
    "login_failed": EventSpec(
        "authentication",
        "start",
        "failure",
        3,
        "a sign-in with a wrong user name or password",
        "more than 20 per `source.ip` or 10 per `user.name` within 5 minutes: password guessing",
    ),
    "login_throttled": EventSpec(
        "authentication",
        "start",
        "failure",
        4,
        "sign-ins from an address or for an account are being slowed down after repeated failures",
        "any: an attack in progress, or a cashier who forgot the password",
    ),
    "session_ended": EventSpec(
        "session",
        "end",
        "failure",
        2,
        "a session cookie was refused: idle or too old (`einvoice.reason`), or ended by logout, a new password, "
        "a new role or disabling",
        "many per `source.ip` for users who did not log out: stolen cookies being replayed",
    ),
    "bad_token": EventSpec(
        "authentication",
        "access",
        "failure",
        3,
        "an API request with an unknown, revoked or expired token",
        "more than 10 per `source.ip` within 5 minutes: a leaked or guessed token being tried",
    ),
    "token_used": EventSpec(
        "authentication", "access", "success", 1, "an API token was used", "a token used from a new `source.ip`"
    ),
    "forbidden": EventSpec(
        "iam",
        "denied",
        "failure",
        3,
        "a signed-in user asked for something their role does not allow",
        "more than 5 per `user.name` within 10 minutes: an account probing beyond its role",
    ),
    "rate_limited": EventSpec(
        "web",
        "denied",
        "failure",
        2,
        "a client exceeded a rate limit (public lookup pages, sign-in)",
        "sustained for 10 minutes from one `source.ip`: scraping or enumeration of lookup codes",
    ),
    "admin_change": EventSpec(
        "configuration",
        "change",
        "success",
        3,
        "an administrator changed users, tokens, issuers, series, counters or fees",
        "any outside office hours, or by an unexpected `user.name`",
    ),
    "integrity_failure": EventSpec(
        "database",
        "error",
        "failure",
        5,
        "stored history does not verify: an audit chain, a document hash or a stored signature",
        "any, at once: stored documents were edited outside the service, or the storage is damaged",
    ),
}


def security_event(action: str, **details: Any) -> None:
    """Log the security event ``action`` (a key of :data:`EVENTS`) with the request's context and ``details``."""
    spec = EVENTS.get(action)
    if spec is None:
        raise ValueError(f"unknown security event {action!r}: add it to einvoice.security_events.EVENTS")
    entry: dict[str, Any] = {
        "event": {
            "kind": "event",
            "action": action,
            "category": [spec.category],
            "type": [spec.type],
            "outcome": spec.outcome,
            "severity": spec.severity,
        }
    }
    username = details.pop("username", None)
    if has_request_context():
        actor = g.get("actor")
        username = str(actor.username) if actor is not None else username
        entry["source"] = {"ip": request.remote_addr}
        entry["trace"] = {"id": g.get("request_id")}
        entry["http"] = {"request": {"method": request.method}}
        entry["url"] = {"path": request.path}
    if username is not None:
        entry["user"] = {"name": str(username)[:80]}
    if details:
        entry["einvoice"] = details
    level = logging.INFO if spec.outcome == "success" and spec.severity < 3 else logging.WARNING
    security_log.log(logging.CRITICAL if spec.severity >= 5 else level, action, extra=entry)


#: Blueprints whose successful writes are administrators' changes.
_ADMIN_BLUEPRINTS = frozenset({"admin", "users"})
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask) -> None:
    """Log the events that every request may raise: rate-limit trips, token use, administrators' changes."""

    @app.after_request
    def _request_events(response: Response) -> Response:
        if response.status_code == 429:
            security_event("rate_limited")
        elif response.status_code < 400 and g.get("actor") is not None:
            if request.headers.get("Authorization"):
                security_event("token_used")
            if request.blueprint in _ADMIN_BLUEPRINTS and request.method in _WRITES:
                security_event("admin_change", status=response.status_code)
        return response


def events_table() -> str:
    """Return the Markdown table of every event, for the README."""
    lines = ["| `event.action` | ECS category / type / outcome | severity | meaning | alert on |", "| --- " * 5 + "|"]
    for action, spec in EVENTS.items():
        ecs = f"{spec.category} / {spec.type} / {spec.outcome}"
        lines.append(f"| `{action}` | {ecs} | {spec.severity} | {spec.meaning} | {spec.alert} |")
    return "\n".join(lines)
