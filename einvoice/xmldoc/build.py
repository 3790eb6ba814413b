"""Domain documents → compact UTF-8 XML in the national format. This module builds; it never parses.

The bytes it returns are final: no whitespace between tags, elements in the order of the format tables, empty
optional elements left out, numbers without exponent or grouping, dates ``YYYY-MM-DD``, text NFC-normalised. The
signer splices its signature into the empty ``DSCKS`` element of these bytes; nothing re-serialises them afterwards.
"""

from __future__ import annotations

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

Value = str | int | Decimal | date | None
_sub = etree.SubElement


def _text(value: Value) -> str | None:
    # Checked most common first: this runs for every element of every document built.
    kind = type(value)
    if kind is str:
        return unicodedata.normalize("NFC", value) or None  # type: ignore[arg-type]
    if value is None:
        return None
    if kind is Decimal:
        return format_decimal(value)  # type: ignore[arg-type]
    if kind is int:
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, int):
        return str(value)
    text = unicodedata.normalize("NFC", value)
    return text or None


def _add(parent: etree._Element, tag: str, value: Value) -> None:
    """Append ``<tag>value</tag>`` unless the value is empty."""
    text = _text(value)
    if text is not None:
        _sub(parent, tag).text = text


def _add_all(parent: etree._Element, fields: Iterable[tuple[str, Value]]) -> None:
    for tag, value in fields:
        text = _text(value)
        if text is not None:
            _sub(parent, tag).text = text


def _lookup(parent: etree._Element, code: str | None) -> None:
    if code:
        info = etree.SubElement(etree.SubElement(parent, "TTKhac"), "TTin")
        _add_all(info, (("TTruong", formats.LOOKUP_FIELD), ("KDLieu", "string"), ("DLieu", code)))


#: Tags of the related-document block: invoices (``TTHDLQuan``, format 2.1.0) and our receipts (``TTCTLQuan``, named
#: like the authority's voucher family, ``vn-einvoice-2026.md`` §1.4).
_RELATED_TAGS = {
    DocumentKind.INVOICE: ("TTHDLQuan", "TCHDon", "LHDCLQuan", "KHMSHDCLQuan", "KHHDCLQuan", "SHDCLQuan", "NLHDCLQuan"),
    DocumentKind.RECEIPT: ("TTCTLQuan", "TCCTu", "LHCTLQuan", "KHMSCTCLQuan", "KHCTCLQuan", "SCTCLQuan", "NLCTCLQuan"),
}


def _related(
    parent: etree._Element, related: RelatedDocument | None, kind: DocumentKind = DocumentKind.INVOICE
) -> None:
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
    node = etree.SubElement(parent, block)
    _add_all(node, (*zip(tags, values, strict=True), ("GChu", related.note)))


def _seller(parent: etree._Element, tag: str, seller: Seller, *, receipt: bool) -> etree._Element:
    node = etree.SubElement(parent, tag)
    _add_all(node, (("Ten", seller.name), ("MST", seller.tax_code)))
    if receipt:
        _add(node, "MDVQHNSach", seller.budget_unit_code)
    _add_all(
        node,
        (
            ("DChi", seller.address),
            ("SDThoai", seller.phone),
            ("DCTDTu", seller.email),
            ("STKNHang", seller.bank_account),
            ("TNHang", seller.bank_name),
        ),
    )
    if not receipt:
        _add_all(node, (("Fax", seller.fax), ("Website", seller.website)))
    return node


