"""The kinds of document the service issues (loại chứng từ), as the domain names them.

:class:`DocumentKind` is the one name of a kind everywhere: the ``kind`` of a document, of a series row, of a stored
document, of a draft and of a JSON request. The complete per-kind table (XML root, format version, XSD, signature
layout, builder, reader, print layouts) is :data:`einvoice.kinds.KINDS`; the domain's own columns are here (names)
and in :mod:`einvoice.domain.series` (templates and series rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DocumentKind(StrEnum):
    """What a document is; the value is the word the API, the database and the JSON documents use."""

    INVOICE = "invoice"  # hóa đơn (Decree 123/2020, Circular 78/2021)
    RECEIPT = "receipt"  # biên lai thu phí, lệ phí (Circular 32/2025)


@dataclass(frozen=True, slots=True)
class KindNames:
    """How people call a kind and its other party: the nouns in running text, in Vietnamese and in English."""

    noun_vi: str
    noun_en: str
    party_vi: str  # the other party: an invoice's buyer, a receipt's payer
    party_en: str


NAMES: dict[DocumentKind, KindNames] = {
    DocumentKind.INVOICE: KindNames("hóa đơn", "invoice", "người mua", "buyer"),
    DocumentKind.RECEIPT: KindNames("biên lai", "receipt", "người nộp", "payer"),
}
