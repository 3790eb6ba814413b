# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Bank statements: import one (its lines matched to transfer receipts), read the lines and the receipts unpaid."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import request
from marshmallow import Schema, fields, validate

from einvoice.domain.errors import Problem
from einvoice.finance.statements import LAYOUTS, StatementError
from einvoice.services import bank
from einvoice.services.errors import RequestProblemsError
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.finance_schemas import Money
from einvoice.web.api.idempotent import idempotent
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime

blp = Blueprint("finance_bank", __name__, url_prefix=f"{PREFIX}/finance", description="Bank statement matching")
FINANCE = ("finance", "admin")
MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class StatementQuery(Schema):
    """Which bank's layout, and the file's format."""

    bank = fields.String(required=True, validate=validate.OneOf(sorted(LAYOUTS)))
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


class PeriodOnly(Schema):
    """A period, and optionally one outcome."""

    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    outcome = fields.String(validate=validate.Length(max=12))


class MatchOut(Schema):
    """The decision about one imported line."""

    key = fields.String(metadata={"description": "the line's identity (SHA-256 of bank and raw cells)"})
    outcome = fields.String(
        metadata={"description": "exact|partial|overpaid|duplicate|amount_date|ambiguous|foreign|debit"}
    )
    document_id = fields.Integer(allow_none=True)
    reason = fields.String()


class ImportOut(Schema):
    """What an import did."""

    added = fields.Integer()
    known = fields.Integer()
    matches = fields.List(fields.Nested(MatchOut))


class BankLineOut(Schema):
    """A stored statement line and its decision."""

    id = fields.Integer()
    bank = fields.String()
    booked_on = fields.Date()
    amount = Money()
    description = fields.String()
    bank_reference = fields.String(allow_none=True)
    outcome = fields.String()
    document_id = fields.Integer(allow_none=True)
    reason = fields.String()
    template = fields.String(allow_none=True)
    series = fields.String(allow_none=True)
    number = fields.Integer(allow_none=True)


class UnpaidOut(Schema):
    """A transfer receipt no line has paid."""

    id = fields.Integer()
    template = fields.String()
    series = fields.String()
    number = fields.Integer()
    issue_date = fields.Date()
    total = Money()
    transfer = Money(metadata={"description": "the transfer part expected (the total less a mixed payment's cash)"})
    party_name = fields.String(allow_none=True)
    payment_method = fields.String()


@blp.route("/bank-statements", methods=["POST"])
@blp.doc(
    parameters=[IDEMPOTENCY_HEADER],
    requestBody={
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
)
@blp.response(201, ImportOut)
@roles(*FINANCE)
@idempotent
@blp.arguments(StatementQuery, location="query")
def import_statement(args: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Import a statement file (the body) in its bank's layout; new lines are matched, known ones skipped."""
    data = request.get_data(cache=True)[: MAX_STATEMENT_BYTES + 1]
    if len(data) > MAX_STATEMENT_BYTES:
        raise RequestProblemsError([Problem("too_large", "body", "Tệp sao kê quá lớn", "the statement is too large")])
    rt = runtime()
    try:
        result = bank.import_statement(
            rt.engine, args["bank"], data, f"statement.{args['format']}", user_id=current_actor().user_id, now=rt.now()
        )
    except StatementError as error:
        raise RequestProblemsError(
            [Problem("statement", "body", f"Không đọc được sao kê: {error}", f"the statement cannot be read: {error}")]
        ) from error
    return {"added": result.added, "known": result.known, "matches": [asdict(m) for m in result.matches]}, 201


@blp.route("/bank-lines", methods=["GET"])
@blp.response(200, BankLineOut(many=True))
@roles(*FINANCE)
@blp.arguments(PeriodOnly, location="query")
def bank_lines(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Imported lines booked in a period, each with its outcome, the receipt it paid and why."""
    return bank.stored_lines(runtime().engine, args["date_from"], args["date_to"], args.get("outcome"))


@blp.route("/unpaid-transfers", methods=["GET"])
@blp.response(200, UnpaidOut(many=True))
@roles(*FINANCE)
@blp.arguments(PeriodOnly, location="query")
def unpaid_transfers(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Transfer receipts of a period that no imported line has paid."""
    return bank.unpaid_transfers(runtime().engine, args["date_from"], args["date_to"])
