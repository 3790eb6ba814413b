# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Issuing and reading documents: ``/receipts``, ``/invoices``, ``/documents``, ``/idempotency-keys``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy.engine import Connection

from einvoice.domain.roles import STAFF
from einvoice.services import authority, history, idempotency, queries
from einvoice.services.drafts import mark_issued
from einvoice.services.errors import NotFoundError
from einvoice.services.issuing import IssuedDocument, IssueHooks, IssueRequest, issue_document
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.history import DocumentDetailOut
from einvoice.web.api.idempotent import idempotent, json_answer, replay, store_in
from einvoice.web.api.schemas import (
    DocumentOut,
    DocumentPage,
    DocumentQuery,
    InvoiceIn,
    ReceiptIn,
    invoice_request,
    receipt_request,
)
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime

blp = Blueprint("documents", __name__, url_prefix=PREFIX, description="Issue, read and search documents")

_DOCUMENT_OUT = DocumentOut()


def issue_and_answer(request: IssueRequest, *, draft_id: int | None = None) -> Response:
    """Issue ``request``; the 201 answer is stored with the document, in the same transaction."""
    rt = runtime()
    return answer_issued(
        lambda hooks: issue_document(
            rt.engine, request, actor=current_actor(), now=rt.now, tools=rt.tools, hooks=hooks
        ),
        draft_id=draft_id,
    )


def answer_issued(issue: Callable[[IssueHooks], IssuedDocument], *, draft_id: int | None = None) -> Response:
    """Run ``issue`` with a hook that stores the 201 answer in the issuing transaction; return that answer."""
    answers = []

    def before_commit(conn: Connection, issued: IssuedDocument) -> None:
        if draft_id is not None:
            mark_issued(conn, draft_id, issued.id)
        answer = json_answer(201, _DOCUMENT_OUT.dump(_row(issued)), _url(issued.id))
        store_in(conn, answer, issued.id)
        answers.append(answer)

    issue(IssueHooks(before_commit=before_commit))
    return replay(answers[-1])  # a retried transaction ran the hook again: the last run is the committed one


def _row(issued: IssuedDocument) -> dict[str, Any]:
    return {name: getattr(issued, name) for name in issued.__dataclass_fields__}


def _url(document_id: int) -> str:
    return f"{PREFIX}/documents/{document_id}"


@blp.route("/receipts", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, _DOCUMENT_OUT)
@roles("cashier")
@idempotent
@blp.arguments(ReceiptIn())
def issue_receipt(data: dict[str, Any]) -> Response:
    """Issue a fee receipt from catalogue codes and/or explicit lines."""
    return issue_and_answer(receipt_request(data))


@blp.route("/invoices", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(201, _DOCUMENT_OUT)
@roles("cashier")
@idempotent
@blp.arguments(InvoiceIn())
def issue_invoice(data: dict[str, Any]) -> Response:
    """Issue an invoice."""
    return issue_and_answer(invoice_request(data))


@blp.route("/documents")
class Documents(MethodView):
    """Search documents."""

    @blp.response(200, DocumentPage)
    @roles(*STAFF)
    @blp.arguments(DocumentQuery, location="query")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List documents matching the filters, newest first (cashiers: their own)."""
        page, per_page = args.pop("page"), args.pop("per_page")
        for name, deprecated in (("party_name", "payer_name"), ("party_tax_code", "tax_code")):
            args[name] = args.get(name) or args.pop(deprecated, None)
            args.pop(deprecated, None)
        args["tax_code"] = args.pop("party_tax_code")
        criteria = queries.DocumentFilter(**args)
        items, total = queries.search_documents(
            runtime().engine, criteria, current_actor(), page=page, per_page=per_page
        )
        return {"items": items, "total": total, "page": page, "per_page": per_page}


@blp.route("/documents/<id:document_id>", methods=["GET"])
@blp.response(200, DocumentDetailOut)
@roles(*STAFF)
def get_document(document_id: int) -> dict[str, Any]:
    """Return a document's metadata, its code from the tax authority, and its whole history: corrections both ways,
    notices, messages with the authority, state changes."""
    engine, actor = runtime().engine, current_actor()
    document = queries.get_document(engine, document_id, actor)
    code = authority.authority_code_of(engine, document_id)
    record = {"authority_code": code, "record": "issued" if code is None else "coded"}
    return {**document, **record, "history": history.document_history(engine, document_id)}


class XmlQuery(Schema):
    """Which XML: the document of record (default), or the seller's bytes as issued."""

    version = fields.String(
        load_default="record",
        validate=validate.OneOf(["record", "issued"]),
        metadata={"description": "`record`: the coded XML once coded, else as issued; `issued`: as issued"},
    )


@blp.route("/documents/<id:document_id>/xml", methods=["GET"])
@blp.response(200, content_type="application/xml")
@roles(*STAFF)
@blp.arguments(XmlQuery, location="query")
def get_document_xml(args: dict[str, Any], document_id: int) -> Response:
    """Download the document of record (the authority's coded XML once coded) or, with ``version=issued``, the
    seller's signed XML exactly as issued; the ``Einvoice-Xml`` header says which: ``coded`` or ``issued``."""
    signed = queries.get_signed_xml(
        runtime().engine, document_id, current_actor(), as_issued=args["version"] == "issued"
    )
    return Response(signed.xml, mimetype="application/xml", headers={XML_VERSION_HEADER: _version(signed)})


#: The answer header naming which XML a download is.
XML_VERSION_HEADER = "Einvoice-Xml"


def _version(signed: queries.SignedXml) -> str:
    return "coded" if signed.coded else "issued"


@blp.route("/idempotency-keys/<string:key>", methods=["GET"])
@blp.response(200)
@roles(*STAFF)
def idempotency_outcome(key: str) -> Response:
    """Return the answer stored for one of your Idempotency-Keys (409 while it is still running)."""
    actor = current_actor()
    assert actor.user_id is not None
    answer = idempotency.outcome(runtime().engine, actor.user_id, key)
    if answer is None:
        raise NotFoundError("no request with this Idempotency-Key")
    return replay(answer, replayed=True)
