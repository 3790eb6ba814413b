"""Matching bank credits to transfer receipts (spec §6.2), each decision with its reason.

The payer's app pre-fills the transfer description with our reference; the payer may edit it and the sending bank
adds its own text, so the reference is searched **inside** the description, compared without accents, case, spaces
or punctuation, and must not run on into another digit (``… 57`` is not ``… 570``). In order:

1. **Reference**: the receipt whose reference the description holds. Equal amount → ``exact``; less → ``partial``;
   more → ``overpaid``; a receipt already paid by an earlier line → ``duplicate``. Partial, overpaid and duplicate
   lines are matched to the receipt but marked for a person to look at.
2. **Amount and date**: no reference found, exactly one unpaid receipt of that amount issued on the booking day or up
   to :data:`DAYS_BEFORE` days before → ``amount_date``. Several → ``ambiguous`` (unmatched, the candidates named).
3. Otherwise ``foreign``: a credit that is not ours (or whose reference was lost). Debits are ``debit``.

The outcome depends only on the lines and receipts given, in their order, so running it again gives the same result.
Receipts are indexed once (by reference stem and digits, and unpaid ones by amount and day), so a statement of
100,000 lines against a million receipts is a few seconds; an ambiguous decision names at most :data:`NAMED`
receipts and counts the others.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

DAYS_BEFORE = 3
#: Outcomes that pay the receipt they name.
PAYING = ("exact", "partial", "overpaid", "amount_date")
#: Outcomes a person should look at.
REVIEW = ("partial", "overpaid", "duplicate", "ambiguous")


@dataclass(frozen=True, slots=True)
class Expected:
    """A receipt waiting for a transfer: its id, the reference printed in its VietQR code, amount and issue date."""

    document_id: int
    reference: str
    amount: Decimal
    issue_date: date


@dataclass(frozen=True, slots=True)
class Line:
    """A statement line to match: a key of the caller's choosing, booking date, signed amount, description."""

    key: str
    booked_on: date
    amount: Decimal
    description: str


@dataclass(frozen=True, slots=True)
class Match:
    """The decision about one line: outcome, the receipt (if any) and why, in Vietnamese for the page."""

    key: str
    outcome: str
    document_id: int | None
    reason: str


