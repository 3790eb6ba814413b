# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Correcting documents (Circular 91 Art 10 and 20): replace, adjust, and notify a soft error.

``POST /receipts/{id}/replacement`` and ``POST /invoices/{id}/replacement`` issue a whole new document;
``POST /invoices/{id}/adjustment`` issues an adjustment whose lines are signed deltas (increase positive, decrease
negative); ``POST /documents/{id}/error-notices`` records an error notice 04/SS for a soft error. Each needs a
reason and an Idempotency-Key. Role rules live in the service (:mod:`einvoice.services.corrections`): cashiers may
replace receipts of their own counter on the day of issue; everything else is finance or admin work.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import Schema, fields, validate

from einvoice.domain.corrections import SOFT_ERRORS
from einvoice.domain.lifecycle import Action
from einvoice.domain.roles import STAFF
from einvoice.jsondoc.fields import MAX_LINES, Quantity, Text
from einvoice.jsondoc.lines import LineSchema
from einvoice.services import corrections, notices
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.documents import answer_issued
from einvoice.web.api.idempotent import idempotent
from einvoice.web.api.schemas import DocumentOut, InvoiceIn, ReceiptIn, invoice_request, receipt_request
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime

blp = Blueprint("corrections", __name__, url_prefix=PREFIX, description="Replace, adjust, notify errors")
MAX_SIGNED_QUANTITY = 10**9


def _reason() -> Any:
    return Text(required=True, max_length=corrections.REASON_MAX, validators=[validate.Length(min=1)])


class ReceiptReplacementIn(ReceiptIn):
    """The replacing receipt, complete, and why the original is replaced."""

    reason = _reason()


class InvoiceReplacementIn(InvoiceIn):
    """The replacing invoice, complete, and why the original is replaced."""

    reason = _reason()


class DeltaLineSchema(LineSchema):
    """An adjustment line: the quantity is a signed delta (increase positive, decrease negative)."""

    quantity = Quantity(signed=True)


class InvoiceAdjustmentIn(InvoiceIn):
    """The adjusting lines (signed deltas) and why."""

    lines = fields.List(fields.Nested(DeltaLineSchema), required=True, validate=validate.Length(min=1, max=MAX_LINES))
    reason = _reason()


class ErrorNoticeIn(Schema):
    """A soft error to notify (never tax code, amounts, rates or goods) and the explanation."""

    errors = fields.List(
        fields.String(validate=validate.OneOf(sorted(SOFT_ERRORS))), required=True, validate=validate.Length(min=1)
    )
    reason = _reason()


class StoredNoticeOut(Schema):
    """A stored error notice."""

    id = fields.Integer()
    document_id = fields.Integer()
    form = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()


def _correct(document_id: int, action: Action, reason: str, content: Any) -> Response:
    rt = runtime()
    correction = corrections.Correction(document_id, action, reason, content)
    return answer_issued(
        lambda hooks: corrections.correct(
            rt.engine, correction, actor=current_actor(), now=rt.now, tools=rt.tools, hooks=hooks
        )
    )


@blp.route("/receipts/<id:document_id>/replacement", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, DocumentOut)
@roles(*STAFF)
@idempotent
@blp.arguments(ReceiptReplacementIn())
def replace_receipt(data: dict[str, Any], document_id: int) -> Response:
    """Issue a receipt replacing receipt ``document_id`` (receipts are never adjusted)."""
    reason = data.pop("reason")
    return _correct(document_id, Action.REPLACE, reason, receipt_request(data))


@blp.route("/invoices/<id:document_id>/replacement", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, DocumentOut)
@roles("finance", "admin")
@idempotent
@blp.arguments(InvoiceReplacementIn())
def replace_invoice(data: dict[str, Any], document_id: int) -> Response:
    """Issue an invoice replacing invoice ``document_id`` (refused once it has been adjusted)."""
    reason = data.pop("reason")
    return _correct(document_id, Action.REPLACE, reason, invoice_request(data))


@blp.route("/invoices/<id:document_id>/adjustment", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, DocumentOut)
@roles("finance", "admin")
@idempotent
@blp.arguments(InvoiceAdjustmentIn())
def adjust_invoice(data: dict[str, Any], document_id: int) -> Response:
    """Issue an adjustment of invoice ``document_id`` (refused once it has been replaced)."""
    reason = data.pop("reason")
    return _correct(document_id, Action.ADJUST, reason, invoice_request(data))


@blp.route("/documents/<id:document_id>/error-notices", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, StoredNoticeOut)
@roles("finance", "admin")
@idempotent
@blp.arguments(ErrorNoticeIn())
def notify_error(data: dict[str, Any], document_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Record an error notice 04/SS for a soft error of document ``document_id``."""
    rt = runtime()
    notice = notices.notify_error(
        rt.engine, document_id, tuple(data["errors"]), data["reason"], actor=current_actor(), now=rt.now
    )
    return notice, 201, {"Location": f"{PREFIX}/documents/{document_id}"}
