# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Configuration (admin): issuers, counters, series, the fee catalogue, users and their API tokens.

Everyone signed in may read counters, series and fees (a cashier picks from them); only admins change them.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from einvoice.services import accounts, catalogue
from einvoice.storage.schema import counters, fees, issuers, series, users
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.idempotent import idempotent
from einvoice.web.api.schemas import Amount, Text
from einvoice.web.auth import roles
from einvoice.web.runtime import runtime

blp = Blueprint("admin", __name__, url_prefix=PREFIX, description="Configuration and users")
ANYONE = ("cashier", "finance", "admin")
_ID = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
_OPTIONAL_ID = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))


class IssuerIn(Schema):
    """An issuer and its signer configuration."""

    name = Text(required=True)
    tax_code = Text(required=True, max_length=14)
    address = Text(required=True)
    phone = Text(max_length=20)
    email = Text(max_length=200)
    bank_account = Text(max_length=40)
    bank_name = Text()
    budget_unit_code = Text(max_length=7)
    provider_tax_code = Text(max_length=14)
    signer_p12_path = Text(max_length=1000)
    signer_password_file = Text(max_length=1000)
    signer_password_env = Text(max_length=100)


def _optional(field: fields.Field[Any]) -> fields.Field[Any]:
    loose = copy.copy(field)
    loose.required = False
    return loose


IssuerPatch = Schema.from_dict(
    {name: _optional(field) for name, field in IssuerIn._declared_fields.items()}, name="IssuerPatch"
)


class IssuerOut(IssuerIn):
    """A stored issuer."""

    id = fields.Integer()
    created_at = fields.DateTime()


class CounterIn(Schema):
    """A counter (issuing point)."""

    issuer_id = _ID
    name = Text(required=True, max_length=200)


class CounterOut(CounterIn):
    """A stored counter."""

    id = fields.Integer()
    active = fields.Boolean()


class SeriesIn(Schema):
    """A series: kind, template and symbol (the symbol carries the year)."""

    issuer_id = _ID
    kind = fields.String(required=True, validate=validate.OneOf(["invoice", "receipt"]))
    template = Text(required=True, max_length=5)
    symbol = Text(required=True, max_length=6)
    counter_id = _OPTIONAL_ID


class SeriesPatch(Schema):
    """Close/reopen a series or move it to another counter."""

    active = fields.Boolean()
    counter_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1))


class SeriesOut(SeriesIn):
    """A stored series and its next number."""

    id = fields.Integer()
    year = fields.Integer()
    next_number = fields.Integer()
    last_issue_date = fields.Date(allow_none=True)
    active = fields.Boolean()


class FeeIn(Schema):
    """A fee of the catalogue."""

    issuer_id = _ID
    code = Text(required=True, max_length=40)
    name = Text(required=True)
    legal_basis = Text(required=True)
    unit = Text(max_length=40)
    amount = Amount(required=True)
    per_unit = fields.Boolean(load_default=False)
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(allow_none=True)


class FeePatch(Schema):
    """End a fee's validity (amounts never change in place: add a new fee from a new date)."""

    effective_to = fields.Date(required=True, allow_none=True)


class FeeOut(FeeIn):
    """A stored fee."""

    id = fields.Integer()


class FeeQuery(Schema):
    """Which fees to list."""

    issuer_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    on = fields.Date()


class UserIn(Schema):
    """A user."""

    username = Text(required=True, max_length=80, validators=[validate.Regexp(r"^[A-Za-z0-9._-]+$")])
    full_name = Text(required=True, max_length=200)
    role = fields.String(required=True, validate=validate.OneOf(accounts.ROLES))
    counter_id = _OPTIONAL_ID
    password = fields.String(validate=validate.Length(min=10, max=1024), load_only=True)


class UserPatch(Schema):
    """Change a user."""

    full_name = Text(max_length=200)
    role = fields.String(validate=validate.OneOf(accounts.ROLES))
    counter_id = _OPTIONAL_ID
    active = fields.Boolean()
    password = fields.String(validate=validate.Length(min=10, max=1024), load_only=True)


class UserOut(Schema):
    """A user, without secrets."""

    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    counter_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class TokenIn(Schema):
    """Name an API token."""

    name = Text(required=True, max_length=200)


class TokenOut(Schema):
    """An API token; ``token`` is shown only when it is created."""

    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    token = fields.String()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


