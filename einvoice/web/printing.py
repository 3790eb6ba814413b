"""Printing a stored document for staff (the counter pages and the API): never through the rate-limited public route.

What is printed is the document of record (:func:`einvoice.services.queries.get_document_xml`): a coded invoice from
the authority's coded XML, so its printout carries the authority's code ("Mã của cơ quan thuế").

The paper: an invoice prints on A4; a receipt on the paper of the counter that issued it — ``roll80`` if the counter
is one of ``ROLL80_COUNTERS``, else ``COUNTER_PRINT_LAYOUT`` (default ``a5``) — unless the caller asks for one.
"""

from __future__ import annotations

from typing import Any, cast

from flask import abort, current_app
from werkzeug.wrappers import Response

from einvoice.kinds import row_of
from einvoice.render.context import Layout
from einvoice.render.errors import RenderError
from einvoice.render.pdf import TEMPLATE_VERSION, render_document_pdf, render_settings
from einvoice.web.runtime import settings_of

RECEIPT_LAYOUTS: tuple[Layout, ...] = ("a5", "roll80")


def counter_layout(counter_id: int | None) -> Layout:
    """Return the paper a counter prints receipts on."""
    settings = settings_of()
    rolls = {part.strip() for part in (settings.roll80_counters or "").split(",")}
    return "roll80" if str(counter_id) in rolls else settings.counter_print_layout


def document_pdf(document: dict[str, Any], xml: bytes, *, copy: bool, layout: str | None = None) -> Response:
    """Answer the PDF of a stored document (``copy``: marked BẢN SAO), inline, framable by our own pages only."""
    printable = row_of(document["kind"]).print_templates
    chosen: Layout
    if layout in printable:
        chosen = cast(Layout, layout)
    elif len(printable) == 1:
        chosen = next(iter(printable))
    else:  # a kind with several layouts (receipts: A5 or the roll): the counter's paper
        chosen = counter_layout(document["counter_id"])
    try:
        pdf = render_document_pdf(
            xml,
            layout=chosen,
            copy=copy,
            template_version=settings_of().template_version or TEMPLATE_VERSION,
            settings=render_settings(settings_of()),
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