def compact(text: str) -> str:
    """Return ``text`` without accents, case, spaces or punctuation (đ is d), as banks pass descriptions on."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"[^A-Z0-9]", "", "".join(c for c in text if not unicodedata.combining(c)).upper())


class _References:
    """The receipts by reference, for finding the references a description holds without trying each one.

    A compact reference is split into its stem and its trailing digits (``26TAA`` + ``57``). A description holds
    the reference when the stem occurs in it and the digits after that occurrence, up to the first non-digit, are
    the reference's digits: the same as searching for the whole reference not followed by a digit, but with one
    search per stem (one per series) instead of one per receipt.
    """

    def __init__(self, receipts: Sequence[Expected]) -> None:
        self.by_stem: dict[str, dict[str, list[int]]] = {}
        compacted: dict[str, str] = {}  # what precedes the trailing digits, compacted once (one per series)
        for index, receipt in enumerate(receipts):
            head = receipt.reference.rstrip(_DIGIT_CHARS)
            if head not in compacted:
                compacted[head] = compact(head)
            reference = compacted[head] + receipt.reference[len(head) :]
            if not reference:
                continue
            stem = reference.rstrip(_DIGIT_CHARS)
            self.by_stem.setdefault(stem, {}).setdefault(reference[len(stem) :], []).append(index)

    def held(self, text: str) -> list[tuple[int, int]]:
        """Return (reference length, receipt index) of every receipt whose reference ``text`` holds."""
        found = []
        for stem, by_digits in self.by_stem.items():
            at = text.find(stem)
            while at >= 0:
                digits = _DIGITS.match(text, at + len(stem))
                run = digits.group() if digits else ""
                for index in by_digits.get(run, ()):
                    found.append((len(stem) + len(run), index))
                at = text.find(stem, at + 1)
        return sorted(set(found), key=lambda item: (-item[0], item[1]))


_DIGITS = re.compile(r"[0-9]+")
_DIGIT_CHARS = "0123456789"


class _Waiting:
    """Unpaid receipts by (amount, issue date), with how many of each are still unpaid, and the settled ids."""

    def __init__(self, receipts: Sequence[Expected], settled: set[int]) -> None:
        self.receipts = receipts
        self.settled = settled
        self.by_key: dict[tuple[Decimal, date], list[int]] = {}
        self.unpaid: dict[tuple[Decimal, date], int] = {}
        for index, receipt in enumerate(receipts):
            key = (receipt.amount, receipt.issue_date)
            self.by_key.setdefault(key, []).append(index)
            if receipt.document_id not in settled:
                self.unpaid[key] = self.unpaid.get(key, 0) + 1

    def settle(self, receipt: Expected) -> None:
        """Record that ``receipt`` is paid."""
        if receipt.document_id not in self.settled:
            self.settled.add(receipt.document_id)
            self.unpaid[receipt.amount, receipt.issue_date] -= 1

    def candidates(self, amount: Decimal, booked_on: date, at_most: int) -> tuple[list[Expected], int]:
        """Return up to ``at_most`` unpaid receipts of ``amount`` issued in the window, and how many there are."""
        days = [booked_on - timedelta(days=back) for back in range(DAYS_BEFORE, -1, -1)]
        total = sum(self.unpaid.get((amount, day), 0) for day in days)
        wanted = min(total, at_most)  # the counts tell when to stop reading the lists
        found: list[Expected] = []
        for day in days:
            for index in self.by_key.get((amount, day), ()):
                if len(found) == wanted:
                    return found, total
                receipt = self.receipts[index]
                if receipt.document_id not in self.settled:
                    found.append(receipt)
        return found, total


#: How many candidate receipts an ambiguous decision names.
NAMED = 10


def match_lines(lines: Iterable[Line], receipts: Sequence[Expected], *, paid: Iterable[int] = ()) -> list[Match]:
    """Decide every line in order; ``paid`` names receipts an earlier import already matched."""
    settled = set(paid)
    references = _References(receipts)
    waiting = _Waiting(receipts, settled)
    return [_decide(line, references, waiting, receipts) for line in lines]


def _ids(receipts: Iterable[Expected], total: int) -> str:
    ids = ", ".join(str(r.document_id) for r in receipts)
    return ids if total <= NAMED else f"{ids} và {total - NAMED} biên lai khác"


def _decide(line: Line, references: _References, waiting: _Waiting, receipts: Sequence[Expected]) -> Match:
    if line.amount <= 0:
        return Match(line.key, "debit", None, "Ghi nợ: không đối chiếu")
    held = references.held(compact(line.description))
    if held:
        longest = [receipts[index] for length, index in held if length == held[0][0]]
        if len(longest) == 1:
            return _by_reference(line, longest[0], waiting)
        # One reference, several receipts (two templates share a series symbol): the amount decides, or a person.
        fitting = [r for r in longest if r.document_id not in waiting.settled and r.amount == line.amount]
        if len(fitting) == 1:
            return _by_reference(line, fitting[0], waiting)
        ids = _ids(longest[:NAMED], len(longest))
        return Match(line.key, "ambiguous", None, f"Mã tham chiếu trùng ở nhiều biên lai ({ids}): cần kiểm tra")
    candidates, total = waiting.candidates(line.amount, line.booked_on, NAMED)
    if total == 1:
        waiting.settle(candidates[0])
        return Match(
            line.key,
            "amount_date",
            candidates[0].document_id,
            f"Không thấy mã tham chiếu; khớp theo số tiền {line.amount} và ngày (biên lai duy nhất chưa thanh toán)",
        )
    if candidates:
        ids = _ids(candidates, total)
        return Match(line.key, "ambiguous", None, f"Nhiều biên lai cùng số tiền và ngày ({ids}): cần kiểm tra")
    return Match(line.key, "foreign", None, "Không thấy mã tham chiếu và không có biên lai cùng số tiền, ngày")


def _by_reference(line: Line, receipt: Expected, waiting: _Waiting) -> Match:
    why = f"Nội dung chứa mã tham chiếu {receipt.reference}"
    if receipt.document_id in waiting.settled:
        return Match(line.key, "duplicate", receipt.document_id, why + "; biên lai đã được thanh toán trước đó")
    waiting.settle(receipt)
    if line.amount == receipt.amount:
        return Match(line.key, "exact", receipt.document_id, why + " và số tiền bằng nhau")
    if line.amount < receipt.amount:
        return Match(line.key, "partial", receipt.document_id, why + f"; thiếu {receipt.amount - line.amount}")
    return Match(line.key, "overpaid", receipt.document_id, why + f"; thừa {line.amount - receipt.amount}")


def unpaid(receipts: Sequence[Expected], matches: Iterable[Match], *, paid: Iterable[int] = ()) -> list[Expected]:
    """Return the receipts no line paid."""
    done = set(paid) | {m.document_id for m in matches if m.outcome in PAYING}
    return [r for r in receipts if r.document_id not in done]
