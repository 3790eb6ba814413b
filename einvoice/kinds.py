"""The table of document kinds: everything that differs between an invoice and a receipt, one row per kind.

Code outside the table never asks "is this an invoice or a receipt?" (``isinstance`` or comparing ``kind`` with a
string; ``tests/test_kinds.py`` fails on it): it asks a document, a request or a stored row for its
:class:`~einvoice.domain.kinds.DocumentKind` and looks the answer up here. The table is split by layer so that the
pure packages stay pure, and :data:`KINDS` joins the columns into one row per kind:

- names (the noun in messages and the name of the other party — người mua, người nộp —, vi and en):
  :data:`einvoice.domain.kinds.NAMES`;
- templates and series rules: :data:`einvoice.domain.series.SERIES_RULES`;
- XML format (root, version ``PBan``, XSD, tags, signature slots): :data:`einvoice.xmldoc.formats.FORMATS`, from
  which :data:`einvoice.xmldoc.dsig.LAYOUTS` (the signature layout) is derived;
- builder (document → XML): ``_TREES`` in :mod:`einvoice.xmldoc.build`;
- reader (XML → document): ``_READERS`` in :mod:`einvoice.xmldoc.parse`;
- business rules: the ``kinds`` of each rule in :mod:`einvoice.xmldoc.rules`;
- print layouts (layout → template, the first the default): :data:`PRINT_TEMPLATES` here;
- the ``TDiep`` message type of an error notice about a document of the kind: :data:`NOTICE_MESSAGES` here;
- request (what a caller asks → document): ``_COMPOSERS`` in :mod:`einvoice.services.issuing`.

Adding a kind (the invoice-with-receipt templates 8 and 9, error notices, summary tables): add the member to
``DocumentKind`` and its names, its document class (with ``kind``, ``issuer``, ``party``, ``total_payable``) to
``einvoice.domain.documents.Document``, its series rules, its XML format row and XSD, its builder and reader, its
print templates here, its request and composer in ``services.issuing`` and its JSON schema (keyed by
``DocumentKind``) in the JSON vocabulary; ``tests/test_kinds.py`` fails until every column has the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from einvoice.domain.documents import Document
from einvoice.domain.kinds import NAMES, DocumentKind, KindNames
from einvoice.domain.series import SERIES_RULES, SeriesRules
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.formats import BY_ROOT, FORMATS, XmlFormat

Layout = Literal["a4", "a5", "roll80"]
LAYOUTS: tuple[Layout, ...] = ("a4", "a5", "roll80")

#: The layouts that print each kind and the template of each; the first is the default (the public PDF, the API).
PRINT_TEMPLATES: dict[DocumentKind, dict[Layout, str]] = {
    DocumentKind.INVOICE: {"a4": "print/invoice_a4.html"},
    DocumentKind.RECEIPT: {"a5": "print/receipt_a5.html", "roll80": "print/receipt_roll80.html"},
}

#: The message type (``MLTDiep``) that carries an error notice about a document of each kind: 300 for 04/SS-HĐĐT,
#: 304 for 04/SS-CTĐT (QĐ 1271's list, UNCONFIRMED: spec §2.5, choice 19); both are answered by a 301.
NOTICE_MESSAGES: dict[DocumentKind, str] = {
    DocumentKind.INVOICE: env.ERROR_NOTICE,
    DocumentKind.RECEIPT: env.RECEIPT_ERROR_NOTICE,
}


@dataclass(frozen=True, slots=True)
class KindRow:
    """One kind of document, every column of the table."""

    kind: DocumentKind
    names: KindNames
    series: SeriesRules
    xml: XmlFormat
    print_templates: Mapping[Layout, str]
    notice_message: str

    @property
    def default_layout(self) -> Layout:
        """The layout a document of this kind is printed in when nobody chose one."""
        return next(iter(self.print_templates))


KINDS: dict[DocumentKind, KindRow] = {
    kind: KindRow(kind, NAMES[kind], SERIES_RULES[kind], FORMATS[kind], PRINT_TEMPLATES[kind], NOTICE_MESSAGES[kind])
    for kind in DocumentKind
}
#: Every message type that carries an error notice.
NOTICE_MESSAGE_TYPES: frozenset[str] = frozenset(NOTICE_MESSAGES.values())


def row_of(kind: DocumentKind | str) -> KindRow:
    """Return the row of ``kind`` (a member or its value as stored); raise ``ValueError`` for an unknown kind."""
    return KINDS[DocumentKind(kind)]


def row_of_document(document: Document) -> KindRow:
    """Return the row of ``document``'s kind."""
    return KINDS[document.kind]


def row_of_root(root_tag: str) -> KindRow | None:
    """Return the row of the kind whose XML root is ``root_tag``, or ``None``."""
    xml = BY_ROOT.get(root_tag)
    return None if xml is None else KINDS[xml.kind]
