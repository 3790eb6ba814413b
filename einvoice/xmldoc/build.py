"""Domain documents → compact UTF-8 XML in the national format. This module writes; it never reads a document.

The bytes it returns are final: no whitespace between tags, elements in the order of the format tables, empty
optional elements left out, numbers without exponent or grouping, dates ``YYYY-MM-DD``, text NFC-normalised. The
signer splices its signature into the empty ``DSCKS`` element of these bytes; nothing re-serialises them afterwards.

The XML is written as text exactly as libxml2 serialises a tree (``_Writer``; the golden files hold it to that byte
for byte): making one lxml element per value from Python cost more than all the rest of building and validating a
1-line document. The ``*_for_signing`` variants parse their own output once, with the hardened parser, for the
signer's canonical form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from einvoice.domain.documents import Document, Invoice, InvoiceLine, Receipt, RelatedDocument
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.money import format_decimal
from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.qrdata import document_qr_payload
from einvoice.xmldoc import formats
from einvoice.xmldoc.safe import parse_untrusted

Value = str | int | Decimal | date | None

#: What the builder escapes in text, as libxml2 serialises text (``>`` too, and a carriage return as a reference).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
#: Characters XML 1.0 forbids in text (lone surrogates fail at encoding, as they did in lxml).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Either of the above: text without any is written as it is (the usual case, one search).
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Value) -> str | None:
    """Return the escaped text of a value, or ``None`` when the element is to be left out."""
    # Checked most common first: this runs for every element of every document built.
    if isinstance(value, str):
        text = unicodedata.normalize("NFC", value)
        if not text:
            return None
        if _SPECIAL.search(text) is None:
            return text
        if _NOT_XML.search(text):
            raise ValueError(
                "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
            )
        return text.translate(_ESCAPES)
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, int):
        return str(value)
    return value.isoformat()


class _Writer:
    """Writes compact XML as libxml2 serialises a tree: no whitespace, empty elements as ``<tag/>``.

    Elements are written in order (a parent opened, its children, the parent closed); building a tree of lxml
    elements and serialising it cost about twice the rest of building and validating a 1-line document.
    """

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def open(self, tag: str, attributes: str = "") -> int:
        """Open ``<tag>``; return the mark :meth:`close` takes."""
        self.parts.append(f"<{tag}{attributes}>")
        return len(self.parts)

    def close(self, tag: str, mark: int) -> None:
        """Close the element opened at ``mark``; an element that got no child is written ``<tag/>``."""
        if len(self.parts) == mark:
            self.parts[-1] = self.parts[-1][:-1] + "/>"
        else:
            self.parts.append(f"</{tag}>")

    def add(self, tag: str, value: Value) -> None:
        """Write ``<tag>value</tag>`` unless the value is empty."""
        text = _text(value)
        if text is not None:
            self.parts.append(f"<{tag}>{text}</{tag}>")

    def add_all(self, fields: Iterable[tuple[str, Value]]) -> None:
        """Write each non-empty ``(tag, value)`` in order."""
        parts = self.parts
        for tag, value in fields:
            if value is not None and (text := _text(value)) is not None:
                parts.append(f"<{tag}>{text}</{tag}>")

    def element(self, tag: str, fields: Iterable[tuple[str, Value]]) -> None:
        """Write ``<tag>`` holding the non-empty fields (``<tag/>`` when none is)."""
        mark = self.open(tag)
        self.add_all(fields)
        self.close(tag, mark)

    def bytes(self) -> bytes:
        """Return the document: the XML declaration, then everything written, in UTF-8."""
        return formats.XML_DECLARATION + "".join(self.parts).encode("utf-8")


def _lookup(out: _Writer, code: str | None) -> None:
    if code:
        other = out.open("TTKhac")
        out.element("TTin", (("TTruong", formats.LOOKUP_FIELD), ("KDLieu", "string"), ("DLieu", code)))
        out.close("TTKhac", other)


#: Tags of the related-document block: invoices (``TTHDLQuan``, format 2.1.0) and our receipts (``TTCTLQuan``, named
#: like the authority's voucher family, ``vn-einvoice-2026.md`` §1.4).
_RELATED_TAGS = {
    DocumentKind.INVOICE: ("TTHDLQuan", "TCHDon", "LHDCLQuan", "KHMSHDCLQuan", "KHHDCLQuan", "SHDCLQuan", "NLHDCLQuan"),
    DocumentKind.RECEIPT: ("TTCTLQuan", "TCCTu", "LHCTLQuan", "KHMSCTCLQuan", "KHCTCLQuan", "SCTCLQuan", "NLCTCLQuan"),
}


def _related(out: _Writer, related: RelatedDocument | None, kind: DocumentKind = DocumentKind.INVOICE) -> None:
    if related is None:
        return
    block, *tags = _RELATED_TAGS[kind]
    values: tuple[Value, ...] = (
        int(related.kind),
        related.original_type,
        related.template,
        related.series,
        related.number,
        related.issue_date,
    )
    out.element(block, (*zip(tags, values, strict=True), ("GChu", related.note)))


def _seller(out: _Writer, tag: str, seller: Seller, *, receipt: bool, cashier: str | None = None) -> None:
    mark = out.open(tag)
    out.add_all((("Ten", seller.name), ("MST", seller.tax_code)))
    if receipt:
        out.add("MDVQHNSach", seller.budget_unit_code)
    out.add_all(
        (
            ("DChi", seller.address),
            ("SDThoai", seller.phone),
            ("DCTDTu", seller.email),
            ("STKNHang", seller.bank_account),
            ("TNHang", seller.bank_name),
        ),
    )
    if not receipt:
        out.add_all((("Fax", seller.fax), ("Website", seller.website)))
    out.add("HVTNThu", cashier)
    out.close(tag, mark)


def _invoice_buyer(out: _Writer, buyer: Buyer) -> None:
    out.element(
        "NMua",
        (
            ("Ten", buyer.name),
            ("MST", buyer.tax_code),
            ("MDVQHNSach", buyer.budget_unit_code),
            ("DChi", buyer.address),
            ("MKHang", buyer.customer_code),
            ("SDThoai", buyer.phone),
            ("CCCDan", buyer.citizen_id),
            ("SHChieu", buyer.passport),
            ("DCTDTu", buyer.email),
            ("HVTNMHang", buyer.contact_name),
            ("STKNHang", buyer.bank_account),
            ("TNHang", buyer.bank_name),
        ),
    )


def _line(out: _Writer, line: InvoiceLine) -> None:
    out.element(
        "HHDVu",
        (
            ("TChat", int(line.nature)),
            ("STT", line.line_no),
            ("MHHDVu", line.item_code),
            ("THHDVu", line.name),
            ("DVTinh", line.unit),
            ("SLuong", line.quantity),
            ("DGia", line.unit_price),
            ("TLCKhau", line.discount_rate),
            ("STCKhau", line.discount_amount),
            ("ThTien", line.amount),
            ("TSuat", None if line.vat_rate is None else line.vat_rate.code),
        ),
    )


def _invoice_totals(out: _Writer, invoice: Invoice) -> None:
    totals = invoice.totals
    mark = out.open("TToan")
    if totals.rate_groups:
        groups = out.open("THTTLTSuat")
        for group in totals.rate_groups:
            out.element(
                "LTSuat",
                (
                    ("TSuat", group.rate.code),
                    ("ThTien", group.taxable_amount),
                    ("TThue", group.tax_amount),
                ),
            )
        out.close("THTTLTSuat", groups)
    if totals.total_tax is not None:
        out.add_all((("TgTCThue", totals.total_before_tax), ("TgTThue", totals.total_tax)))
    out.add_all(
        (
            ("TTCKTMai", totals.trade_discount_total),
            ("TgTTTBSo", totals.total_payable),
            ("TgTTTBChu", totals.total_in_words),
        ),
    )
    out.close("TToan", mark)


@dataclass(frozen=True, slots=True)
class BuiltDocument:
    """What the builder made: the final unsigned bytes, their data element as parsed from them, and its source.

    The signer canonicalises ``data`` (the ``DLHDon``/``DLBLai`` element, never changed) instead of parsing and
    checking ``xml`` as an outside document (:func:`einvoice.xmldoc.sign.sign_built`); issue-time validation checks
    the XSD on that same tree and the rules on ``document`` instead of reading ``xml`` back
    (:func:`einvoice.xmldoc.validate.validate_document`). Invoices and receipts are made only by this module.
    """

    xml: bytes
    root_tag: str
    data_id: str
    data: etree._Element
    #: The document the bytes were built from (``None`` for messages that are not invoices or receipts).
    document: Document | None = None


def _qr(document: Document) -> str:
    return document_qr_payload(
        seller_tax_code=document.issuer.tax_code,
        template=document.template,
        series=document.series,
        number=document.number,
        issue_date=document.issue_date,
        total=document.total_payable,
    )


def _finish(out: _Writer, root: str, qr: str, signer_slot: str) -> bytes:
    out.add("DLQRCode", qr)
    out.parts.append(f"<DSCKS><{signer_slot}/></DSCKS></{root}>")
    return out.bytes()


def _built(document: Document) -> BuiltDocument:
    """Return the bytes of ``document`` with the data element of their parse, which the signer canonicalises."""
    xml_format = formats.FORMATS[document.kind]
    xml = build_document(document)
    root = parse_untrusted(xml)
    return BuiltDocument(xml, xml_format.root, xml_format.data, root[0], document)


def build_document(document: Document) -> bytes:
    """Return the unsigned compact XML of a document of any kind, ready for the signer."""
    return _TREES[document.kind](document)


def build_for_signing(document: Document) -> BuiltDocument:
    """Return the unsigned XML of a document of any kind with its in-memory signed element, for ``sign_built``."""
    return _built(document)


def build_invoice(invoice: Invoice) -> bytes:
    """Return the unsigned compact XML of ``invoice`` (root ``HDon``), ready for the signer."""
    return _invoice_xml(invoice)


def build_invoice_for_signing(invoice: Invoice) -> BuiltDocument:
    """Return the unsigned XML of ``invoice`` with its in-memory ``DLHDon``, for :func:`sign_built`."""
    return _built(invoice)


def build_receipt(receipt: Receipt) -> bytes:
    """Return the unsigned compact XML of ``receipt`` (root ``BLai``), ready for the signer."""
    return _receipt_xml(receipt)


def build_receipt_for_signing(receipt: Receipt) -> BuiltDocument:
    """Return the unsigned XML of ``receipt`` with its in-memory ``DLBLai``, for :func:`sign_built`."""
    return _built(receipt)


def _invoice_xml(invoice: Invoice) -> bytes:
    xml = formats.INVOICE
    out = _Writer()
    out.open(xml.root)
    out.open(xml.data, f' Id="{xml.data}"')
    general = out.open("TTChung")
    out.add_all(
        (
            ("PBan", xml.version),
            ("THDon", invoice.title),
            (xml.template_tag, invoice.template),
            (xml.series_tag, invoice.series),
            ("SHDon", invoice.number),
            ("MHSo", invoice.dossier_code),
            ("NLap", invoice.issue_date),
            ("HDCTTChinh", int(invoice.financial_leasing)),
            ("DVTTe", invoice.currency),
            ("TGia", invoice.exchange_rate),
            ("HTTToan", invoice.payment_method),
            ("MSTTCGP", invoice.provider_tax_code),
        ),
    )
    _related(out, invoice.related)
    _lookup(out, invoice.lookup_code)
    out.close("TTChung", general)
    content = out.open(xml.content)
    _seller(out, xml.issuer_slot, invoice.seller, receipt=False)
    _invoice_buyer(out, invoice.buyer)
    lines = out.open("DSHHDVu")
    for line in invoice.lines:
        _line(out, line)
    out.close("DSHHDVu", lines)
    _invoice_totals(out, invoice)
    out.close(xml.content, content)
    out.parts.append(f"</{xml.data}>")
    return _finish(out, xml.root, _qr(invoice), xml.issuer_slot)


def _receipt_xml(receipt: Receipt) -> bytes:
    xml = formats.RECEIPT
    out = _Writer()
    out.open(xml.root)
    out.open(xml.data, f' Id="{xml.data}"')
    general = out.open("TTChung")
    out.add_all(
        (
            ("PBan", xml.version),
            ("TBLai", receipt.title),
            (xml.template_tag, receipt.template),
            (xml.series_tag, receipt.series),
            ("SBLai", receipt.number),
            ("MHSo", receipt.dossier_code),
            ("NLap", receipt.issue_date),
            ("DVTTe", receipt.currency),
            ("TGia", receipt.exchange_rate),
            ("HTTToan", receipt.payment_method),
            ("MSTTCGP", receipt.provider_tax_code),
        ),
    )
    _related(out, receipt.related, DocumentKind.RECEIPT)
    _lookup(out, receipt.lookup_code)
    out.close("TTChung", general)
    content = out.open(xml.content)
    _seller(out, xml.issuer_slot, receipt.collector, receipt=True, cashier=receipt.cashier_name)
    p = receipt.payer
    out.element(
        "NNop",
        (
            ("Ten", p.name),
            ("MST", p.tax_code),
            ("MDVQHNSach", p.budget_unit_code),
            ("DChi", p.address),
            ("CCCDan", p.citizen_id),
            ("SHChieu", p.passport),
            ("SDThoai", p.phone),
            ("DCTDTu", p.email),
            ("STKNHang", p.bank_account),
            ("TNHang", p.bank_name),
        ),
    )
    fees = out.open("DSPhi")
    for fee in receipt.fees:
        out.element(
            "LPhi",
            (
                ("STT", fee.line_no),
                ("MLPhi", fee.code),
                ("TLPhi", fee.name),
                ("CCPLy", fee.legal_basis),
                ("DVTinh", fee.unit),
                ("SLuong", fee.quantity),
                ("DGia", fee.unit_price),
                ("TPhi", fee.amount),
            ),
        )
    out.close("DSPhi", fees)
    out.element("TToan", (("TgTTTBSo", receipt.total), ("TgTTTBChu", receipt.total_in_words)))
    out.close(xml.content, content)
    out.parts.append(f"</{xml.data}>")
    return _finish(out, xml.root, _qr(receipt), xml.issuer_slot)


#: The builder of each kind: a new kind adds its writing function here (its XML format is a row of ``formats``).
_TREES: dict[DocumentKind, Callable[[Any], bytes]] = {
    DocumentKind.INVOICE: _invoice_xml,
    DocumentKind.RECEIPT: _receipt_xml,
}