def _created(row: dict[str, Any], path: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    return row, 201, {"Location": f"{PREFIX}/{path}/{row['id']}"}


@blp.route("/issuers")
class Issuers(MethodView):
    """Issuers."""

    @blp.response(200, IssuerOut(many=True))
    @roles("finance", "admin")
    def get(self) -> list[dict[str, Any]]:
        """List issuers."""
        return catalogue.list_rows(runtime().engine, issuers)

    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, IssuerOut)
    @roles("admin")
    @idempotent
    @blp.arguments(IssuerIn)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an issuer."""
        return _created(catalogue.create_issuer(runtime().engine, data), "issuers")


@blp.route("/issuers/<id:issuer_id>")
class Issuer(MethodView):
    """One issuer."""

    @blp.response(200, IssuerOut)
    @roles("finance", "admin")
    def get(self, issuer_id: int) -> dict[str, Any]:
        """Return an issuer."""
        return catalogue.get_row(runtime().engine, issuers, issuer_id)

    @blp.response(200, IssuerOut)
    @roles("admin")
    @blp.arguments(IssuerPatch)
    def patch(self, data: dict[str, Any], issuer_id: int) -> dict[str, Any]:
        """Change an issuer."""
        return catalogue.update_issuer(runtime().engine, issuer_id, data)


@blp.route("/counters")
class Counters(MethodView):
    """Counters."""

    @blp.response(200, CounterOut(many=True))
    @roles(*ANYONE)
    def get(self) -> list[dict[str, Any]]:
        """List counters."""
        return catalogue.list_rows(runtime().engine, counters)

    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, CounterOut)
    @roles("admin")
    @idempotent
    @blp.arguments(CounterIn)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a counter."""
        return _created(catalogue.create_counter(runtime().engine, data["issuer_id"], data["name"]), "counters")


@blp.route("/series")
class SeriesList(MethodView):
    """Series."""

    @blp.response(200, SeriesOut(many=True))
    @roles(*ANYONE)
    def get(self) -> list[dict[str, Any]]:
        """List series with their next numbers."""
        return catalogue.list_rows(runtime().engine, series)

    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, SeriesOut)
    @roles("admin")
    @idempotent
    @blp.arguments(SeriesIn)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a series, numbered from 1."""
        return _created(catalogue.create_series(runtime().engine, **data), "series")


@blp.route("/series/<id:series_id>")
class OneSeries(MethodView):
    """One series."""

    @blp.response(200, SeriesOut)
    @roles(*ANYONE)
    def get(self, series_id: int) -> dict[str, Any]:
        """Return a series."""
        return catalogue.get_row(runtime().engine, series, series_id)

    @blp.response(200, SeriesOut)
    @roles("admin")
    @blp.arguments(SeriesPatch)
    def patch(self, data: dict[str, Any], series_id: int) -> dict[str, Any]:
        """Close or reopen a series, or bind it to a counter."""
        return catalogue.update_series(runtime().engine, series_id, **data)


@blp.route("/fees")
class Fees(MethodView):
    """The fee catalogue."""

    @blp.response(200, FeeOut(many=True))
    @roles(*ANYONE)
    @blp.arguments(FeeQuery, location="query")
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the fees in force on a date (default: every fee ever)."""
        engine = runtime().engine
        if "on" in args:
            return catalogue.fees_in_force(engine, args.get("issuer_id"), args["on"])
        return catalogue.list_rows(engine, fees, **({"issuer_id": args["issuer_id"]} if "issuer_id" in args else {}))

    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, FeeOut)
    @roles("admin")
    @idempotent
    @blp.arguments(FeeIn)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a fee to the catalogue."""
        return _created(catalogue.create_fee(runtime().engine, data), "fees")


@blp.route("/fees/<id:fee_id>")
class Fee(MethodView):
    """One fee."""

    @blp.response(200, FeeOut)
    @roles(*ANYONE)
    def get(self, fee_id: int) -> dict[str, Any]:
        """Return a fee."""
        return catalogue.get_row(runtime().engine, fees, fee_id)

    @blp.response(200, FeeOut)
    @roles("admin")
    @blp.arguments(FeePatch)
    def patch(self, data: dict[str, Any], fee_id: int) -> dict[str, Any]:
        """End a fee's validity."""
        engine = runtime().engine
        start: date = catalogue.get_row(engine, fees, fee_id)["effective_from"]
        end = data["effective_to"]
        if end is not None and end < start:
            raise ValidationError({"effective_to": ["Ends before it starts."]})
        return catalogue.update_row(engine, fees, fee_id, data)


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
        return _created(accounts.create_user(runtime().engine, **data), "users")


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


@blp.route("/users/<id:user_id>/tokens", methods=["POST"])
@blp.response(201, TokenOut)
@roles("admin")
@blp.arguments(TokenIn)
def create_token(data: dict[str, Any], user_id: int) -> Any:
    """Create an API token acting as this user; the token is in this answer only.

    Not idempotency-keyed, on purpose: a stored answer would keep the token in clear. A duplicate is harmless
    (revoke it).
    """
    token, row = accounts.create_token(runtime().engine, user_id, data["name"])
    return {**row, "token": token}, 201


@blp.route("/tokens/<id:token_id>", methods=["DELETE"])
@blp.response(200, TokenOut)
@roles("admin")
def revoke_token(token_id: int) -> dict[str, Any]:
    """Revoke an API token."""
    return accounts.revoke_token(runtime().engine, token_id)
