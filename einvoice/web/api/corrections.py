# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Correcting documents (Circular 91 Art 10 and 20): replace, adjust, and notify a soft error.

``POST /receipts/{id}/replacement`` and ``POST /invoices/{id}/replacement`` issue a whole new document;
``POST /invoices/{id}/adjustment`` issues an adjustment whose lines are signed deltas (increase positive, decrease
negative); ``POST /documents/{id}/error-notices`` records, signs and queues an error notice 04/SS for a soft error;
``POST /invoices/{id}/cancellation`` cancels an invoice of a legacy period (``LEGACY_CANCEL``). Each needs a reason
and an Idempotency-Key. Role rules live in the service (:mod:`einvoice.services.corrections`): cashiers may
replace receipts of their own counter on the day of issue; everything else is finance or admin work.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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
from einvoice.web.runtime import runtime, settings_of

#: A stored notice, its status and its ``Location``.
NoticeAnswer = tuple[dict[str, Any], int, dict[str, str]]
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


def _replacement_route(
    path: str, schema: type[Schema], make_request: Callable[[dict[str, Any]], Any], *, allowed: tuple[str, ...]
) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a view stub into ``POST <path>``: a replacement read with ``schema``, made by ``make_request``.

    The stub only names the endpoint and documents it; every replacement is issued the same way, whatever its kind.
    """

    def register(stub: Callable[..., Any]) -> Any:
        @functools.wraps(stub)
        def view(data: dict[str, Any], document_id: int) -> Response:
            reason = data.pop("reason")
            return _correct(document_id, Action.REPLACE, reason, make_request(data))

        decorated = idempotent(blp.arguments(schema())(view))
        decorated = blp.response(201, DocumentOut)(roles(*allowed)(decorated))
        return blp.route(path, methods=["POST"])(blp.doc(parameters=[IDEMPOTENCY_HEADER])(decorated))

    return register


@_replacement_route("/receipts/<id:document_id>/replacement", ReceiptReplacementIn, receipt_request, allowed=STAFF)
def replace_receipt() -> None:
    """Issue a receipt replacing receipt ``document_id`` (receipts are never adjusted)."""


@_replacement_route(
    "/invoices/<id:document_id>/replacement", InvoiceReplacementIn, invoice_request, allowed=("finance", "admin")
)
def replace_invoice() -> None:
    """Issue an invoice replacing invoice ``document_id`` (refused once it has been adjusted)."""


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
def notify_error(data: dict[str, Any], document_id: int) -> NoticeAnswer:
    """Record, sign and queue an error notice 04/SS for a soft error of document ``document_id``."""
    return _noticed(notices.notify_error, document_id, tuple(data["errors"]), data["reason"])


def _noticed(record: Callable[..., dict[str, Any]], document_id: int, *args: Any, **kw: Any) -> NoticeAnswer:
    """Run the notice use case ``record`` about ``document_id`` as the caller; answer 201 with the stored notice."""
    rt = runtime()
    notice = record(rt.engine, document_id, *args, actor=current_actor(), now=rt.now, tools=rt.tools, **kw)
    return notice, 201, {"Location": f"{PREFIX}/documents/{document_id}"}


class CancellationIn(Schema):
    """Why an invoice of a legacy period is cancelled."""

    reason = _reason()


@blp.route("/invoices/<id:document_id>/cancellation", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, StoredNoticeOut)
@roles("finance", "admin")
@idempotent
@blp.arguments(CancellationIn())
def cancel_invoice(data: dict[str, Any], document_id: int) -> NoticeAnswer:
    """Cancel an invoice issued before 1 July 2026 by a notice TCTBao=1, only when ``LEGACY_CANCEL`` is on (409
    otherwise: Circular 91 has no cancel procedure; adjust, replace or notify an error)."""
    return _noticed(notices.cancel_legacy, document_id, data["reason"], allowed=settings_of().legacy_cancel)
