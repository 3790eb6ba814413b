"""Corrections as new documents (Circular 91 Art 10 and 20, choice 15): the figures of an adjustment, and what may be
corrected how.

An **adjustment** (điều chỉnh) states signed deltas: increases positive, decreases negative. Its lines are computed
as any invoice's (rounding point 1), but the VAT of each of its rate groups is not rounded on its own: it is the tax
the corrected group must bear, rounded once on the corrected net amount, minus the tax already stated for that group
by the original and the earlier adjustments. So an invoice plus all its adjustments always states exactly the totals
of the corrected invoice (:func:`effective_totals` equals the totals of all their lines together), and an adjustment's
group tax differs from its own net amount × rate by at most one unit of the currency — the one tolerance the
validation rules grant, and to adjustments only (:func:`reference_totals`).

A **replacement** (thay thế) is a whole new document; receipts are only ever replaced. **Soft errors** (names,
addresses, amount in words — never tax code, amounts, rates, goods) go by error notice instead (:data:`SOFT_ERRORS`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from einvoice.domain.documents import CorrectionKind, Invoice, InvoiceLine, InvoiceTotals, RateGroup
from einvoice.domain.kinds import NAMES, DocumentKind
from einvoice.domain.money import exact, quantum
from einvoice.domain.rates import VatRate
from einvoice.domain.series import SALES_INVOICE
from einvoice.domain.totals import compute_invoice_totals
from einvoice.domain.words import amount_in_words

#: What an error notice (04/SS) may correct, with the words stored on it (Circular 91 Art 10.1.a, 20); ``{party}``
#: is the other party as the document's kind names it (:func:`soft_error_label`).
SOFT_ERRORS = {
    "buyer_name": "Sai tên {party}",
    "buyer_address": "Sai địa chỉ {party}",
    "amount_in_words": "Sai số tiền bằng chữ",
    "other": "Sai sót khác không ảnh hưởng mã số thuế, số tiền, thuế suất, hàng hóa",
}


def soft_error_label(code: str, kind: DocumentKind) -> str:
    """Return the words of soft error ``code`` for a document of ``kind``: a receipt's payer, an invoice's buyer."""
    return SOFT_ERRORS[code].format(party=NAMES[kind].party_vi)


def _groups(totals: InvoiceTotals) -> dict[str, tuple[VatRate, Decimal, Decimal]]:
    return {g.rate.code: (g.rate, g.taxable_amount, g.tax_amount) for g in totals.rate_groups}


def _assemble(
    groups: Iterable[RateGroup], discounts: Decimal, template: str, currency: str, payable: Decimal | None = None
) -> InvoiceTotals:
    groups = tuple(groups)
    with exact():
        before_tax = sum((g.taxable_amount for g in groups), Decimal(0))
        tax = sum((g.tax_amount for g in groups), Decimal(0))
        if template == SALES_INVOICE:
            assert payable is not None
            return InvoiceTotals((), payable, None, discounts, payable, amount_in_words(payable, currency))
        total = before_tax + tax
    return InvoiceTotals(groups, before_tax, tax, discounts, total, amount_in_words(total, currency))


def effective_totals(
    original: InvoiceTotals, adjustments: Sequence[InvoiceTotals], *, template: str, currency: str
) -> InvoiceTotals:
    """Return what an invoice states once its adjustments are added: per rate group, and in all."""
    sums = _groups(original)
    discounts, payable = original.trade_discount_total, original.total_payable
    with exact():
        for adjustment in adjustments:
            for code, (rate, net, tax) in _groups(adjustment).items():
                _, had_net, had_tax = sums.get(code, (rate, Decimal(0), Decimal(0)))
                sums[code] = (rate, had_net + net, had_tax + tax)
            discounts += adjustment.trade_discount_total
            payable += adjustment.total_payable
    groups = (RateGroup(rate, net, tax) for rate, net, tax in sums.values())
    return _assemble(groups, discounts, template, currency, payable)


def adjustment_totals(
    deltas: Sequence[InvoiceLine], current: InvoiceTotals, *, template: str, currency: str
) -> InvoiceTotals:
    """Return the totals an adjustment with lines ``deltas`` states, given what the invoice states so far."""
    own = compute_invoice_totals(deltas, template=template, currency=currency, with_words=False)
    if template == SALES_INVOICE:
        return _assemble((), own.trade_discount_total, template, currency, own.total_payable)
    stated = _groups(current)
    groups = []
    with exact():
        for group in own.rate_groups:
            _, net_so_far, tax_so_far = stated.get(group.rate.code, (group.rate, Decimal(0), Decimal(0)))
            corrected_tax = group.rate.tax_on(net_so_far + group.taxable_amount, currency)
            groups.append(replace(group, tax_amount=corrected_tax - tax_so_far))
    return _assemble(groups, own.trade_discount_total, template, currency)


def is_adjustment(invoice: Invoice) -> bool:
    """Tell whether ``invoice`` adjusts another (``TTHDLQuan/TCHDon`` = 2)."""
    return invoice.related is not None and invoice.related.kind is CorrectionKind.ADJUSTMENT


def reference_totals(invoice: Invoice) -> InvoiceTotals:
    """Return the totals the validation rules expect of ``invoice`` (figures only, no words).

    For any invoice, the totals its lines give. For an adjustment, a stated group tax within one unit of what its
    own lines give is taken as stated (see the module docstring), and the totals follow from the groups.
    """
    want = compute_invoice_totals(invoice.lines, template=invoice.template, currency=invoice.currency, with_words=False)
    if not is_adjustment(invoice) or invoice.template == SALES_INVOICE:
        return want
    stated = _groups(invoice.totals)
    unit = quantum(invoice.currency)
    groups = []
    for group in want.rate_groups:
        found = stated.get(group.rate.code)
        if found is not None and abs(found[2] - group.tax_amount) <= unit:
            group = replace(group, tax_amount=found[2])
        groups.append(group)
    groups_t = tuple(groups)
    with exact():
        before_tax = sum((g.taxable_amount for g in groups_t), Decimal(0))
        tax = sum((g.tax_amount for g in groups_t), Decimal(0))
    return InvoiceTotals(groups_t, before_tax, tax, want.trade_discount_total, before_tax + tax, "")


def as_adjustment(invoice: Invoice, stated_so_far: InvoiceTotals) -> Invoice:
    """Return ``invoice`` (made of delta lines) with the totals it states as an adjustment (module docstring)."""
    totals = adjustment_totals(invoice.lines, stated_so_far, template=invoice.template, currency=invoice.currency)
    return replace(invoice, totals=totals)
