"""The one exception of the rendering package.

Exceptions::

    EInvoiceError          (einvoice.domain.errors)
    └── RenderError        a document could not be printed: unreadable XML, a broken template, a layout that does not
                           fit the document, or WeasyPrint failing. The document itself is untouched.
"""

from __future__ import annotations

from einvoice.domain.errors import EInvoiceError


class RenderError(EInvoiceError):
    """A document could not be rendered; the stored document is never affected."""
