# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Configuration (admin): issuers, counters, series, the fee catalogue (users and tokens: ``einvoice.web.api.users``).

Everyone signed in may read counters, series and fees (a cashier picks from them); only admins change them.
"""

from __future__ import annotations

import copy
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from einvoice.domain.kinds import DocumentKind
from einvoice.domain.roles import STAFF
from einvoice.jsondoc.fields import Amount, TaxCode, Text
from einvoice.jsondoc.parties import IssuerFieldsSchema
from einvoice.services import catalogue
from einvoice.storage.schema import counters, fees, issuers, series
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.idempotent import idempotent
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime

blp = Blueprint("admin", __name__, url_prefix=PREFIX, description="Configuration")
_ID = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
_OPTIONAL_ID = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))


class IssuerIn(IssuerFieldsSchema):
    """An issuer (its fields as documents name it, with the XSD's limits) and its signer configuration."""

    provider_tax_code = TaxCode()
    # The managing tax office and the place, as error notices 04/SS name them (MCQT, TCQT, DDanh).
    tax_office_code = Text(max_length=5, allow_none=True)
    tax_office_name = Text(max_length=100, allow_none=True)
    province = Text(max_length=50, allow_none=True)
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
    kind = fields.String(required=True, validate=validate.OneOf([kind.value for kind in DocumentKind]))
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


def _for_caller(issuer: dict[str, Any]) -> dict[str, Any]:
    """Show where an issuer's key and password are kept only to admins: least privilege, server paths stay inside."""
    if current_actor().role == "admin":
        return issuer
    return {name: value for name, value in issuer.items() if not name.startswith("signer_")}


def _created(row: dict[str, Any], path: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    return row, 201, {"Location": f"{PREFIX}/{path}/{row['id']}"}


@blp.route("/issuers")
class Issuers(MethodView):
    """Issuers."""

    @blp.response(200, IssuerOut(many=True))
    @roles("finance", "admin")
    def get(self) -> list[dict[str, Any]]:
        """List issuers (finance sees no signer configuration)."""
        return [_for_caller(row) for row in catalogue.list_rows(runtime().engine, issuers)]

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
        """Return an issuer (finance sees no signer configuration)."""
        return _for_caller(catalogue.get_row(runtime().engine, issuers, issuer_id))

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
    @roles(*STAFF)
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
    @roles(*STAFF)
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
    @roles(*STAFF)
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
    @roles(*STAFF)
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
    @roles(*STAFF)
    def get(self, fee_id: int) -> dict[str, Any]:
        """Return a fee."""
        return catalogue.get_row(runtime().engine, fees, fee_id)

    @blp.response(200, FeeOut)
    @roles("admin")
    @blp.arguments(FeePatch)
    def patch(self, data: dict[str, Any], fee_id: int) -> dict[str, Any]:
        """End a fee's validity."""
        return catalogue.end_fee(runtime().engine, fee_id, data["effective_to"])
