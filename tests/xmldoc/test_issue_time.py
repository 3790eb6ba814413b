"""Issue time judges what the builder made without reading its XML back; these tests are what allows it.

``validate_document(built)`` checks the XSD on the builder's parsed tree and the rules on the source document
(:func:`einvoice.xmldoc.validate._judge_built`). That is sound only while reading the built XML back gives the source
document as the rules see it, for any document: the property tests below hold it, on the strategies of the other
property tests, and hold the issue-time judgement of broken documents to the full read-back one, problem for problem.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import builders
import pytest
from hypothesis import given
from hypothesis import strategies as st
from xmldoc.test_properties import goods_lines, quantities
from xmldoc.test_properties_currency import SETTINGS, _invoice, currencies, drawn_lines, exchange_rates

from einvoice.domain.documents import Document, Invoice, Receipt
from einvoice.domain.totals import fee_line, make_receipt
from einvoice.xmldoc.build import build_for_signing
from einvoice.xmldoc.parse import load_root, read_document
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.rules import judge_rules
from einvoice.xmldoc.validate import validate_document

fee_amounts = st.lists(
    st.tuples(quantities, st.decimals(min_value=0, max_value=10**9, places=0)), min_size=1, max_size=30
)


def _receipt(fees: list[tuple[Decimal, Decimal]]) -> Receipt:
    lines = [fee_line(f"Lệ phí số {i}", price, quantity=qty, unit="Hồ sơ") for i, (qty, price) in enumerate(fees)]
    return make_receipt(
        template="EBL01",
        series="26TAA",
        issue_date=date(2026, 3, 2),
        collector=builders.collector(),
        payer=builders.payer(),
        fees=lines,
        number=9,
        lookup_code="7K2P9QAXM4TD",
    )


def _assert_read_back_is_the_source(document: Document) -> None:
    built = build_for_signing(document)
    read, problems = read_document(load_root(built.xml))
    assert problems == []
    assert read == document
    assert judge_rules(read, Profile.EMIT) == judge_rules(document, Profile.EMIT) == ([], [])
    assert validate_document(built) == validate_document(built.xml) == []


@pytest.mark.slow
@SETTINGS
@given(lines=goods_lines())
def test_vnd_invoices_read_back_as_built(lines: list) -> None:  # type: ignore[type-arg]
    """Invoices of 1–500 mixed-rate lines and trade discounts read back as the document they were built from."""
    _assert_read_back_is_the_source(builders.invoice(lines))


@pytest.mark.slow
@SETTINGS
@given(data=st.data(), currency=currencies, exchange_rate=exchange_rates)
def test_invoices_in_any_currency_read_back_as_built(
    data: st.DataObject, currency: str, exchange_rate: Decimal
) -> None:
    """Foreign-currency invoices with line discounts read back as the document they were built from."""
    _assert_read_back_is_the_source(_invoice(data.draw(drawn_lines(currency)), currency, exchange_rate))


@pytest.mark.slow
@SETTINGS
@given(fees=fee_amounts)
def test_receipts_read_back_as_built(fees: list[tuple[Decimal, Decimal]]) -> None:
    """Receipts of 1–30 fees read back as the document they were built from."""
    _assert_read_back_is_the_source(_receipt(fees))


def _bump_line(doc: Invoice) -> Invoice:
    first = doc.lines[0]
    assert first.amount is not None
    return replace(doc, lines=(replace(first, amount=first.amount + 1), *doc.lines[1:]))


def _bump_payable(doc: Invoice) -> Invoice:
    return replace(doc, totals=replace(doc.totals, total_payable=doc.totals.total_payable + 1))


#: A way to break an invoice, and a code its judgement must then contain (a rule, or the XSD's).
BREAKS = {
    "line amount": (_bump_line, "INV_LINE_AMOUNT"),
    "payable": (_bump_payable, "INV_TOTALS"),
    "words": (lambda doc: replace(doc, totals=replace(doc.totals, total_in_words="Một đồng.")), "DOC_WORDS"),
    "series year": (lambda doc: replace(doc, series="C24TAA"), "DOC_SERIES"),
    "no exchange rate": (lambda doc: replace(doc, currency="USD", exchange_rate=None), "DOC_EXCHANGE_RATE"),
    "buyer name too long": (lambda doc: replace(doc, buyer=replace(doc.buyer, name="Ă" * 401)), "XSD_LENGTH"),
}


@pytest.mark.slow
@SETTINGS
@given(lines=goods_lines(), broken=st.sampled_from(sorted(BREAKS)))
def test_a_broken_invoice_is_refused_at_issue_time_as_when_read_back(
    lines: list,  # type: ignore[type-arg]
    broken: str,
) -> None:
    """A broken document gets at issue time exactly the problems (codes, paths, messages) the read-back gives."""
    breaking, code = BREAKS[broken]
    built = build_for_signing(breaking(builders.invoice(lines)))
    problems = validate_document(built)
    assert code in {problem.code for problem in problems}
    assert problems == validate_document(built.xml)


def test_a_broken_receipt_is_refused_at_issue_time_as_when_read_back() -> None:
    """A receipt whose total is not the sum of its fees: the same problems at issue time as read back."""
    receipt = builders.receipt(3)
    built = build_for_signing(replace(receipt, total=receipt.total + 1))
    problems = validate_document(built)
    assert {"RCT_TOTAL", "DOC_WORDS"} <= {problem.code for problem in problems}
    assert problems == validate_document(built.xml)


def test_the_read_profile_still_reads_the_bytes() -> None:
    """Judging a built document under the read profile reads its bytes: the source document plays no part."""
    receipt = builders.receipt(2)
    built = replace(build_for_signing(receipt), document=replace(receipt, total=receipt.total + 1))
    assert validate_document(built, Profile.READ) == validate_document(built.xml, Profile.READ) == []
