"""Property tests beyond VND: foreign currency, line discounts and negative adjustments against an oracle of our own.

The oracle below recomputes every figure with exact fractions and its own rounding (half away from zero, at the
three points of the rounding rule): it shares no code with ``einvoice.domain``, so a wrong quantum, a rounding mode
or a tax rounded at the wrong point shows as a difference.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import builders
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einvoice.domain.corrections import as_adjustment
from einvoice.domain.documents import CorrectionKind, Invoice, InvoiceLine, LineNature, RelatedDocument
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line, trade_discount_line
from einvoice.xmldoc.build import build_invoice
from einvoice.xmldoc.parse import parse_document
from einvoice.xmldoc.validate import validate_document

#: Currencies with a minor unit (cents): the format rounds every foreign amount to 0.01.
FOREIGN = ["USD", "EUR", "GBP", "CNY", "SGD", "AUD"]
#: Rate code → percent, as the oracle knows them (None: no tax).
PERCENTS: dict[str, Fraction | None] = {
    "0%": Fraction(0),
    "5%": Fraction(5),
    "8%": Fraction(8),
    "10%": Fraction(10),
    "KCT": None,
    "KKKNT": None,
    "KHAC:5.26%": Fraction(526, 100),
}
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
NAMES = st.sampled_from(["Máy in laser", "Giấy in ảnh", "Dịch vụ bảo trì", "Ống thép mạ kẽm", "Phần mềm kế toán"])


def _round(value: Fraction, unit: Fraction) -> Fraction:
    """Round ``value`` to a multiple of ``unit``, halves away from zero (the oracle's own rounding)."""
    steps = abs(value) / unit
    whole = math.floor(steps + Fraction(1, 2))
    return (whole if value >= 0 else -whole) * unit


@dataclass
class Drawn:
    """A line as drawn: what the oracle computes from (not the product's line)."""

    quantity: Fraction
    price: Fraction
    rate: str
    discount_rate: Fraction | None = None
    discount_amount: Fraction | None = None
    trade_discount: Fraction | None = None  # a trade-discount line of this amount instead of goods


def _unit(currency: str) -> Fraction:
    return Fraction(1) if currency == "VND" else Fraction(1, 100)


def _oracle_amount(line: Drawn, currency: str) -> Fraction:
    """The stated amount of a line: quantity × price − discount, rounded once; a discount rate rounded once first."""
    if line.trade_discount is not None:
        return line.trade_discount
    gross = line.quantity * line.price
    discount = line.discount_amount
    if discount is None and line.discount_rate is not None:
        discount = _round(gross * line.discount_rate / 100, _unit(currency))
    return _round(gross - (discount or 0), _unit(currency))


def _oracle_groups(lines: list[Drawn], currency: str) -> dict[str, tuple[Fraction, Fraction]]:
    """Per rate code: the net amount (trade discounts subtracted) and its tax, rounded once per group."""
    nets: dict[str, Fraction] = defaultdict(Fraction)
    for line in lines:
        sign = -1 if line.trade_discount is not None else 1
        nets[line.rate] += sign * _oracle_amount(line, currency)
    groups = {}
    for code, net in nets.items():
        percent = PERCENTS[code]
        groups[code] = (net, Fraction(0) if percent is None else _round(net * percent / 100, _unit(currency)))
    return groups


def _oracle_payable(lines: list[Drawn], currency: str) -> Fraction:
    return sum((net + tax for net, tax in _oracle_groups(lines, currency).values()), Fraction(0))


def _decimal(value: Fraction) -> Decimal:
    """Return an exact fraction with a finite decimal expansion as a Decimal (for the product's inputs)."""
    return Decimal(value.numerator) / Decimal(value.denominator) if value.denominator != 1 else Decimal(value.numerator)


def _fraction(draw: st.DrawFn, low: int, high: int, places: int) -> Fraction:
    return Fraction(draw(st.integers(low * 10**places, high * 10**places)), 10**places)


@st.composite
def drawn_lines(draw: st.DrawFn, currency: str) -> list[Drawn]:
    """1–30 lines: goods with or without a discount (rate or amount), and some trade-discount lines."""
    foreign = currency != "VND"
    lines = []
    for index in range(draw(st.integers(1, 30))):
        rate = draw(st.sampled_from(sorted(PERCENTS)))
        quantity = _fraction(draw, 0, 1000, 4) or Fraction(1)
        price = _fraction(draw, 0, 10**6 if foreign else 10**9, 6 if foreign else 2)
        line = Drawn(quantity, price, rate)
        kind = draw(st.integers(0, 9))
        if kind == 0 and index:
            line.trade_discount = _fraction(draw, 0, 10**4, 2 if foreign else 0)
        elif kind in (1, 2):
            line.discount_rate = _fraction(draw, 0, 99, 2)
        elif kind == 3:
            gross_units = math.floor(quantity * price / _unit(currency))
            line.discount_amount = draw(st.integers(0, gross_units)) * _unit(currency)
        lines.append(line)
    return lines


def _product_line(line: Drawn, currency: str, index: int) -> InvoiceLine:
    rate = VatRate.parse(line.rate)
    if line.trade_discount is not None:
        return trade_discount_line(f"Chiết khấu thương mại {index}", _decimal(line.trade_discount), rate)
    return goods_line(
        f"Hàng hóa {index}",
        _decimal(line.quantity),
        _decimal(line.price),
        rate,
        currency=currency,
        unit="cái",
        discount_rate=None if line.discount_rate is None else _decimal(line.discount_rate),
        discount_amount=None if line.discount_amount is None else _decimal(line.discount_amount),
    )


def _invoice(drawn: list[Drawn], currency: str, exchange_rate: Decimal, **extra: object) -> Invoice:
    lines = [_product_line(line, currency, i) for i, line in enumerate(drawn, 1)]
    return builders.invoice(
        lines, currency=currency, exchange_rate=None if currency == "VND" else exchange_rate, **extra
    )


currencies = st.sampled_from(["VND", *FOREIGN])
exchange_rates = st.integers(1, 9_999_999).map(lambda hundredths: Decimal(hundredths).scaleb(-2))


def _check_groups(invoice: Invoice, expected: dict[str, tuple[Fraction, Fraction]]) -> None:
    stated = {g.rate.code: (Fraction(g.taxable_amount), Fraction(g.tax_amount)) for g in invoice.totals.rate_groups}
    assert stated == expected


@pytest.mark.slow
@SETTINGS
@given(data=st.data(), currency=currencies, exchange_rate=exchange_rates)
def test_invoices_in_any_currency_with_discounts_match_the_oracle(
    data: st.DataObject, currency: str, exchange_rate: Decimal
) -> None:
    """Any invoice — VND or a foreign currency with its exchange rate, with line discounts and trade discounts —
    states exactly the oracle's line amounts, groups and total, builds valid XML and reads back equal."""
    drawn = data.draw(drawn_lines(currency))
    invoice = _invoice(drawn, currency, exchange_rate)
    assert [Fraction(line.amount or 0) for line in invoice.lines] == [_oracle_amount(line, currency) for line in drawn]
    _check_groups(invoice, _oracle_groups(drawn, currency))
    assert Fraction(invoice.totals.total_payable) == _oracle_payable(drawn, currency)
    xml = build_invoice(invoice)
    assert validate_document(xml) == []
    assert parse_document(xml) == invoice


@pytest.mark.slow
@SETTINGS
@given(data=st.data(), currency=currencies, exchange_rate=exchange_rates)
def test_negative_adjustments_bring_the_invoice_to_the_corrected_totals(
    data: st.DataObject, currency: str, exchange_rate: Decimal
) -> None:
    """An adjustment that takes back part of some goods lines states, added to the original, exactly the oracle's
    totals of the corrected invoice per rate group and in all; it builds valid XML and reads back equal."""
    drawn = [line for line in data.draw(drawn_lines(currency)) if line.trade_discount is None]
    original = _invoice(drawn, currency, exchange_rate)
    taken_back = data.draw(st.lists(st.sampled_from(range(len(drawn))), min_size=1, max_size=len(drawn), unique=True))
    deltas = []
    for index in taken_back:
        line = drawn[index]
        returned = _fraction(data.draw, 0, 1000, 4) % line.quantity or line.quantity
        deltas.append(Drawn(-returned, line.price, line.rate))  # no discount on a delta: it corrects quantities
    related = RelatedDocument(CorrectionKind.ADJUSTMENT, "1", "C25TAA", "1", builders.ISSUE_DATE, note="Trả lại hàng")
    adjustment = as_adjustment(_invoice(deltas, currency, exchange_rate, related=related), original.totals)
    corrected = _oracle_groups(drawn + deltas, currency)
    together: dict[str, tuple[Fraction, Fraction]] = defaultdict(lambda: (Fraction(0), Fraction(0)))
    for totals in (original.totals, adjustment.totals):
        for group in totals.rate_groups:
            net, tax = together[group.rate.code]
            together[group.rate.code] = (net + Fraction(group.taxable_amount), tax + Fraction(group.tax_amount))
    assert dict(together) == corrected
    assert Fraction(original.total_payable + adjustment.total_payable) == _oracle_payable(drawn + deltas, currency)
    assert all(
        Fraction(line.amount or 0) <= 0 for line in adjustment.lines if line.nature is LineNature.GOODS
    )  # every delta takes back
    xml = build_invoice(adjustment)
    assert validate_document(xml) == []
    assert parse_document(xml) == adjustment
