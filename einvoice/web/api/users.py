# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Users and their API tokens (admin only): accounts, roles, passwords under the policy, tokens that expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from einvoice.domain.roles import ROLES
from einvoice.jsondoc.fields import Text
from einvoice.services import accounts, catalogue
from einvoice.storage.schema import users
from einvoice.web.api.base import IDEMPOTENCY_HEADER, MAX_ID, PREFIX, Blueprint
from einvoice.web.api.idempotent import idempotent
from einvoice.web.auth import roles
from einvoice.web.runtime import runtime, settings_of

blp = Blueprint("users", __name__, url_prefix=PREFIX, description="Users and their API tokens")
_OPTIONAL_ID = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_ID))


class UserIn(Schema):
    """A user."""

    username = Text(required=True, max_length=80, validators=[validate.Regexp(r"^[A-Za-z0-9._-]+$")])
    full_name = Text(required=True, max_length=100)  # HVTNThu: the cashier name printed on receipts
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    counter_id = _OPTIONAL_ID
    password = fields.String(validate=validate.Length(min=1, max=1024), load_only=True)  # policy: services.passwords


class UserPatch(Schema):
    """Change a user."""

    full_name = Text(max_length=100)
    role = fields.String(validate=validate.OneOf(ROLES))
    counter_id = _OPTIONAL_ID
    active = fields.Boolean()
    password = fields.String(validate=validate.Length(min=1, max=1024), load_only=True)  # policy: services.passwords


class UserOut(Schema):
    """A user, without secrets."""

    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    counter_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()
    demo = fields.Boolean(metadata={"description": "still has the password a first start printed"})


class TokenIn(Schema):
    """Name an API token, and say how long it lives."""

    name = Text(required=True, max_length=200)
    valid_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3650))


class TokenOut(Schema):
    """An API token; ``token`` is shown only when it is created."""

    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    token = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


@blp.route("/users")
class Users(MethodView):
    """Users."""

    @blp.response(200, UserOut(many=True))
    @roles("admin")
    def get(self) -> list[dict[str, Any]]:
        """List users."""
        return [accounts.public(row) for row in catalogue.list_rows(runtime().engine, users)]

    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, UserOut)
    @roles("admin")
    @idempotent
    @blp.arguments(UserIn)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user."""
        user = accounts.create_user(runtime().engine, **data)
        return user, 201, {"Location": f"{PREFIX}/users/{user['id']}"}


@blp.route("/users/<id:user_id>")
class User(MethodView):
    """One user."""

    @blp.response(200, UserOut)
    @roles("admin")
    def get(self, user_id: int) -> dict[str, Any]:
        """Return a user."""
        return accounts.public(catalogue.get_row(runtime().engine, users, user_id))

    @blp.response(200, UserOut)
    @roles("admin")
    @blp.arguments(UserPatch)
    def patch(self, data: dict[str, Any], user_id: int) -> dict[str, Any]:
        """Change a user (name, role, counter, active, password)."""
        return accounts.update_user(runtime().engine, user_id, data)


@blp.route("/users/<id:user_id>/tokens")
class Tokens(MethodView):
    """A user's API tokens."""

    @blp.response(200, TokenOut(many=True))
    @roles("admin")
    def get(self, user_id: int) -> list[dict[str, Any]]:
        """List the user's tokens: when each was made, expires, was last used (to the minute) or revoked."""
        return accounts.list_tokens(runtime().engine, user_id)

    @blp.response(201, TokenOut)
    @roles("admin")
    @blp.arguments(TokenIn)
    def post(self, data: dict[str, Any], user_id: int) -> Any:
        """Create an API token acting as this user; the token is in this answer only.

        It expires after ``valid_days`` (default ``EINVOICE_TOKEN_DAYS``, 365). Not idempotency-keyed, on purpose: a
        stored answer would keep the token in clear. A duplicate is harmless (revoke it).
        """
        rt = runtime()
        days = data.get("valid_days") or settings_of().token_days
        expires_at = rt.now() + timedelta(days=days)
        token, row = accounts.create_token(rt.engine, user_id, data["name"], expires_at=expires_at)
        return {**row, "token": token}, 201


@blp.route("/tokens/<id:token_id>", methods=["DELETE"])
@blp.response(200, TokenOut)
@roles("admin")
def revoke_token(token_id: int) -> dict[str, Any]:
    """Revoke an API token."""
    return accounts.revoke_token(runtime().engine, token_id)
