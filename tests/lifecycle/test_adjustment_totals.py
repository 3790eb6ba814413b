"""Adjustments add up: an invoice plus any sequence of adjustments states exactly the corrected invoice's totals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from builders import buyer, seller
from hypothesis import given, settings
from hypothesis import strategies as st

from einvoice.domain.corrections import as_adjustment, effective_totals, reference_totals
from einvoice.domain.documents import CorrectionKind, Invoice, InvoiceLine, InvoiceTotals, RelatedDocument
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import compute_invoice_totals, goods_line, make_invoice
from einvoice.xmldoc.build import build_invoice_for_signing
from einvoice.xmldoc.validate import validate_document

RATES = [VatRate.parse(code) for code in ("10%", "8%", "5%", "0%", "KCT")]
RELATED = RelatedDocument(CorrectionKind.ADJUSTMENT, "1", "K26TAA", "00000001", date(2026, 9, 1), note="Điều chỉnh")

quantities = st.decimals(min_value=Decimal("-50"), max_value=Decimal("50"), places=2).filter(lambda q: q != 0)
prices = st.decimals(min_value=Decimal("1"), max_value=Decimal("999999"), places=1)
lines = st.builds(
    lambda q, p, r: goods_line("Hàng hóa điều chỉnh", q, p, r, unit="Cái"), quantities, prices, st.sampled_from(RATES)
)
positive_lines = st.builds(
    lambda q, p, r: goods_line("Hàng hóa", abs(q), p, r, unit="Cái"), quantities, prices, st.sampled_from(RATES)
)


def _invoice(template: str, body: list[InvoiceLine], related: RelatedDocument | None = None) -> Invoice:
    return make_invoice(
        template=template,
        series="K26TAA",
        issue_date=date(2026, 9, 2),
        seller=seller(),
        buyer=buyer(),
        lines=body,
        provider_tax_code="0100000000",
        number=2,
        related=related,
    )


def _figures(totals: InvoiceTotals) -> tuple[object, ...]:
    groups = {g.rate.code: (g.taxable_amount, g.tax_amount) for g in totals.rate_groups}
    return groups, totals.total_before_tax, totals.total_tax, totals.trade_discount_total, totals.total_payable


@settings(max_examples=60, deadline=None)
@given(
    template=st.sampled_from(["1", "2"]),
    original=st.lists(positive_lines, min_size=1, max_size=5),
    steps=st.lists(st.lists(lines, min_size=1, max_size=3), min_size=1, max_size=5),
)
def test_invoice_plus_adjustments_states_the_corrected_totals(
    template: str, original: list[InvoiceLine], steps: list[list[InvoiceLine]]
) -> None:
    """After any sequence of adjustments, original + adjustments = totals of all their lines taken together."""
    first = _invoice(template, original)
    adjustments: list[InvoiceTotals] = []
    every_line = list(first.lines)
    for deltas in steps:
        so_far = effective_totals(first.totals, adjustments, template=template, currency="VND")
        adjustment = as_adjustment(_invoice(template, deltas, RELATED), so_far)
        assert _figures(reference_totals(adjustment)) == _figures(adjustment.totals)
        adjustments.append(adjustment.totals)
        every_line += adjustment.lines
    corrected = compute_invoice_totals(every_line, template=template, currency="VND")
    stated = effective_totals(first.totals, adjustments, template=template, currency="VND")
    assert _figures(stated) == _figures(corrected)
    assert stated.total_in_words == corrected.total_in_words


@settings(max_examples=15, deadline=None)
@given(original=st.lists(positive_lines, min_size=1, max_size=4), deltas=st.lists(lines, min_size=1, max_size=3))
def test_an_adjustment_passes_validation(original: list[InvoiceLine], deltas: list[InvoiceLine]) -> None:
    """The adjustment's XML passes the schema and every rule, the one-unit tax tolerance included."""
    first = _invoice("1", original)
    adjustment = as_adjustment(_invoice("1", deltas, RELATED), first.totals)
    assert validate_document(build_invoice_for_signing(adjustment).xml) == []


def test_a_rounding_difference_is_carried_by_the_adjustment() -> None:
    """At 8 %, two increases of 6 đồng bear 0 đồng tax each alone but 1 đồng together: the second adjustment says 1."""
    rate = VatRate.parse("8%")
    first = _invoice("1", [goods_line("Hàng", Decimal(1), Decimal(6), rate)])
    assert first.totals.total_tax == 0
    second = as_adjustment(_invoice("1", [goods_line("Hàng", Decimal(1), Decimal(6), rate)], RELATED), first.totals)
    assert second.totals.total_tax == 1
    assert validate_document(build_invoice_for_signing(second).xml) == []


def test_a_plain_invoice_gets_no_tolerance() -> None:
    """An invoice that is not an adjustment and states its tax one đồng off is refused by the rules."""
    rate = VatRate.parse("8%")
    plain = _invoice("1", [goods_line("Hàng", Decimal(1), Decimal(12), rate)])
    off = replace(plain, totals=replace(plain.totals, total_tax=Decimal(2), total_payable=Decimal(14)))
    off = replace(
        off, totals=replace(off.totals, rate_groups=(replace(off.totals.rate_groups[0], tax_amount=Decimal(2)),))
    )
    codes = {p.code for p in validate_document(build_invoice_for_signing(off).xml)}
    assert "INV_RATE_GROUPS" in codes
