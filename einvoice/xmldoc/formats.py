"""The XML formats we emit, one row per kind of document (choices 1 and 7): root, version, XSD, tags, signatures.

This is the XML column of the table of kinds (:mod:`einvoice.kinds`). Changing a version is a change here, in the
matching XSD under ``schemas/``, and in the golden files; adding a kind is a row here, an XSD, a builder in
:mod:`einvoice.xmldoc.build` and a reader in :mod:`einvoice.xmldoc.parse`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from einvoice.domain.kinds import DocumentKind


@dataclass(frozen=True, slots=True)
class XmlFormat:
    """How one kind of document is written in XML, and where its signatures go."""

    kind: DocumentKind
    version: str  # PBan
    root: str
    data: str  # the signed element, whose Id is its own tag
    content: str  # the content element under ``data`` (NDHDon, NDBLai)
    schema: str  # file name under schemas/
    template_tag: str
    series_tag: str
    #: The issuer's signature slot under ``DSCKS`` (seller ``NBan``; receipts: the collector ``DVThu``).
    issuer_slot: str
    #: Every signature slot under ``DSCKS`` that we verify, issuer first.
    signature_slots: tuple[str, ...]
    #: Versions of other providers' documents we read and verify but never emit.
    readable_versions: frozenset[str]

    def general_path(self, tag: str) -> str:
        """Return the XML path of ``tag`` in the general information (``TTChung``)."""
        return f"/{self.root}/{self.data}/TTChung/{tag}"

    def content_path(self, tail: str) -> str:
        """Return the XML path of ``tail`` below the content element."""
        return f"/{self.root}/{self.data}/{self.content}/{tail}"


#: Invoices: the national format of QĐ 1271/QĐ-CT.
INVOICE: Final = XmlFormat(
    kind=DocumentKind.INVOICE,
    version="2.1.0",
    root="HDon",
    data="DLHDon",
    content="NDHDon",
    schema="hdon-2.1.0.xsd",
    template_tag="KHMSHDon",
    series_tag="KHHDon",
    issuer_slot="NBan",
    signature_slots=("NBan", "NMua", "CQT"),
    readable_versions=frozenset({"2.0.0", "2.0.1", "2.1.0"}),
)
#: Receipts: our own format until the authority publishes one.
RECEIPT: Final = XmlFormat(
    kind=DocumentKind.RECEIPT,
    version="1.0.0",
    root="BLai",
    data="DLBLai",
    content="NDBLai",
    schema="blai-1.0.0.xsd",
    template_tag="KHMSBLai",
    series_tag="KHBLai",
    issuer_slot="DVThu",
    signature_slots=("DVThu",),
    readable_versions=frozenset({"1.0.0"}),
)
FORMATS: Final[dict[DocumentKind, XmlFormat]] = {INVOICE.kind: INVOICE, RECEIPT.kind: RECEIPT}
BY_ROOT: Final[dict[str, XmlFormat]] = {row.root: row for row in FORMATS.values()}

# The names of the invoice and receipt rows, as the builder, the reader and the schemas use them.
INVOICE_VERSION: Final = INVOICE.version
INVOICE_ROOT: Final = INVOICE.root
INVOICE_DATA: Final = INVOICE.data
INVOICE_SCHEMA: Final = INVOICE.schema
READABLE_INVOICE_VERSIONS: Final = INVOICE.readable_versions
RECEIPT_VERSION: Final = RECEIPT.version
RECEIPT_ROOT: Final = RECEIPT.root
RECEIPT_DATA: Final = RECEIPT.data
RECEIPT_SCHEMA: Final = RECEIPT.schema

#: The ``TTKhac/TTin/TTruong`` that carries the lookup code (choice 10).
LOOKUP_FIELD: Final = "MaTraCuu"
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>'
