"""The one exception of the rendering package, a branch of the tree drawn in :mod:`einvoice.domain.errors`."""

from __future__ import annotations

from einvoice.domain.errors import EInvoiceError


class RenderError(EInvoiceError):
    """A document could not be rendered; the stored document is never affected."""
