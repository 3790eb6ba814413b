"""Property tests: random documents build valid XML whose figures reconcile exactly and which reads back."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import builders
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einvoice.domain.documents import LineNature
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import fee_line, goods_line, make_invoice, make_receipt, trade_discount_line
from einvoice.xmldoc.build import build_invoice, build_receipt
from einvoice.xmldoc.parse import parse_document
from einvoice.xmldoc.validate import validate_document

RATES = ["0%", "5%", "8%", "10%", "KCT", "KKKNT", "KHAC:5.26%"]
quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(10**12), places=2)
names = st.sampled_from(
    ["Bút bi Thiên Long", "Giấy A4 Double A", "Dịch vụ vận chuyển nội địa", "Ắc quy ENI 12V", "Ổ cứng"]
)
SETTINGS = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@st.composite
def goods_lines(draw: st.DrawFn) -> list:  # type: ignore[type-arg]
    count = draw(st.integers(min_value=1, max_value=500))
    lines = []
    for i in range(count):
        rate = VatRate.parse(draw(st.sampled_from(RATES)))
        if i and draw(st.integers(0, 19)) == 0:
            lines.append(trade_discount_line(f"Chiết khấu {i}", draw(st.decimals(0, 10**6, places=0)), rate))
        else:
            lines.append(goods_line(draw(names), draw(quantities), draw(prices), rate, unit="cái"))
    return lines


def _expected_payable(lines: list) -> Decimal:  # type: ignore[type-arg]
    """Recompute the total independently of the totals module: per-rate nets, tax rounded once per rate."""
    nets: dict[str, Decimal] = defaultdict(Decimal)
    percents: dict[str, Decimal] = {}
    for line in lines:
        sign = -1 if line.nature is LineNature.TRADE_DISCOUNT else 1
        nets[line.vat_rate.code] += sign * line.amount
        percents[line.vat_rate.code] = line.vat_rate.percent or Decimal(0)
    tax = sum(((nets[c] * percents[c] / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) for c in nets), Decimal(0))
    return sum(nets.values(), Decimal(0)) + tax


@pytest.mark.slow
@SETTINGS
@given(lines=goods_lines())
def test_random_invoices_build_valid_xml_that_reads_back(lines: list) -> None:  # type: ignore[type-arg]
    """Any invoice of 1–500 mixed-rate lines builds valid XML, reconciles exactly and parses back equal."""
    invoice = make_invoice(
        template="1",
        series="K25TAB",
        issue_date=date(2025, 6, 1),
        seller=builders.seller(),
        buyer=builders.buyer(),
        lines=lines,
        provider_tax_code="0100000000",
        number=42,
        lookup_code="7K2P9QAXM4TD",
    )
    for line in invoice.lines:
        if line.nature is LineNature.GOODS:
            assert line.amount == (line.quantity * line.unit_price).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    totals = invoice.totals
    assert totals.total_payable == _expected_payable(list(invoice.lines))
    assert totals.total_before_tax == sum((g.taxable_amount for g in totals.rate_groups), Decimal(0))
    assert totals.total_payable == totals.total_before_tax + totals.total_tax
    xml = build_invoice(invoice)
    assert validate_document(xml) == []
    assert parse_document(xml) == invoice


@pytest.mark.slow
@SETTINGS
@given(
    fees=st.lists(st.tuples(quantities, st.decimals(min_value=0, max_value=10**9, places=0)), min_size=1, max_size=50)
)
def test_random_receipts_build_valid_xml_that_reads_back(fees: list[tuple[Decimal, Decimal]]) -> None:
    """Any receipt of 1–50 fees builds valid XML whose total is the sum of its rounded fee amounts."""
    lines = [
        fee_line(f"Lệ phí số {i}", price, quantity=qty, legal_basis="Thông tư 85/2019/TT-BTC")
        for i, (qty, price) in enumerate(fees)
    ]
    receipt = make_receipt(
        template="EBL01",
        series="25T",
        issue_date=date(2025, 3, 2),
        collector=builders.collector(),
        payer=builders.payer(),
        fees=lines,
        number=9,
    )
    assert receipt.total == sum(((q * p).quantize(Decimal(1), rounding=ROUND_HALF_UP) for q, p in fees), Decimal(0))
    xml = build_receipt(receipt)
    assert validate_document(xml) == []
    assert parse_document(xml) == receipt
