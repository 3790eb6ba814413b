"""Who is calling: an API token (``Authorization: Bearer …``) or a session cookie set by ``POST /api/v1/session``.

Roles: a cashier issues on their own counter's series and sees their own documents; finance reads everything;
admin manages configuration and users; anonymous callers reach nothing under ``/api/v1`` but the OpenAPI document
and the login. Each API view names its roles with :func:`roles`; the role matrix test reads them from there too.
Session cookies are ``HttpOnly`` and ``SameSite=Lax``, and the API reads only JSON bodies, which a cross-site form
cannot send, so a session cannot be ridden by another site.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, g, request, session

from einvoice.domain.roles import ROLES
from einvoice.services.accounts import actor_for_token, actor_for_user
from einvoice.services.issuing import Actor
from einvoice.web.logging import security_event
from einvoice.web.runtime import runtime

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


def _load_actor() -> None:
    g.actor = None
    if not request.path.startswith(API_PREFIX):
        return
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        actor = actor_for_token(runtime().engine, token.strip()) if scheme.lower() == "bearer" and token else None
        if actor is None:
            security_event("bad_token")
            abort(401, description="the token is unknown, revoked, or not a Bearer token")
        g.actor = actor
        return
    user_id = session.get("user_id")
    if isinstance(user_id, int):
        g.actor = actor_for_user(runtime().engine, user_id)
        if g.actor is None:
            session.clear()


def init_app(app: Flask) -> None:
    """Resolve the caller before each request; send 401s with the Bearer challenge."""
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # Production sits behind HTTPS (a reverse proxy): the cookie never travels in clear.
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config["ENV"] == "production")
    app.before_request(_load_actor)

    @app.after_request
    def _challenge(response: Any) -> Any:
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="einvoice"'
        return response
