"""Invoices (hóa đơn) and fee receipts (biên lai thu phí, lệ phí) as immutable values.

Every kind of document answers the same four questions the same way, whatever its own field names: :attr:`kind`
(a :class:`~einvoice.domain.kinds.DocumentKind`), ``issuer`` (the seller, or the collecting organisation), ``party``
(the buyer, or the payer) and ``total_payable``. Code that needs only these takes a :data:`Document` and never asks
which class it has; what differs per kind is looked up in the table of kinds (:mod:`einvoice.kinds`).

A document holds what it states, including its line amounts and totals; :mod:`einvoice.domain.totals` computes them
when a document is made, and the validation rules recompute them when a document is read. Documents never change once
issued: a correction is a new document that refers to the original through :class:`RelatedDocument`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum
from typing import ClassVar

from einvoice.domain.kinds import DocumentKind
from einvoice.domain.money import VND
from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.rates import VatRate


class LineNature(IntEnum):
    """Nature of an invoice line (tính chất, ``TChat``)."""

    GOODS = 1  # hàng hóa, dịch vụ
    PROMOTION = 2  # khuyến mại: shown, never charged
    TRADE_DISCOUNT = 3  # chiết khấu thương mại: a positive amount the totals subtract
    NOTE = 4  # ghi chú, diễn giải: text only


class CorrectionKind(IntEnum):
    """How a document relates to the original it corrects (``TCHDon``)."""

    REPLACEMENT = 1  # thay thế
    ADJUSTMENT = 2  # điều chỉnh


@dataclass(frozen=True, slots=True)
class RelatedDocument:
    """The original document a replacement or adjustment refers to (invoices ``TTHDLQuan``, receipts ``TTCTLQuan``)."""

    kind: CorrectionKind
    template: str
    series: str
    number: str
    issue_date: date
    original_type: int = 1  # LHDCLQuan 1: an e-invoice under Decree 123/70
    note: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One line of an invoice (``HHDVu``) with its stated amount (``ThTien``, excluding VAT)."""

    nature: LineNature
    name: str
    amount: Decimal | None = None
    line_no: int | None = None
    item_code: str | None = None
    unit: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_rate: Decimal | None = None
    discount_amount: Decimal | None = None
    vat_rate: VatRate | None = None


@dataclass(frozen=True, slots=True)
class RateGroup:
    """The summary of one VAT rate (``LTSuat``): the net amount taxed at it and the tax."""

    rate: VatRate
    taxable_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    """Totals of an invoice (``TToan``); ``total_tax`` is ``None`` on sales invoices."""

    rate_groups: tuple[RateGroup, ...]
    total_before_tax: Decimal
    total_tax: Decimal | None
    trade_discount_total: Decimal
    total_payable: Decimal
    total_in_words: str


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice (hóa đơn) in the national format 2.1.0."""

    kind: ClassVar[DocumentKind] = DocumentKind.INVOICE
    template: str  # ký hiệu mẫu số, KHMSHDon
    series: str  # ký hiệu, KHHDon
    issue_date: date  # ngày lập, in Asia/Ho_Chi_Minh
    seller: Seller
    buyer: Buyer
    lines: tuple[InvoiceLine, ...]
    totals: InvoiceTotals
    title: str
    provider_tax_code: str  # MSTTCGP: tax code of the e-invoice solution provider
    number: int | None = None  # None until the issuing transaction assigns it
    currency: str = VND
    exchange_rate: Decimal | None = None
    payment_method: str = "TM/CK"
    dossier_code: str | None = None
    financial_leasing: bool = False
    related: RelatedDocument | None = None
    lookup_code: str | None = None

    @property
    def issuer(self) -> Seller:
        """The issuer of the document: the seller (người bán)."""
        return self.seller

    @property
    def party(self) -> Buyer:
        """The other party: the buyer (người mua)."""
        return self.buyer

    @property
    def total_payable(self) -> Decimal:
        """The amount to pay (``TgTTTBSo``)."""
        return self.totals.total_payable

    @property
    def total_in_words(self) -> str:
        """The amount to pay in words (``TgTTTBChu``)."""
        return self.totals.total_in_words


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One fee or charge collected on a receipt, with its legal basis (căn cứ pháp lý)."""

    name: str
    unit_price: Decimal
    amount: Decimal
    quantity: Decimal = Decimal(1)
    line_no: int | None = None
    code: str | None = None
    legal_basis: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """A fee and charge receipt (biên lai thu phí, lệ phí) in our own versioned format (choice 7)."""

    kind: ClassVar[DocumentKind] = DocumentKind.RECEIPT
    template: str  # EBL01 / EBL02
    series: str  # e.g. 26TAA (the former 25T form is read, no longer issued)
    issue_date: date
    collector: Seller
    payer: Buyer
    fees: tuple[FeeLine, ...]
    total: Decimal
    total_in_words: str
    title: str
    number: int | None = None
    currency: str = VND
    exchange_rate: Decimal | None = None
    payment_method: str = "TM"
    provider_tax_code: str | None = None
    dossier_code: str | None = None  # MHSo: dossier code of the one-stop system
    cashier_name: str | None = None
    related: RelatedDocument | None = None  # the receipt this one replaces (receipts are never adjusted)
    lookup_code: str | None = None

    @property
    def issuer(self) -> Seller:
        """The issuer of the document: the collecting organisation (đơn vị thu)."""
        return self.collector

    @property
    def party(self) -> Buyer:
        """The other party: the payer (người nộp)."""
        return self.payer

    @property
    def total_payable(self) -> Decimal:
        """The amount paid (``TgTTTBSo``): the sum of the fees."""
        return self.total


#: A document of any kind; adding a kind adds its class here and its row to :data:`einvoice.kinds.KINDS`.
Document = Invoice | Receipt
