"""Who is calling: an API token (``Authorization: Bearer …``) or a session cookie set by ``POST /api/v1/session``.

Roles: a cashier issues on their own counter's series and sees their own documents; finance reads everything;
admin manages configuration and users; anonymous callers reach nothing under ``/api/v1`` but the OpenAPI document
and the login. Each API view names its roles with :func:`roles`; the role matrix test reads them from there too.
Session cookies are ``HttpOnly``, ``SameSite=Lax`` and, in production, ``Secure`` (settings in ``create_app``), and the
API reads only JSON bodies, which a cross-site form cannot send, so a session cannot be ridden by another site.

A session records its user, the user's session generation, when it began and when it was last used. It ends when the
generation moves on (logout, new password, new role or counter, disabled: see ``einvoice.services.accounts``), after
``EINVOICE_SESSION_IDLE_MINUTES`` unused, and ``EINVOICE_SESSION_MAX_HOURS`` after its login whatever happens. Use
:func:`start_session` and :func:`end_session` to log in and out, from any page or endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, g, request, session

from einvoice.domain.roles import ROLES
from einvoice.services.accounts import actor_for_session, actor_for_token, end_sessions, session_generation
from einvoice.services.issuing import Actor
from einvoice.web.logging import security_event
from einvoice.web.runtime import runtime, settings_of

F = TypeVar("F", bound=Callable[..., Any])
API_PREFIX = "/api/v1"


def current_actor() -> Actor:
    """Return the authenticated caller (only inside views guarded by :func:`roles`)."""
    actor = g.get("actor")
    if actor is None:
        abort(401)
    return cast(Actor, actor)


def roles(*allowed: str) -> Callable[[F], F]:
    """Let only callers with one of ``allowed`` roles through: 401 if anonymous, 403 if another role."""
    unknown = set(allowed) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            actor = g.get("actor")
            if actor is None:
                abort(401, description="authentication required: a Bearer token or a session")
            if actor.role not in allowed:
                security_event("forbidden", role=actor.role, allowed=list(allowed))
                abort(403, description=f"this needs one of the roles {', '.join(allowed)}")
            return view(*args, **kwargs)

        guarded.einvoice_roles = allowed  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorate


#: ``seen_at`` is refreshed at most this often (seconds): otherwise every answer would carry a new cookie.
_SEEN_PRECISION = 60


def start_session(actor: Actor) -> None:
    """Log ``actor`` in: a fresh session cookie recording the user's current session generation."""
    rt = runtime()
    now = int(rt.now().timestamp())
    session.clear()
    session.update(
        user_id=actor.user_id,
        generation=session_generation(rt.engine, cast(int, actor.user_id)),
        login_at=now,
        seen_at=now,
    )
    g.actor = actor


def end_session(actor: Actor) -> None:
    """Log ``actor`` out of every session, on every device, and clear this one's cookie."""
    end_sessions(runtime().engine, cast(int, actor.user_id))
    session.clear()


def session_actor() -> Actor | None:
    """Return the user of the request's session if it still holds; clear it if it has ended."""
    if "user_id" not in session:
        return None
    user_id, generation = session.get("user_id"), session.get("generation")
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if not all(isinstance(value, int) for value in (user_id, generation, login_at, seen_at)):
        session.clear()  # a cookie of an earlier version, or not ours
        return None
    rt = runtime()
    now = int(rt.now().timestamp())
    settings = settings_of()
    idle, longest = settings.session_idle_minutes * 60, settings.session_max_hours * 3600
    if now - cast(int, seen_at) > idle or now - cast(int, login_at) > longest:
        security_event("session_ended", user_id=user_id, reason="timeout")
        session.clear()
        return None
    actor = actor_for_session(rt.engine, cast(int, user_id), cast(int, generation))
    if actor is None:
        security_event("session_ended", user_id=user_id, reason="ended")
        session.clear()
        return None
    if now - cast(int, seen_at) >= _SEEN_PRECISION:
        session["seen_at"] = now
    return actor


def _load_actor() -> None:
    g.actor = None
    if not request.path.startswith(API_PREFIX):
        return
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        rt = runtime()
        actor = actor_for_token(rt.engine, token.strip(), rt.now()) if scheme.lower() == "bearer" and token else None
        if actor is None:
            security_event("bad_token")
            abort(401, description="the token is unknown, expired, revoked, or not a Bearer token")
        g.actor = actor
        return
    g.actor = session_actor()


def init_app(app: Flask) -> None:
    """Resolve the caller before each request; send 401s with the Bearer challenge."""
    app.before_request(_load_actor)

    @app.after_request
    def _challenge(response: Any) -> Any:
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="einvoice"'
        return response
