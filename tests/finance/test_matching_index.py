"""Matching through the reference and amount indexes decides exactly as trying every receipt on every line does."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from einvoice.finance.matching import DAYS_BEFORE, Expected, Line, compact, match_lines

DAY = date(2026, 3, 10)
SERIES = ("26TAA", "26TAB", "6TAA", "26TA")
AMOUNTS = (Decimal(2000), Decimal(5000), Decimal(7000))


def _naive(lines: Sequence[Line], receipts: Sequence[Expected], paid: set[int]) -> list[tuple[str, int | None]]:
    """The rule of the module docstring, written the slow way: every reference tried on every line."""
    settled = set(paid)
    references = sorted(((compact(r.reference), r) for r in receipts), key=lambda item: -len(item[0]))
    decided: list[tuple[str, int | None]] = []
    for line in lines:
        if line.amount <= 0:
            decided.append(("debit", None))
            continue
        text = compact(line.description)
        held = [(ref, r) for ref, r in references if ref and re.search(re.escape(ref) + "(?![0-9])", text)]
        chosen = None
        if held:
            longest = [r for ref, r in held if len(ref) == len(held[0][0])]
            fitting = [r for r in longest if r.document_id not in settled and r.amount == line.amount]
            chosen = longest[0] if len(longest) == 1 else fitting[0] if len(fitting) == 1 else None
            if chosen is None:
                decided.append(("ambiguous", None))
                continue
            if chosen.document_id in settled:
                decided.append(("duplicate", chosen.document_id))
                continue
            settled.add(chosen.document_id)
            outcome = (
                "exact" if line.amount == chosen.amount else "partial" if line.amount < chosen.amount else "overpaid"
            )
            decided.append((outcome, chosen.document_id))
            continue
        window = [
            r
            for r in receipts
            if r.document_id not in settled
            and r.amount == line.amount
            and line.booked_on - timedelta(days=DAYS_BEFORE) <= r.issue_date <= line.booked_on
        ]
        if len(window) == 1:
            settled.add(window[0].document_id)
            decided.append(("amount_date", window[0].document_id))
        else:
            decided.append(("ambiguous" if window else "foreign", None))
    return decided


receipt_strategy = st.tuples(st.sampled_from(SERIES), st.integers(1, 40), st.sampled_from(AMOUNTS), st.integers(-6, 0))
line_strategy = st.tuples(
    st.sampled_from(("", "LP ", "MBVCB.123.", "nop ")),
    st.sampled_from((*SERIES, "")),
    st.integers(0, 45),
    st.sampled_from(("", " NGUYEN VAN AN", "7", ".CT tu 0011", " 57")),
    st.sampled_from((*AMOUNTS, Decimal(1000), Decimal(-2000))),
    st.integers(-2, 2),
)


@settings(max_examples=300, deadline=None)
@given(
    receipts=st.lists(receipt_strategy, max_size=30),
    lines=st.lists(line_strategy, max_size=30),
    paid=st.sets(st.integers(1, 30), max_size=5),
)
def test_indexes_decide_as_trying_every_receipt(
    receipts: list[tuple[str, int, Decimal, int]],
    lines: list[tuple[str, str, int, str, Decimal, int]],
    paid: set[int],
) -> None:
    """Outcome and receipt of every line equal the slow rule's, over series whose symbols contain one another."""
    expected = [
        Expected(i, f"{series} {number}", amount, DAY + timedelta(days=shift))
        for i, (series, number, amount, shift) in enumerate(receipts, start=1)
    ]
    statement = [
        Line(str(i), DAY + timedelta(days=shift), amount, f"{before}{series} {number}{after}")
        for i, (before, series, number, after, amount, shift) in enumerate(lines)
    ]
    decided = [(m.outcome, m.document_id) for m in match_lines(statement, expected, paid=paid)]
    assert decided == _naive(statement, expected, paid)


def test_ambiguous_amounts_name_ten_receipts_and_count_the_rest() -> None:
    """Many unpaid receipts of one amount and day: unmatched, ten named, the others counted in the reason."""
    receipts = [Expected(i, f"26TAA {i}", Decimal(2000), DAY) for i in range(1, 26)]
    [match] = match_lines([Line("1", DAY, Decimal(2000), "NOP LE PHI")], receipts)
    assert match.outcome == "ambiguous"
    assert match.document_id is None
    assert "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 và 15 biên lai khác" in match.reason
