# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Drafts: save an issue request, edit it, preview its XML, issue it once."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from einvoice.domain.kinds import DocumentKind
from einvoice.jsondoc.problems import problems_of
from einvoice.services import drafts
from einvoice.services.errors import RequestProblemsError
from einvoice.services.issuing import IssueRequest, preview_document
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.documents import issue_and_answer
from einvoice.web.api.idempotent import idempotent
from einvoice.web.api.schemas import DocumentOut, InvoiceIn, ReceiptIn, invoice_request, receipt_request
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime

blp = Blueprint("drafts", __name__, url_prefix=PREFIX, description="Drafts of receipts and invoices")
#: The request schema of each kind and how it becomes an issue request (the API column of the table of kinds).
_KINDS: dict[str, tuple[type[Schema], Callable[[dict[str, Any]], IssueRequest]]] = {
    DocumentKind.RECEIPT.value: (ReceiptIn, receipt_request),
    DocumentKind.INVOICE.value: (InvoiceIn, invoice_request),
}


class DraftIn(Schema):
    """A draft: its kind and the request it will issue (the body of POST /receipts or /invoices)."""

    kind = fields.String(required=True, validate=validate.OneOf(list(_KINDS)))
    request = fields.Dict(required=True)

    @validates_schema
    def _request_is_valid(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors = _KINDS[data["kind"]][0]().validate(data["request"])
        if errors:
            raise ValidationError({"request": errors})


class DraftOut(Schema):
    """A stored draft."""

    id = fields.Integer()
    kind = fields.String()
    request = fields.Dict(attribute="payload")
    document_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the request as plain JSON (exact decimals as strings)."""
    result: dict[str, Any] = json.loads(json.dumps(payload, default=str))
    return result


def _request_of(draft: dict[str, Any]) -> IssueRequest:
    schema_class, make = _KINDS[draft["kind"]]
    try:
        data = schema_class().load(draft["payload"])
    except ValidationError as error:
        raise RequestProblemsError(problems_of(error.messages, "request")) from error
    return make(data)


@contextmanager
def _at_request_paths() -> Iterator[None]:
    """Report the problems of a draft's request at the draft's paths (``request.payer.name``)."""
    try:
        yield
    except RequestProblemsError as error:
        moved = [replace(p, path=f"request.{p.path}") for p in error.problems if not p.path.startswith("request")]
        if len(moved) != len(error.problems):
            raise
        raise RequestProblemsError(moved) from error


@blp.route("/drafts", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, DraftOut)
@roles("cashier")
@idempotent
@blp.arguments(DraftIn)
def create_draft(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Save a draft."""
    draft = drafts.create_draft(runtime().engine, current_actor(), data["kind"], _plain(data["request"]))
    return draft, 201, {"Location": f"{PREFIX}/drafts/{draft['id']}"}


@blp.route("/drafts/<id:draft_id>")
class Draft(MethodView):
    """One of your drafts."""

    @blp.response(200, DraftOut)
    @roles("cashier")
    def get(self, draft_id: int) -> dict[str, Any]:
        """Return the draft."""
        return drafts.get_draft(runtime().engine, draft_id, current_actor())

    @blp.response(200, DraftOut)
    @roles("cashier")
    @blp.arguments(DraftIn)
    def put(self, data: dict[str, Any], draft_id: int) -> dict[str, Any]:
        """Replace the draft's request."""
        engine, actor = runtime().engine, current_actor()
        if drafts.get_draft(engine, draft_id, actor)["kind"] != data["kind"]:
            raise ValidationError({"kind": ["A draft keeps its kind."]})
        return drafts.update_draft(engine, draft_id, actor, _plain(data["request"]))


@blp.route("/drafts/<id:draft_id>/preview", methods=["GET"])
@blp.response(200, content_type="application/xml")
@roles("cashier")
def preview_draft(draft_id: int) -> Response:
    """Return the unsigned XML the draft would issue today (no number, no lookup code)."""
    rt, actor = runtime(), current_actor()
    draft = drafts.get_draft(rt.engine, draft_id, actor)
    with _at_request_paths():
        xml = preview_document(rt.engine, _request_of(draft), actor=actor, now=rt.now)
    return Response(xml, mimetype="application/xml")


@blp.route("/drafts/<id:draft_id>/issue", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, DocumentOut)
@roles("cashier")
@idempotent
def issue_draft(draft_id: int) -> Response:
    """Issue the draft; a draft issues once."""
    draft = drafts.get_draft(runtime().engine, draft_id, current_actor())
    with _at_request_paths():
        return issue_and_answer(_request_of(draft), draft_id=draft_id)
