# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Session login for the web pages: ``POST /api/v1/session`` (log in), ``GET`` (who am I), ``DELETE`` (log out)."""

from __future__ import annotations

import math
from typing import Any

from flask import abort, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import TooManyRequests

from einvoice.domain.roles import STAFF
from einvoice.services import throttle
from einvoice.services.accounts import authenticate
from einvoice.web.api.base import PREFIX, Blueprint
from einvoice.web.auth import current_actor, end_session, roles, start_session
from einvoice.web.logging import security_event
from einvoice.web.runtime import runtime

blp = Blueprint("session", __name__, url_prefix=PREFIX, description="Log in and out (session cookie)")


class LoginIn(Schema):
    """Credentials."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class WhoAmI(Schema):
    """The logged-in user."""

    user_id = fields.Integer()
    username = fields.String()
    full_name = fields.String(allow_none=True)
    role = fields.String()
    counter_id = fields.Integer(allow_none=True)


def _me() -> dict[str, Any]:
    actor = current_actor()
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "full_name": actor.full_name,
        "role": actor.role,
        "counter_id": actor.counter_id,
    }


@blp.route("/session")
class Session(MethodView):
    """The caller's session."""

    @blp.arguments(LoginIn)
    @blp.response(200, WhoAmI)
    @blp.alt_response(429, description="Too many failed logins: wait the seconds in Retry-After")
    @blp.doc(security=[])
    def post(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """Log in with username and password; sets the session cookie. (Not idempotency-keyed: it creates no record.)

        Failed logins slow down further attempts on the same account and from the same address (429 with
        ``Retry-After``); they never lock an account.
        """
        rt = runtime()
        username = credentials["username"]
        keys = throttle.login_keys(username, request.remote_addr)
        wait = throttle.wait_before_login(rt.engine, keys, rt.now())
        if wait:
            seconds = math.ceil(wait.total_seconds())
            security_event("login_throttled", username=username[:80], retry_after=seconds)
            raise TooManyRequests("too many failed logins: try again later", retry_after=seconds)
        actor = authenticate(rt.engine, username, credentials["password"])
        if actor is None:
            throttle.record_failure(rt.engine, keys, rt.now())
            security_event("login_failed", username=username[:80])
            abort(401, description="wrong username or password")
        throttle.record_success(rt.engine, username)
        start_session(actor)
        security_event("login_succeeded")
        return _me()

    @blp.response(200, WhoAmI)
    @roles(*STAFF)
    def get(self) -> dict[str, Any]:
        """Return who is logged in."""
        return _me()

    @blp.response(204)
    @roles(*STAFF)
    def delete(self) -> None:
        """Log out: ends every session of this user, on every device."""
        end_session(current_actor())
