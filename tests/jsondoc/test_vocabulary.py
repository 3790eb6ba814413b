"""The JSON vocabulary: the table of line natures, field types, figures, and errors as problems at the field path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from marshmallow import ValidationError

from einvoice.domain.documents import Invoice, LineNature
from einvoice.domain.errors import InvalidDocumentError
from einvoice.jsondoc.documents import load_document
from einvoice.jsondoc.lines import ALIASES, NATURES, LineSchema, make_line
from einvoice.jsondoc.problems import problems_of
from einvoice.jsondoc.requests import InvoiceIn, ReceiptIn

_FULL_LINE = {"name": "x", "quantity": "2", "unit_price": "1000", "amount": "500", "vat_rate": "10%"}


@pytest.mark.parametrize("name", list(NATURES))
def test_each_nature_requires_exactly_its_fields(name: str) -> None:
    """A line of each nature loads with all fields, and leaving out any field its nature requires names that field."""
    LineSchema().load({**_FULL_LINE, "nature": name})
    for needed in NATURES[name].requires:
        with pytest.raises(ValidationError) as caught:
            LineSchema().load({k: v for k, v in {**_FULL_LINE, "nature": name}.items() if k != needed})
        [problem] = problems_of(caught.value.messages, "lines[3]")
        assert (problem.path, problem.code) == (f"lines[3].{needed}", "MISSING_FIELD")
        assert problem.message_vi.startswith(f"Dòng {NATURES[name].vi} phải có")


def test_discount_is_a_deprecated_alias_of_trade_discount() -> None:
    """``discount`` loads as a trade-discount line, the same as ``trade_discount``."""
    assert ALIASES == {"discount": "trade_discount"}
    lines = [
        make_line(LineSchema().load({"nature": nature, "name": "CK", "amount": "100", "vat_rate": "8%"}), "VND")
        for nature in ("discount", "trade_discount")
    ]
    assert lines[0] == lines[1]
    assert lines[0].nature is LineNature.TRADE_DISCOUNT


def test_nested_errors_become_problems_at_the_callers_paths() -> None:
    """Errors deep in a request come back as ``payer.name``-style paths, UPPER_SNAKE codes and both languages."""
    body: dict[str, Any] = {
        "series_id": "1",
        "payer": {"tax_code": "12", "unknown": 1},
        "lines": [{"name": "Phí", "unit_price": "1e20"}],
    }
    with pytest.raises(ValidationError) as caught:
        ReceiptIn().load(body)
    found = {p.path: p for p in problems_of(caught.value.messages)}
    assert {path: p.code for path, p in found.items()} == {
        "series_id": "NOT_INTEGER",
        "payer.name": "MISSING_FIELD",
        "payer.tax_code": "INVALID_TAX_CODE",
        "payer.unknown": "UNKNOWN_FIELD",
        "lines[0].unit_price": "OUT_OF_RANGE",
    }
    assert found["payer.name"].message_vi == "Thiếu tên người nộp"
    assert found["series_id"].message_vi == "Ký hiệu phải là số nguyên"
    assert all(p.message_en for p in found.values())


def test_a_buyer_may_be_anonymous_but_a_foreign_currency_needs_a_rate() -> None:
    """An invoice's buyer may be empty; an invoice in USD without an exchange rate names ``exchange_rate``."""
    line = {"name": "x", "quantity": "1", "unit_price": "1", "vat_rate": "10%"}
    InvoiceIn().load({"series_id": 1, "buyer": {}, "lines": [line]})
    with pytest.raises(ValidationError) as caught:
        InvoiceIn().load({"series_id": 1, "buyer": {}, "lines": [line], "currency": "USD"})
    assert [p.path for p in problems_of(caught.value.messages)] == ["exchange_rate"]


def _invoice(*lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "kind": "invoice",
        "template": "1",
        "series": "C25TAA",
        "issue_date": "2025-11-20",
        "provider_tax_code": "0100000000",
        "seller": {"name": "A", "tax_code": "0101234567", "address": "B"},
        "lines": list(lines),
        **fields,
    }


def test_figures_are_checked_at_the_line_that_breaks_them() -> None:
    """A trade discount above the goods at its rate, and a total above 10^15, are refused at the caller's path."""
    goods = {"name": "Hàng", "quantity": "1", "unit_price": "1000", "vat_rate": "10%"}
    discount = {"nature": "trade_discount", "name": "CK", "amount": "1001", "vat_rate": "10%"}
    with pytest.raises(InvalidDocumentError) as caught:
        load_document(_invoice(goods, discount))
    assert [(p.path, p.code) for p in caught.value.problems] == [("lines[1].amount", "DISCOUNT_EXCEEDS_GOODS")]
    big = {**goods, "unit_price": str(10**15)}
    with pytest.raises(InvalidDocumentError) as caught:
        load_document(_invoice(big, big))
    assert [(p.path, p.code) for p in caught.value.problems] == [("lines", "AMOUNT_TOO_LARGE")]


def test_an_adjustment_may_subtract() -> None:
    """On an adjustment, negative quantities are the point: the document loads with a negative total."""
    related = {"kind": "adjustment", "template": "1", "series": "C25TAA", "number": "7", "issue_date": "2025-11-01"}
    line = {"name": "Trả lại", "quantity": "-2", "unit_price": "1000", "vat_rate": "10%"}
    document = load_document(_invoice(line, related=related))
    assert isinstance(document, Invoice)
    assert document.totals.total_payable == Decimal(-2200)
    with pytest.raises(InvalidDocumentError) as caught:
        load_document(_invoice(line))
    assert [p.code for p in caught.value.problems] == ["NEGATIVE_QUANTITY"]
