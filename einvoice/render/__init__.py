"""Printing documents: signed XML → Jinja HTML → PDF (WeasyPrint), with the lookup QR code.

The PDF is derived from the signed XML, never the reverse, and rendering never happens inside the issuing
transaction: callers render after commit, and a failure raises :class:`~einvoice.render.errors.RenderError` without
touching storage. Modules:

- :mod:`~einvoice.render.qr`: the lookup URL and its QR code (fixed mask, 1-bit PNG data URI);
- :mod:`~einvoice.render.signature`: the printable facts of the signatures inside the XML (signer, time, MCCQT);
- :mod:`~einvoice.render.context`: what the templates receive, and Vietnamese number and date formatting;
- :mod:`~einvoice.render.templates`: the Jinja environment (agency overrides first, then ours);
- :mod:`~einvoice.render.cache`: the file cache of rendered PDFs;
- :mod:`~einvoice.render.collector`: the garbage collector paused while WeasyPrint renders;
- :mod:`~einvoice.render.pdf`: the entry point :func:`~einvoice.render.pdf.render_document_pdf` (imports WeasyPrint);
- :mod:`~einvoice.render.errors`: :class:`~einvoice.render.errors.RenderError`, the one exception.

This package imports no Flask.
"""