def _invoice_buyer(parent: etree._Element, buyer: Buyer) -> None:
    node = etree.SubElement(parent, "NMua")
    _add_all(
        node,
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


def _line(parent: etree._Element, line: InvoiceLine) -> None:
    node = etree.SubElement(parent, "HHDVu")
    _add_all(
        node,
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


def _invoice_totals(parent: etree._Element, invoice: Invoice) -> None:
    totals = invoice.totals
    node = etree.SubElement(parent, "TToan")
    if totals.rate_groups:
        groups = etree.SubElement(node, "THTTLTSuat")
        for group in totals.rate_groups:
            _add_all(
                etree.SubElement(groups, "LTSuat"),
                (
                    ("TSuat", group.rate.code),
                    ("ThTien", group.taxable_amount),
                    ("TThue", group.tax_amount),
                ),
            )
    if totals.total_tax is not None:
        _add_all(node, (("TgTCThue", totals.total_before_tax), ("TgTThue", totals.total_tax)))
    _add_all(
        node,
        (
            ("TTCKTMai", totals.trade_discount_total),
            ("TgTTTBSo", totals.total_payable),
            ("TgTTTBChu", totals.total_in_words),
        ),
    )


@dataclass(frozen=True, slots=True)
class BuiltDocument:
    """What the builder made: the final unsigned bytes, and the in-memory element they were serialised from.

    The signer canonicalises ``data`` (the ``DLHDon``/``DLBLai`` element, never changed after serialising) instead
    of parsing ``xml`` again (:func:`einvoice.xmldoc.sign.sign_built`); only this module makes them.
    """

    xml: bytes
    root_tag: str
    data_id: str
    data: etree._Element


def _qr(document: Document) -> str:
    return document_qr_payload(
        seller_tax_code=document.issuer.tax_code,
        template=document.template,
        series=document.series,
        number=document.number,
        issue_date=document.issue_date,
        total=document.total_payable,
    )


def _finish(root: etree._Element, qr: str, signer_slot: str) -> etree._Element:
    _add(root, "DLQRCode", qr)
    etree.SubElement(etree.SubElement(root, "DSCKS"), signer_slot)
    return root


def _serialize(root: etree._Element) -> bytes:
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return formats.XML_DECLARATION + body


def _built(root: etree._Element) -> BuiltDocument:
    data = root[0]
    data_id = data.get("Id")
    if data_id is None:  # pragma: no cover - every tree made here carries its Id
        raise ValueError("the data element has no Id")
    return BuiltDocument(_serialize(root), root.tag, data_id, data)


def build_document(document: Document) -> bytes:
    """Return the unsigned compact XML of a document of any kind, ready for the signer."""
    return _serialize(_TREES[document.kind](document))


def build_for_signing(document: Document) -> BuiltDocument:
    """Return the unsigned XML of a document of any kind with its in-memory signed element, for ``sign_built``."""
    return _built(_TREES[document.kind](document))


def build_invoice(invoice: Invoice) -> bytes:
    """Return the unsigned compact XML of ``invoice`` (root ``HDon``), ready for the signer."""
    return _serialize(_invoice_tree(invoice))


def build_invoice_for_signing(invoice: Invoice) -> BuiltDocument:
    """Return the unsigned XML of ``invoice`` with its in-memory ``DLHDon``, for :func:`sign_built`."""
    return _built(_invoice_tree(invoice))


def build_receipt(receipt: Receipt) -> bytes:
    """Return the unsigned compact XML of ``receipt`` (root ``BLai``), ready for the signer."""
    return _serialize(_receipt_tree(receipt))


def build_receipt_for_signing(receipt: Receipt) -> BuiltDocument:
    """Return the unsigned XML of ``receipt`` with its in-memory ``DLBLai``, for :func:`sign_built`."""
    return _built(_receipt_tree(receipt))


def _invoice_tree(invoice: Invoice) -> etree._Element:
    xml = formats.INVOICE
    root = etree.Element(xml.root)
    data = etree.SubElement(root, xml.data, Id=xml.data)
    general = etree.SubElement(data, "TTChung")
    _add_all(
        general,
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
    _related(general, invoice.related)
    _lookup(general, invoice.lookup_code)
    content = etree.SubElement(data, xml.content)
    _seller(content, xml.issuer_slot, invoice.seller, receipt=False)
    _invoice_buyer(content, invoice.buyer)
    lines = etree.SubElement(content, "DSHHDVu")
    for line in invoice.lines:
        _line(lines, line)
    _invoice_totals(content, invoice)
    return _finish(root, _qr(invoice), xml.issuer_slot)


def _receipt_tree(receipt: Receipt) -> etree._Element:
    xml = formats.RECEIPT
    root = etree.Element(xml.root)
    data = etree.SubElement(root, xml.data, Id=xml.data)
    general = etree.SubElement(data, "TTChung")
    _add_all(
        general,
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
    _related(general, receipt.related, DocumentKind.RECEIPT)
    _lookup(general, receipt.lookup_code)
    content = etree.SubElement(data, xml.content)
    collector = _seller(content, xml.issuer_slot, receipt.collector, receipt=True)
    _add(collector, "HVTNThu", receipt.cashier_name)
    payer = etree.SubElement(content, "NNop")
    p = receipt.payer
    _add_all(
        payer,
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
    fees = etree.SubElement(content, "DSPhi")
    for fee in receipt.fees:
        _add_all(
            etree.SubElement(fees, "LPhi"),
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
    _add_all(
        etree.SubElement(content, "TToan"),
        (("TgTTTBSo", receipt.total), ("TgTTTBChu", receipt.total_in_words)),
    )
    return _finish(root, _qr(receipt), xml.issuer_slot)


#: The builder of each kind: a new kind adds its tree function here (its XML format is a row of ``formats``).
_TREES: dict[DocumentKind, Callable[[Any], etree._Element]] = {
    DocumentKind.INVOICE: _invoice_tree,
    DocumentKind.RECEIPT: _receipt_tree,
}
