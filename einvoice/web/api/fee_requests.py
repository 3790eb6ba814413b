# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Fee requests from the one-stop software: ``/fee-requests`` (create, idempotent by dossier code; read; cancel).

The dossier code is the request's natural idempotency key: posting the same dossier again answers ``200`` with the
request already there (``201`` when it was created now), so no ``Idempotency-Key`` header is needed. The one-stop
software learns that a request was paid by reading it back (``state``, ``document_id``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from marshmallow import Schema, fields, validate

from einvoice.domain.errors import Problem
from einvoice.domain.vntime import local_date
from einvoice.jsondoc.fields import Text
from einvoice.jsondoc.lines import CatalogueFeeSchema
from einvoice.services import fee_requests
from einvoice.services.catalogue import fees_in_force, get_row
from einvoice.services.errors import RequestProblemsError
from einvoice.services.issuing import CatalogueFee
from einvoice.storage.schema import counters
from einvoice.web.api.base import PREFIX, Blueprint
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime

blp = Blueprint("fee_requests", __name__, url_prefix=PREFIX, description="The one-stop queue of fees to collect")
READERS = ("cashier", "finance", "admin")


class PayerIn(Schema):
    """Who pays: name, citizen ID or tax code, address."""

    name = Text(required=True, validators=[validate.Length(min=1)])
    id_number = fields.String(validate=validate.Regexp(r"^(\d{12}|\d{10}(-\d{3})?)$"))
    address = Text()


class FeeRequestIn(Schema):
    """A dossier's fees to collect."""

    dossier_code = Text(required=True, max_length=50, validators=[validate.Length(min=1)])
    payer = fields.Nested(PayerIn, required=True)
    fees = fields.List(fields.Nested(CatalogueFeeSchema), required=True, validate=validate.Length(min=1, max=50))
    issuer_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    counter_id = fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1))


class FeeRequestOut(Schema):
    """A fee request and its state: waiting (Chờ thu phí), paid (Đã thu phí, with its receipt) or cancelled."""

    id = fields.Integer()
    issuer_id = fields.Integer()
    counter_id = fields.Integer(allow_none=True)
    dossier_code = fields.String()
    payer_name = fields.String()
    payer_id_number = fields.String(allow_none=True)
    payer_address = fields.String(allow_none=True)
    fees = fields.List(fields.Dict())
    state = fields.String(metadata={"enum": list(fee_requests.STATES)})
    document_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FeeRequestQuery(Schema):
    """Filters: state, and text found in the dossier code or the payer's name (no diacritics needed)."""

    state = fields.String(validate=validate.OneOf(list(fee_requests.STATES)))
    q = fields.String(validate=validate.Length(max=100))


_OUT = FeeRequestOut()


def _issuer_of(data: dict[str, Any]) -> int:
    actor = current_actor()
    if actor.counter_id is not None:
        return int(get_row(runtime().engine, counters, actor.counter_id)["issuer_id"])
    if "issuer_id" not in data:
        raise RequestProblemsError([Problem("missing", "issuer_id", "Thiếu đơn vị thu", "issuer_id is required")])
    return int(data["issuer_id"])


def _check_fees(issuer_id: int, wanted: list[dict[str, Any]]) -> None:
    known = {row["code"] for row in fees_in_force(runtime().engine, issuer_id, local_date(runtime().now()))}
    problems = [
        Problem("unknown_fee", f"fees[{i}].code", f"Không có khoản thu mã {fee['code']}", f"no fee {fee['code']}")
        for i, fee in enumerate(wanted)
        if fee["code"] not in known
    ]
    if problems:
        raise RequestProblemsError(problems)


@blp.route("/fee-requests", methods=["POST"])
@blp.response(201, _OUT)
@blp.alt_response(200, schema=_OUT, description="The request already there for this dossier code")
@roles("cashier", "admin")
@blp.arguments(FeeRequestIn())
def create_fee_request(data: dict[str, Any]) -> Response:
    """Queue a dossier's fees for the counter; the same dossier code posted again returns the first request."""
    issuer_id = _issuer_of(data)
    _check_fees(issuer_id, data["fees"])
    payer = data["payer"]
    new = fee_requests.NewFeeRequest(
        issuer_id=issuer_id,
        dossier_code=data["dossier_code"],
        payer_name=payer["name"],
        payer_id_number=payer.get("id_number"),
        payer_address=payer.get("address"),
        fees=tuple(CatalogueFee(fee["code"], fee["quantity"]) for fee in data["fees"]),
        counter_id=data.get("counter_id"),
    )
    row, created = fee_requests.create(runtime().engine, new, current_actor(), runtime().now())
    answer = jsonify(_OUT.dump(row))
    answer.status_code = 201 if created else 200
    answer.headers["Location"] = url_for("fee_requests.get_fee_request", request_id=row["id"])
    return answer


@blp.route("/fee-requests", methods=["GET"])
@blp.response(200, FeeRequestOut(many=True))
@roles(*READERS)
@blp.arguments(FeeRequestQuery, location="query")
def list_fee_requests(args: dict[str, Any]) -> list[dict[str, Any]]:
    """List requests, newest first, by state and/or text."""
    return fee_requests.search(runtime().engine, state=args.get("state"), text=args.get("q"))


@blp.route("/fee-requests/<id:request_id>", methods=["GET"])
@blp.response(200, _OUT)
@roles(*READERS)
def get_fee_request(request_id: int) -> dict[str, Any]:
    """Read one request: the one-stop software polls it to learn it was paid (``state``, ``document_id``)."""
    return fee_requests.get(runtime().engine, request_id)


@blp.route("/fee-requests/<id:request_id>/cancel", methods=["POST"])
@blp.response(200, _OUT)
@roles("cashier", "admin")
def cancel_fee_request(request_id: int) -> dict[str, Any]:
    """Cancel a waiting request (409 if it is paid or cancelled already)."""
    return fee_requests.cancel(runtime().engine, request_id, runtime().now())
