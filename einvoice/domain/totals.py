"""Computing line amounts and totals, and making documents whose stated figures are right.

The rounding points are those of :mod:`einvoice.domain.money`. Totals of an invoice:

- a rate group's net amount = Σ goods line amounts at that rate − Σ trade-discount line amounts at that rate;
- its tax = the rate applied to that net amount, rounded once;
- ``TgTCThue`` = Σ group net amounts; ``TgTThue`` = Σ group taxes; ``TTCKTMai`` = Σ trade-discount amounts;
- ``TgTTTBSo`` = ``TgTCThue`` + ``TgTThue`` (sales invoices: Σ goods − Σ discounts, no tax).

Promotion lines (``TChat`` 2) and notes (``TChat`` 4) never count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from einvoice.domain.documents import (
    FeeLine,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    LineNature,
    RateGroup,
    Receipt,
    RelatedDocument,
)
from einvoice.domain.money import VND, exact, round_money
from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.rates import VatRate
from einvoice.domain.series import INVOICE_TITLES, RECEIPT_TITLE, SALES_INVOICE
from einvoice.domain.text import clean, clean_optional
from einvoice.domain.words import amount_in_words


def line_amount(quantity: Decimal, unit_price: Decimal, discount: Decimal | None, currency: str) -> Decimal:
    """Return quantity × unit price − discount, rounded once (rounding point 1)."""
    with exact():
        return round_money(quantity * unit_price - (discount or Decimal(0)), currency)


def goods_line(
    name: str,
    quantity: Decimal,
    unit_price: Decimal,
    vat_rate: VatRate | None,
    *,
    currency: str = VND,
    unit: str | None = None,
    item_code: str | None = None,
    discount_rate: Decimal | None = None,
    discount_amount: Decimal | None = None,
) -> InvoiceLine:
    """Make a goods or service line; a discount given only as a rate is turned into an amount, rounded once."""
    if discount_amount is None and discount_rate is not None:
        with exact():
            discount_amount = round_money(quantity * unit_price * discount_rate / 100, currency)
    return InvoiceLine(
        nature=LineNature.GOODS,
        name=clean(name),
        amount=line_amount(quantity, unit_price, discount_amount, currency),
        item_code=clean_optional(item_code),
        unit=clean_optional(unit),
        quantity=quantity,
        unit_price=unit_price,
        discount_rate=discount_rate,
        discount_amount=discount_amount,
        vat_rate=vat_rate,
    )


def promotion_line(
    name: str, quantity: Decimal, *, unit: str | None = None, vat_rate: VatRate | None = None
) -> InvoiceLine:
    """Make a promotion line: goods given away, shown with a zero amount."""
    return InvoiceLine(
        nature=LineNature.PROMOTION,
        name=clean(name),
        amount=Decimal(0),
        unit=clean_optional(unit),
        quantity=quantity,
        unit_price=Decimal(0),
        vat_rate=vat_rate,
    )


def trade_discount_line(name: str, amount: Decimal, vat_rate: VatRate | None) -> InvoiceLine:
    """Make a trade-discount line: a positive amount that the totals subtract at its rate."""
    return InvoiceLine(nature=LineNature.TRADE_DISCOUNT, name=clean(name), amount=amount, vat_rate=vat_rate)


def note_line(text: str) -> InvoiceLine:
    """Make a note line: text only, no amount."""
    return InvoiceLine(nature=LineNature.NOTE, name=clean(text))


def line_of(
    nature: LineNature,
    name: str,
    *,
    currency: str = VND,
    quantity: Decimal | None = None,
    unit_price: Decimal | None = None,
    amount: Decimal | None = None,
    vat_rate: VatRate | None = None,
    unit: str | None = None,
    item_code: str | None = None,
    discount_rate: Decimal | None = None,
    discount_amount: Decimal | None = None,
) -> InvoiceLine:
    """Make a line of ``nature`` from the fields an input names, with the factory of that nature.

    The caller has checked that the fields its nature needs are there (goods: quantity and unit price; trade
    discount: amount).
    """
    if nature is LineNature.NOTE:
        return note_line(name)
    if nature is LineNature.PROMOTION:
        return promotion_line(name, quantity or Decimal(1), unit=unit, vat_rate=vat_rate)
    if nature is LineNature.TRADE_DISCOUNT:
        return trade_discount_line(name, amount or Decimal(0), vat_rate)
    return goods_line(
        name,
        quantity or Decimal(0),
        unit_price or Decimal(0),
        vat_rate,
        currency=currency,
        unit=unit,
        item_code=item_code,
        discount_rate=discount_rate,
        discount_amount=discount_amount,
    )


def _numbered(lines: Iterable[InvoiceLine]) -> tuple[InvoiceLine, ...]:
    return tuple(
        line if line.line_no is not None else replace(line, line_no=index) for index, line in enumerate(lines, start=1)
    )


def compute_invoice_totals(
    lines: Sequence[InvoiceLine], *, template: str, currency: str, with_words: bool = True
) -> InvoiceTotals:
    """Compute an invoice's totals from its stated line amounts (see the module docstring).

    ``with_words=False`` leaves the amount in words empty, for checks that compare figures only.
    """

    def words(amount: Decimal) -> str:
        return amount_in_words(amount, currency) if with_words else ""

    with exact():
        return _totals(lines, template, currency, words)


def _totals(
    lines: Sequence[InvoiceLine], template: str, currency: str, words: Callable[[Decimal], str]
) -> InvoiceTotals:
    goods = Decimal(0)
    discounts = Decimal(0)
    nets: dict[str, tuple[VatRate, Decimal]] = {}
    for line in lines:
        if line.nature not in (LineNature.GOODS, LineNature.TRADE_DISCOUNT):
            continue
        signed = line.amount or Decimal(0)
        if line.nature is LineNature.TRADE_DISCOUNT:
            discounts += signed
            signed = -signed
        else:
            goods += signed
        if line.vat_rate is not None:
            rate, net = nets.get(line.vat_rate.code, (line.vat_rate, Decimal(0)))
            nets[line.vat_rate.code] = (rate, net + signed)
    if template == SALES_INVOICE:
        payable = goods - discounts
        return InvoiceTotals((), payable, None, discounts, payable, words(payable))
    groups = tuple(RateGroup(rate, net, rate.tax_on(net, currency)) for rate, net in nets.values())
    before_tax = sum((g.taxable_amount for g in groups), Decimal(0))
    tax = sum((g.tax_amount for g in groups), Decimal(0))
    payable = before_tax + tax
    return InvoiceTotals(groups, before_tax, tax, discounts, payable, words(payable))


def make_invoice(
    *,
    template: str,
    series: str,
    issue_date: date,
    seller: Seller,
    buyer: Buyer,
    lines: Iterable[InvoiceLine],
    provider_tax_code: str,
    number: int | None = None,
    currency: str = VND,
    exchange_rate: Decimal | None = None,
    payment_method: str = "TM/CK",
    dossier_code: str | None = None,
    related: RelatedDocument | None = None,
    lookup_code: str | None = None,
    title: str | None = None,
) -> Invoice:
    """Make an invoice whose line numbers, totals and amount in words are computed from its lines."""
    numbered = _numbered(lines)
    return Invoice(
        template=template,
        series=series,
        issue_date=issue_date,
        seller=seller,
        buyer=buyer,
        lines=numbered,
        totals=compute_invoice_totals(numbered, template=template, currency=currency),
        title=title or INVOICE_TITLES.get(template, INVOICE_TITLES["1"]),
        provider_tax_code=provider_tax_code,
        number=number,
        currency=currency,
        exchange_rate=exchange_rate,
        payment_method=clean(payment_method),
        dossier_code=dossier_code,
        related=related,
        lookup_code=lookup_code,
    )


def fee_line(
    name: str,
    unit_price: Decimal,
    *,
    quantity: Decimal = Decimal(1),
    currency: str = VND,
    code: str | None = None,
    legal_basis: str | None = None,
    unit: str | None = None,
) -> FeeLine:
    """Make a fee line whose amount is quantity × amount per unit, rounded once (rounding point 3)."""
    return FeeLine(
        name=clean(name),
        unit_price=unit_price,
        amount=fee_amount(quantity, unit_price, currency),
        quantity=quantity,
        code=clean_optional(code),
        legal_basis=clean_optional(legal_basis),
        unit=clean_optional(unit),
    )


def fee_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    """Return a fee line's amount: quantity × amount per unit, rounded once (rounding point 3)."""
    with exact():
        return round_money(quantity * unit_price, currency)


