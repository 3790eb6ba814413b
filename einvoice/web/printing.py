"""Printing a stored document for staff (the counter pages and the API): never through the rate-limited public route.

The paper: an invoice prints on A4; a receipt on the paper of the counter that issued it — ``COUNTER_LAYOUTS``
(counter id → ``a5`` or ``roll80``), else ``COUNTER_PRINT_LAYOUT`` (default ``a5``) — unless the caller asks for one.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from werkzeug.wrappers import Response

from einvoice.render.context import Layout
from einvoice.render.errors import RenderError
from einvoice.render.pdf import TEMPLATE_VERSION, render_document_pdf, settings_from_config

RECEIPT_LAYOUTS: tuple[Layout, ...] = ("a5", "roll80")


def counter_layout(counter_id: int | None) -> Layout:
    """Return the paper a counter prints receipts on."""
    config = current_app.config
    chosen = dict(config.get("COUNTER_LAYOUTS") or {}).get(str(counter_id), config.get("COUNTER_PRINT_LAYOUT", "a5"))
    return "roll80" if chosen == "roll80" else "a5"


def document_pdf(document: dict[str, Any], xml: bytes, *, copy: bool, layout: str | None = None) -> Response:
    """Answer the PDF of a stored document (``copy``: marked BẢN SAO), inline, framable by our own pages only."""
    chosen: Layout
    if document["kind"] != "receipt":
        chosen = "a4"
    elif layout in RECEIPT_LAYOUTS:
        chosen = "roll80" if layout == "roll80" else "a5"
    else:
        chosen = counter_layout(document["counter_id"])
    try:
        pdf = render_document_pdf(
            xml,
            layout=chosen,
            copy=copy,
            template_version=str(current_app.config.get("TEMPLATE_VERSION", TEMPLATE_VERSION)),
            settings=settings_from_config(current_app.config),
        )
    except RenderError:
        current_app.logger.exception("PDF of document %s could not be rendered", document["id"])
        abort(503)
    name = f"{document['template']}-{document['series']}-{document['number']}{'-ban-sao' if copy else ''}.pdf"
    return inline_pdf(pdf, name)


def inline_pdf(pdf: bytes, filename: str) -> Response:
    """Answer a PDF to show inside our own pages (framing allowed from the same origin only)."""
    headers = {
        "Content-Disposition": f'inline; filename="{filename}"',
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'",
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, mimetype="application/pdf", headers=headers)
