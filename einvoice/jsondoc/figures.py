"""Checks on the figures a request makes, reported at the fields the caller sent.

The schemas check each field alone; these checks need the computed amounts: no line or total above
:data:`~einvoice.jsondoc.fields.MAX_AMOUNT`, no line discount above the line, no trade discount above the goods at
its rate, negative quantities only on adjustments, and a VAT rate on exactly the lines the template wants. They run
before the XML is built, so that a refusal names ``lines[2].amount`` rather than an XML path, and before a number
is taken.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from einvoice.domain.documents import FeeLine, InvoiceLine, LineNature
from einvoice.domain.errors import Problem
from einvoice.domain.money import exact
from einvoice.domain.series import SALES_INVOICE
from einvoice.domain.totals import compute_invoice_totals
from einvoice.jsondoc.fields import MAX_AMOUNT

_LIMIT = Decimal(MAX_AMOUNT)
#: Natures whose amount counts towards a VAT rate group, so that on a VAT invoice they must name their rate.
_TAXED = (LineNature.GOODS, LineNature.TRADE_DISCOUNT)


def _too_large(path: str, what_vi: str, what_en: str) -> Problem:
    limit = f"{MAX_AMOUNT:,}".replace(",", ".")
    return Problem("AMOUNT_TOO_LARGE", path, f"{what_vi} vượt quá {limit}", f"{what_en} exceeds 10^15")


def invoice_problems(
    lines: Sequence[InvoiceLine], *, template: str, currency: str, adjustment: bool = False, path: str = "lines"
) -> list[Problem]:
    """Return every problem of an invoice's figures; ``lines[i]`` is the request's line ``i``."""
    problems = list(_line_problems(lines, template, adjustment, path))
    if not problems:
        problems += _total_problems(lines, template, currency, adjustment, path)
    return problems


def _line_problems(lines: Sequence[InvoiceLine], template: str, adjustment: bool, path: str) -> Iterator[Problem]:
    for index, line in enumerate(lines):
        at = f"{path}[{index}]"
        if line.amount is not None and abs(line.amount) > _LIMIT:
            yield _too_large(at, "Thành tiền của dòng", "the line amount")
        if line.quantity is not None and line.quantity < 0 and not adjustment:
            yield Problem(
                "NEGATIVE_QUANTITY",
                f"{at}.quantity",
                "Số lượng âm chỉ dùng trên hóa đơn điều chỉnh giảm",
                "a negative quantity belongs on an adjustment only",
            )
        if line.discount_amount and line.amount is not None and line.amount < 0 < (line.quantity or 0):
            yield Problem(
                "DISCOUNT_EXCEEDS_LINE",
                f"{at}.discount_amount",
                "Tiền chiết khấu lớn hơn số lượng × đơn giá",
                "the discount exceeds quantity × unit price",
            )
        if template == SALES_INVOICE and line.vat_rate is not None:
            yield Problem(
                "VAT_RATE_NOT_ALLOWED",
                f"{at}.vat_rate",
                "Hóa đơn bán hàng không ghi thuế suất",
                "a sales invoice carries no VAT rate",
            )
        elif template != SALES_INVOICE and line.nature in _TAXED and line.vat_rate is None:
            yield Problem(
                "MISSING_FIELD",
                f"{at}.vat_rate",
                "Thiếu thuế suất của dòng (hóa đơn GTGT)",
                "missing VAT rate (VAT invoice: goods and trade-discount lines carry one)",
            )


def _total_problems(
    lines: Sequence[InvoiceLine], template: str, currency: str, adjustment: bool, path: str
) -> Iterator[Problem]:
    totals = compute_invoice_totals(lines, template=template, currency=currency, with_words=False)
    if not adjustment:
        with exact():
            goods: dict[str | None, Decimal] = {}
            for line in lines:
                if line.nature is LineNature.GOODS and line.amount is not None:
                    key = line.vat_rate.code if line.vat_rate else None
                    goods[key] = goods.get(key, Decimal(0)) + line.amount
            for index, line in enumerate(lines):
                if line.nature is not LineNature.TRADE_DISCOUNT or line.amount is None:
                    continue
                key = line.vat_rate.code if line.vat_rate else None
                goods[key] = goods.get(key, Decimal(0)) - line.amount
                if goods[key] < 0:
                    yield Problem(
                        "DISCOUNT_EXCEEDS_GOODS",
                        f"{path}[{index}].amount",
                        "Chiết khấu thương mại lớn hơn tiền hàng cùng thuế suất",
                        "the trade discount exceeds the goods at its VAT rate",
                    )
    if abs(totals.total_payable) > _LIMIT or abs(totals.total_before_tax) > _LIMIT:
        yield _too_large(path, "Tổng tiền thanh toán", "the total payable")


def fee_problems(fees: Sequence[tuple[str, FeeLine]], *, path: str = "fees") -> list[Problem]:
    """Return the problems of a receipt's figures; each fee comes with the request path it came from."""
    problems = [_too_large(at, "Tiền của khoản thu", "the fee amount") for at, fee in fees if fee.amount > _LIMIT]
    if not problems:
        with exact():
            total = sum((fee.amount for _, fee in fees), Decimal(0))
        if total > _LIMIT:
            problems.append(_too_large(path, "Tổng tiền biên lai", "the receipt total"))
    return problems