def receipt_total(fees: Iterable[FeeLine]) -> Decimal:
    """Return a receipt's total: the sum of its fee amounts, exact (each is already rounded)."""
    with exact():
        return sum((fee.amount for fee in fees), Decimal(0))


def make_receipt(
    *,
    template: str,
    series: str,
    issue_date: date,
    collector: Seller,
    payer: Buyer,
    fees: Iterable[FeeLine],
    number: int | None = None,
    currency: str = VND,
    exchange_rate: Decimal | None = None,
    payment_method: str = "TM",
    provider_tax_code: str | None = None,
    dossier_code: str | None = None,
    cashier_name: str | None = None,
    related: RelatedDocument | None = None,
    lookup_code: str | None = None,
) -> Receipt:
    """Make a receipt whose fee numbering, total and amount in words are computed from its fees."""
    numbered = tuple(
        fee if fee.line_no is not None else replace(fee, line_no=index) for index, fee in enumerate(fees, start=1)
    )
    total = receipt_total(numbered)
    return Receipt(
        template=template,
        series=series,
        issue_date=issue_date,
        collector=collector,
        payer=payer,
        fees=numbered,
        total=total,
        total_in_words=amount_in_words(total, currency),
        title=RECEIPT_TITLE,
        number=number,
        currency=currency,
        exchange_rate=exchange_rate,
        payment_method=clean(payment_method),
        provider_tax_code=provider_tax_code,
        dossier_code=dossier_code,
        cashier_name=clean_optional(cashier_name),
        related=related,
        lookup_code=lookup_code,
    )
