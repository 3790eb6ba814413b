"""Signed or unsigned XML → domain documents, read leniently so that every problem can be reported.

Absent elements are read as empty values (the XSD reports them); values present but unreadable are problems.

Input always goes through :func:`einvoice.xmldoc.safe.parse_untrusted` first. The reader accepts our own invoices and
receipts, other providers' invoices of format 2.0.0–2.1.0, and a ``TDiep`` message wrapping one. A value it cannot
read (a malformed number, date or rate) becomes a :class:`~einvoice.domain.errors.Problem` and is left empty, so that
the business rules still run on the rest; :func:`parse_document` raises when any such problem was found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from einvoice.domain.documents import (
    CorrectionKind,
    Document,
    FeeLine,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    LineNature,
    RateGroup,
    Receipt,
    RelatedDocument,
)
from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.money import VND, fits_format
from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.rates import UnknownRateError, VatRate
from einvoice.xmldoc import formats
from einvoice.xmldoc.safe import parse_untrusted

_DOCUMENT_ROOTS = tuple(formats.BY_ROOT)


def load_root(xml: bytes) -> etree._Element:
    """Parse untrusted bytes and return the ``HDon`` or ``BLai`` element, unwrapping a ``TDiep`` message."""
    root = parse_untrusted(xml)
    if root.tag == "TDiep":
        for candidate in root.iterfind("DLieu/*"):
            if candidate.tag in _DOCUMENT_ROOTS:
                return candidate
    if root.tag in _DOCUMENT_ROOTS:
        return root
    raise InvalidDocumentError(
        [
            Problem(
                "XML_UNKNOWN_ROOT",
                f"/{root.tag}",
                f"Phần tử gốc <{root.tag}> không phải hóa đơn (HDon) hay biên lai (BLai).",
                f"root element <{root.tag}> is neither an invoice (HDon) nor a receipt (BLai)",
            )
        ]
    )


def _plain_fit(text: str) -> bool:
    """Whether ``text``, which ``Decimal`` read as a finite number, is plainly one of the format (≤ 21 characters,
    ≤ 6 decimals, no exponent)."""
    if len(text) > 21 or not text or text[-1] not in _DIGIT_CHARS:
        return False  # long, or "Infinity"/"NaN"/"1E5"-like: left to the full check
    dot = text.find(".")
    return "e" not in text and "E" not in text and (dot < 0 or len(text) - dot - 1 <= 6)


_DIGIT_CHARS = frozenset("0123456789")


class _Reader:
    """Reads values below one element, recording a problem for each value it cannot read."""

    def __init__(self, root: etree._Element) -> None:
        self.tree = root.getroottree()
        self.problems: list[Problem] = []
        self._fields: dict[etree._Element, dict[str, str | None]] = {}

    def path(self, parent: etree._Element, tag: str = "") -> str:
        base = self.tree.getpath(parent)
        return f"{base}/{tag}" if tag else base

    def problem(self, code: str, path: str, vi: str, en: str) -> None:
        self.problems.append(Problem(code, path, vi, en))

    def fields(self, parent: etree._Element | None) -> dict[str, str | None]:
        """Return the texts of the children of ``parent`` by tag (the first of a tag wins); {} when absent."""
        if parent is None:
            return {}
        fields = self._fields.get(parent)
        if fields is None:  # indexed once per element: its values are read one after another
            fields = self._fields[parent] = {}
            for child in parent:
                tag = child.tag
                if type(tag) is str and tag not in fields:
                    fields[tag] = child.text
        return fields

    def text(self, parent: etree._Element | None, tag: str) -> str | None:
        return self.fields(parent).get(tag)

    def required(self, parent: etree._Element | None, tag: str) -> str:
        """Return the text of a mandatory element, or '' when absent: the XSD reports absences, not the reader."""
        return self.text(parent, tag) or ""

    def decimal(self, parent: etree._Element | None, tag: str) -> Decimal | None:
        raw = self.text(parent, tag)
        if raw is None or parent is None:
            return None
        stripped = raw.strip()
        try:
            value = Decimal(stripped)
        except InvalidOperation:
            value = Decimal("NaN")
        if value.is_finite() and _plain_fit(stripped):  # the usual case; fits_format decides the rest
            return value
        if not value.is_finite():
            self.problem(
                "XML_NUMBER",
                self.path(parent, tag),
                f"Giá trị '{raw}' không phải là số.",
                f"'{raw}' is not a number",
            )
            return None
        if not fits_format(value):
            self.problem(
                "XML_NUMBER_RANGE",
                self.path(parent, tag),
                f"Số '{raw}' vượt quá 21 chữ số hoặc 6 chữ số thập phân.",
                f"'{raw}' has more than 21 digits or 6 decimals",
            )
            return None
        return value

    def integer(self, parent: etree._Element | None, tag: str) -> int | None:
        value = self.decimal(parent, tag)
        if value is None or parent is None:
            return None
        if value != value.to_integral_value():
            self.problem(
                "XML_INTEGER",
                self.path(parent, tag),
                f"Giá trị '{value}' phải là số nguyên.",
                f"'{value}' must be a whole number",
            )
            return None
        return int(value)

    def date(self, parent: etree._Element | None, tag: str) -> date | None:
        raw = self.text(parent, tag)
        if not raw or parent is None:
            return None
        try:
            return date.fromisoformat(raw.strip()[:10])
        except ValueError:
            self.problem(
                "XML_DATE",
                self.path(parent, tag),
                f"Ngày '{raw}' không đúng định dạng YYYY-MM-DD.",
                f"'{raw}' is not a YYYY-MM-DD date",
            )
            return None

    def rate(self, parent: etree._Element, tag: str = "TSuat") -> VatRate | None:
        raw = self.text(parent, tag)
        if raw is None:
            return None
        try:
            return VatRate.parse(raw)
        except UnknownRateError:
            self.problem(
                "XML_RATE",
                self.path(parent, tag),
                f"Thuế suất '{raw}' không thuộc danh mục thuế suất.",
                f"unknown VAT rate '{raw}'",
            )
            return None

    def lookup_code(self, general: etree._Element | None) -> str | None:
        if general is None:
            return None
        for info in general.iterfind("TTKhac/TTin"):
            if self.text(info, "TTruong") == formats.LOOKUP_FIELD:
                return self.text(info, "DLieu")
        return None


def _seller(r: _Reader, node: etree._Element | None) -> Seller:
    f = r.fields(node)
    return Seller(
        name=f.get("Ten") or "",
        tax_code=f.get("MST") or "",
        address=f.get("DChi") or "",
        phone=f.get("SDThoai"),
        email=f.get("DCTDTu"),
        bank_account=f.get("STKNHang"),
        bank_name=f.get("TNHang"),
        budget_unit_code=f.get("MDVQHNSach"),
        fax=f.get("Fax"),
        website=f.get("Website"),
    )


def _buyer(r: _Reader, node: etree._Element | None) -> Buyer:
    f = r.fields(node)
    return Buyer(
        name=f.get("Ten"),
        tax_code=f.get("MST"),
        budget_unit_code=f.get("MDVQHNSach"),
        address=f.get("DChi"),
        customer_code=f.get("MKHang"),
        phone=f.get("SDThoai"),
        citizen_id=f.get("CCCDan"),
        passport=f.get("SHChieu"),
        email=f.get("DCTDTu"),
        contact_name=f.get("HVTNMHang"),
        bank_account=f.get("STKNHang"),
        bank_name=f.get("TNHang"),
    )


def _line(r: _Reader, node: etree._Element) -> InvoiceLine:
    nature_value = r.integer(node, "TChat")
    try:
        nature = LineNature(nature_value if nature_value is not None else 1)
    except ValueError:
        r.problem(
            "XML_LINE_NATURE",
            r.path(node, "TChat"),
            f"Tính chất dòng '{nature_value}' không hợp lệ (1–4).",
            f"line nature '{nature_value}' is not 1–4",
        )
        nature = LineNature.GOODS
    return InvoiceLine(
        nature=nature,
        name=r.required(node, "THHDVu"),
        amount=r.decimal(node, "ThTien"),
        line_no=r.integer(node, "STT"),
        item_code=r.text(node, "MHHDVu"),
        unit=r.text(node, "DVTinh"),
        quantity=r.decimal(node, "SLuong"),
        unit_price=r.decimal(node, "DGia"),
        discount_rate=r.decimal(node, "TLCKhau"),
        discount_amount=r.decimal(node, "STCKhau"),
        vat_rate=r.rate(node),
    )


#: Tags of the related-document block: kind, original type, template, series, number, date (invoices, receipts).
_INVOICE_RELATED = ("TCHDon", "LHDCLQuan", "KHMSHDCLQuan", "KHHDCLQuan", "SHDCLQuan", "NLHDCLQuan")
_RECEIPT_RELATED = ("TCCTu", "LHCTLQuan", "KHMSCTCLQuan", "KHCTCLQuan", "SCTCLQuan", "NLCTCLQuan")


def _related(
    r: _Reader, node: etree._Element | None, tags: tuple[str, ...] = _INVOICE_RELATED
) -> RelatedDocument | None:
    if node is None:
        return None
    kind_tag, type_tag, template_tag, series_tag, number_tag, date_tag = tags
    kind = r.integer(node, kind_tag)
    original_date = r.date(node, date_tag)
    return RelatedDocument(
        kind=CorrectionKind.ADJUSTMENT if kind == 2 else CorrectionKind.REPLACEMENT,
        template=r.required(node, template_tag),
        series=r.required(node, series_tag),
        number=r.required(node, number_tag),
        issue_date=original_date or date.min,
        original_type=r.integer(node, type_tag) or 1,
        note=r.text(node, "GChu"),
    )


def _invoice_totals(r: _Reader, node: etree._Element | None) -> InvoiceTotals:
    groups = []
    if node is not None:
        for group in node.iterfind("THTTLTSuat/LTSuat"):
            rate = r.rate(group)
            if rate is not None:
                groups.append(
                    RateGroup(rate, r.decimal(group, "ThTien") or Decimal(0), r.decimal(group, "TThue") or Decimal(0))
                )
    payable = r.decimal(node, "TgTTTBSo")
    payable = payable if payable is not None else Decimal(0)
    before_tax = r.decimal(node, "TgTCThue")
    return InvoiceTotals(
        rate_groups=tuple(groups),
        total_before_tax=before_tax if before_tax is not None else payable,
        total_tax=r.decimal(node, "TgTThue"),
        trade_discount_total=r.decimal(node, "TTCKTMai") or Decimal(0),
        total_payable=payable,
        total_in_words=r.required(node, "TgTTTBChu"),
    )


def _read_invoice(r: _Reader, root: etree._Element) -> Invoice:
    xml = formats.INVOICE
    data = root.find(xml.data)
    general = None if data is None else data.find("TTChung")
    content = None if data is None else data.find(xml.content)
    lines_node = None if content is None else content.find("DSHHDVu")
    g = r.fields(general)
    return Invoice(
        template=g.get(xml.template_tag) or "",
        series=g.get(xml.series_tag) or "",
        issue_date=r.date(general, "NLap") or date.min,
        seller=_seller(r, None if content is None else content.find(xml.issuer_slot)),
        buyer=_buyer(r, None if content is None else content.find("NMua")),
        lines=tuple(_line(r, n) for n in ([] if lines_node is None else lines_node.iterfind("HHDVu"))),
        totals=_invoice_totals(r, None if content is None else content.find("TToan")),
        title=g.get("THDon") or "",
        provider_tax_code=g.get("MSTTCGP") or "",
        number=r.integer(general, "SHDon"),
        currency=g.get("DVTTe") or VND,
        exchange_rate=r.decimal(general, "TGia"),
        payment_method=g.get("HTTToan") or "",
        dossier_code=g.get("MHSo"),
        financial_leasing=g.get("HDCTTChinh") == "1",
        related=_related(r, None if general is None else general.find("TTHDLQuan")),
        lookup_code=r.lookup_code(general),
    )


def _fee(r: _Reader, node: etree._Element) -> FeeLine:
    return FeeLine(
        name=r.required(node, "TLPhi"),
        unit_price=r.decimal(node, "DGia") or Decimal(0),
        amount=r.decimal(node, "TPhi") or Decimal(0),
        quantity=r.decimal(node, "SLuong") or Decimal(1),
        line_no=r.integer(node, "STT"),
        code=r.text(node, "MLPhi"),
        legal_basis=r.text(node, "CCPLy"),
        unit=r.text(node, "DVTinh"),
    )


def _read_receipt(r: _Reader, root: etree._Element) -> Receipt:
    xml = formats.RECEIPT
    data = root.find(xml.data)
    general = None if data is None else data.find("TTChung")
    content = None if data is None else data.find(xml.content)
    collector = None if content is None else content.find(xml.issuer_slot)
    fees = [] if content is None else content.findall("DSPhi/LPhi")
    totals = None if content is None else content.find("TToan")
    total = r.decimal(totals, "TgTTTBSo")
    return Receipt(
        template=r.required(general, xml.template_tag),
        series=r.required(general, xml.series_tag),
        issue_date=r.date(general, "NLap") or date.min,
        collector=_seller(r, collector),
        payer=_buyer(r, None if content is None else content.find("NNop")),
        fees=tuple(_fee(r, n) for n in fees),
        total=total if total is not None else Decimal(0),
        total_in_words=r.required(totals, "TgTTTBChu"),
        title=r.text(general, "TBLai") or "",
        number=r.integer(general, "SBLai"),
        currency=r.text(general, "DVTTe") or VND,
        exchange_rate=r.decimal(general, "TGia"),
        payment_method=r.text(general, "HTTToan") or "",
        provider_tax_code=r.text(general, "MSTTCGP"),
        dossier_code=r.text(general, "MHSo"),
        cashier_name=r.text(collector, "HVTNThu"),
        related=_related(r, None if general is None else general.find("TTCTLQuan"), _RECEIPT_RELATED),
        lookup_code=r.lookup_code(general),
    )


#: The reader of each kind: a new kind adds its reading function here (its XML format is a row of ``formats``).
_READERS: dict[DocumentKind, Callable[[_Reader, etree._Element], Document]] = {
    DocumentKind.INVOICE: _read_invoice,
    DocumentKind.RECEIPT: _read_receipt,
}


def read_document(root: etree._Element) -> tuple[Document, list[Problem]]:
    """Read an ``HDon`` or ``BLai`` element into a document, with the problems met while reading."""
    reader = _Reader(root)
    document = _READERS[formats.BY_ROOT[str(root.tag)].kind](reader, root)
    return document, reader.problems


def parse_document(xml: bytes) -> Document:
    """Parse untrusted bytes into an invoice or a receipt; raise if anything could not be read."""
    document, problems = read_document(load_root(xml))
    if problems:
        raise InvalidDocumentError(problems)
    return document
