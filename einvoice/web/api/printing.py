# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""The printable PDF of a document for its authenticated readers: ``GET /documents/<id>/pdf``.

Receipts print on their counter's paper unless ``layout`` asks for ``a5`` or ``roll80``; invoices on A4; ``copy=1``
marks a reprint BẢN SAO. Not rate-limited like the public lookup route, and readable only as the document is.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from einvoice.services.queries import get_document, get_document_xml
from einvoice.web.api.base import PREFIX, Blueprint
from einvoice.web.auth import current_actor, roles
from einvoice.web.printing import RECEIPT_LAYOUTS, document_pdf
from einvoice.web.runtime import runtime

blp = Blueprint("printing", __name__, url_prefix=PREFIX, description="Printable PDFs for staff and integrators")


class PrintQuery(Schema):
    """The paper (receipts only) and whether this is a marked copy."""

    layout = fields.String(validate=validate.OneOf(list(RECEIPT_LAYOUTS)))
    copy = fields.Boolean(load_default=False)


@blp.route("/documents/<id:document_id>/pdf", methods=["GET"])
@blp.response(200, content_type="application/pdf")
@roles("cashier", "finance", "admin")
@blp.arguments(PrintQuery, location="query")
def get_document_pdf(args: dict[str, Any], document_id: int) -> Response:
    """The document printed from its document of record (A5 or 80 mm roll for a receipt, A4 for an invoice): a coded
    invoice from the authority's coded XML, so the printout carries "Mã của cơ quan thuế"."""
    actor = current_actor()
    engine = runtime().engine
    document = get_document(engine, document_id, actor)
    xml = get_document_xml(engine, document_id, actor)
    return document_pdf(document, xml, copy=args["copy"], layout=args.get("layout"))
