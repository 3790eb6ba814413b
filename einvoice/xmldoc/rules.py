"""Business rules beyond the XSD: figures that must agree with each other, and symbols that must fit the date.

Each rule has a stable code, the kinds of document it applies to, and a title in Vietnamese and English; :data:`RULES`
is the catalogue, from which ``docs/validation-rules.md`` is generated (``einvoice rules --markdown``). A rule reads a
document as it was stated and yields every problem it finds with the XML path of the element concerned; rules never
stop at the first problem. The rules of templates and series are those of :mod:`einvoice.domain.series`, which the
catalogue also applies when a series is created; the XML paths come from each kind's row in ``formats``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from einvoice.domain.corrections import reference_totals
from einvoice.domain.documents import Document, Invoice, InvoiceTotals, LineNature, Receipt
from einvoice.domain.errors import Problem
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.money import VND, exact, format_decimal, is_rounded, quantum, round_money
from einvoice.domain.series import (
    INVOICE_SERIES_TEMPLATE_CODE,
    INVOICE_TEMPLATE_CODE,
    RECEIPT_TEMPLATE_CODE,
    SALES_INVOICE,
    SERIES_CODE,
    series_faults,
    series_matches_date,
)
from einvoice.domain.totals import fee_amount, line_amount, receipt_total
from einvoice.domain.words import amount_in_words
from einvoice.domain.words_meaning import same_meaning
from einvoice.xmldoc import formats
from einvoice.xmldoc.profiles import Profile, profile_markdown, tolerance


class Note(NamedTuple):
    """A finding the read profile reports as a warning under a code of :data:`~einvoice.xmldoc.profiles.TOLERANCES`."""

    code: str
    path: str
    message_vi: str
    message_en: str


Finding = tuple[str, str, str] | Note  # (XML path, message in Vietnamese, message in English), or a warning
#: The profile the rules are run under; set by :func:`judge_rules` for the checks that read documents leniently.
_PROFILE: ContextVar[Profile] = ContextVar("rules_profile", default=Profile.EMIT)
#: The totals the lines of the document being judged give, computed once for the rules that compare against them.
_REFERENCE: ContextVar[tuple[Invoice, InvoiceTotals] | None] = ContextVar("rules_reference", default=None)
#: Resolution 406/NQ-UBTVQH15 reduced VAT by 30 % for some trades; invoices of these dates show the reduced tax.
_VAT_REDUCTION_PERIOD = (date(2021, 11, 1), date(2022, 12, 31))
Check = Callable[[Any], Iterator[Finding]]  # each check takes the document class of the kinds it applies to

_INVOICE = (DocumentKind.INVOICE,)
_RECEIPT = (DocumentKind.RECEIPT,)
_EVERY_KIND = tuple(DocumentKind)
_INV = formats.INVOICE
_RCT = formats.RECEIPT


@dataclass(frozen=True, slots=True)
class Rule:
    """One business rule: a stable code, the kinds it applies to, what it checks in both languages, and the check."""

    code: str
    kinds: tuple[DocumentKind, ...]
    title_vi: str
    title_en: str
    check: Check


RULES: list[Rule] = []


def rule(code: str, kinds: tuple[DocumentKind, ...], title_vi: str, title_en: str) -> Callable[[Check], Check]:
    """Register a check function under ``code`` in the catalogue, for documents of ``kinds``."""

    def register(check: Check) -> Check:
        RULES.append(Rule(code, kinds, title_vi, title_en, check))
        return check

    return register


def check_document(document: Document, profile: Profile = Profile.EMIT) -> list[Problem]:
    """Run every rule that applies to ``document`` and return all problems found (errors only)."""
    return judge_rules(document, profile)[0]


def judge_rules(document: Document, profile: Profile) -> tuple[list[Problem], list[Problem]]:
    """Run every rule that applies to ``document`` under ``profile``; return its (errors, warnings)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    token, reference = _PROFILE.set(profile), _REFERENCE.set(None)
    try:
        for r in RULES:
            if document.kind not in r.kinds:
                continue
            for finding in r.check(document):
                if isinstance(finding, Note):
                    warnings.append(Problem(*finding))
                else:
                    errors.append(Problem(r.code, *finding))
    finally:
        _PROFILE.reset(token)
        _REFERENCE.reset(reference)
    return errors, warnings


def _reference(doc: Invoice) -> InvoiceTotals:
    """Return :func:`reference_totals` of ``doc``, computed once per :func:`judge_rules` call."""
    cached = _REFERENCE.get()
    if cached is not None and cached[0] is doc:
        return cached[1]
    totals = reference_totals(doc)
    _REFERENCE.set((doc, totals))
    return totals


def _reading() -> bool:
    return _PROFILE.get() is Profile.READ


def _note(code: str, path: str, detail_vi: str, detail_en: str) -> Note:
    row = tolerance(code)
    return Note(code, path, f"{row.title_vi}: {detail_vi}", f"{row.title_en}: {detail_en}")


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def _half_unit(value: Decimal) -> Decimal:
    return Decimal(5).scaleb(-_decimals(value) - 1)


def _within_precision(stated: Decimal, expected: Decimal, currency: str, slack: Decimal) -> bool:
    """Whether ``stated`` is ``expected`` rounded to its own decimals (at most 6), give or take ``slack``."""
    decimals = max(_decimals(stated), _decimals(quantum(currency)))
    with exact():
        return abs(stated - expected) <= Decimal(5).scaleb(-decimals - 1) + slack


def _lines_rounding(doc: Invoice) -> Decimal:
    """The most that rounding each foreign-currency line to its stated decimals can move a total computed from them."""
    amounts = [line.amount for line in doc.lines if line.amount is not None]
    decimals = max([_decimals(amount) for amount in amounts] + [2])
    with exact():
        return len(amounts) * Decimal(5).scaleb(-decimals - 1)


#: (Vietnamese, English) message templates with ``{stated}`` and ``{expected}``, filled only when a figure differs.
Messages = tuple[str, str]


def _compare(
    doc: Invoice, path: str, stated: Decimal, expected: Decimal, messages: Messages, *, tax: bool = False
) -> Iterator[Finding]:
    """Yield the error of a stated figure that differs from the computed one; reading, a warning when tolerated."""
    if stated == expected:
        return
    if tax and _vat_reduced(doc, stated, expected):
        yield _note(
            "READ_VAT_REDUCED_30", path, f"{_n(stated)} thay vì {_n(expected)}.", f"{_n(stated)}, not {_n(expected)}"
        )
    elif _reading() and doc.currency != VND and abs(stated - expected) <= _lines_rounding(doc):
        yield _note(
            "READ_TOTAL_PRECISION",
            path,
            f"ghi {_n(stated)}, tính được {_n(expected)}.",
            f"{_n(stated)} vs {_n(expected)}",
        )
    else:
        figures = {"stated": _n(stated), "expected": _n(expected)}
        yield path, messages[0].format(**figures), messages[1].format(**figures)


def _vat_reduced(doc: Invoice, stated: Decimal, expected: Decimal) -> bool:
    """Whether ``stated`` tax is ``expected`` reduced by 30 % on an invoice of the reduction period (read only)."""
    start, end = _VAT_REDUCTION_PERIOD
    if not _reading() or not start <= doc.issue_date <= end:
        return False
    with exact():
        return stated == round_money(expected * Decimal("0.7"), doc.currency)


def _n(value: Decimal) -> str:
    return format_decimal(value)


def _line_path(index: int, tag: str) -> str:
    return _INV.content_path(f"DSHHDVu/HHDVu[{index}]/{tag}")


def _words_match(stated: str, amount: Decimal, currency: str) -> bool:
    expected = amount_in_words(amount, currency)
    folded = " ".join(stated.split()).rstrip(".")
    return folded[:1].upper() + folded[1:] == expected


@rule(
    "INV_LINE_AMOUNT",
    _INVOICE,
    "Thành tiền dòng = số lượng × đơn giá − chiết khấu",
    "line amount = qty × price − discount",
)
def _line_amounts(doc: Invoice) -> Iterator[Finding]:
    for i, line in enumerate(doc.lines, start=1):
        if line.nature in (LineNature.GOODS, LineNature.TRADE_DISCOUNT) and line.amount is None:
            yield _line_path(i, "ThTien"), "Thiếu thành tiền của dòng.", "the line has no amount (ThTien)"
        quantity, price, amount = line.quantity, line.unit_price, line.amount
        if line.nature is not LineNature.GOODS or quantity is None or price is None or amount is None:
            continue
        expected = line_amount(quantity, price, line.discount_amount, doc.currency)
        if amount != expected and _reading():
            with exact():
                precise = quantity * price - (line.discount_amount or Decimal(0))
                # Foreign-currency prices are often amount / quantity rounded (09): the product carries that rounding.
                price_slack = abs(quantity) * _half_unit(price) if doc.currency != VND else Decimal(0)
            if _within_precision(amount, precise, doc.currency, price_slack):
                continue
        if amount != expected:
            yield (
                _line_path(i, "ThTien"),
                f"Thành tiền {_n(amount)} khác số lượng × đơn giá − chiết khấu = {_n(expected)}.",
                f"line amount {_n(amount)} differs from quantity × unit price − discount = {_n(expected)}",
            )


@rule(
    "INV_LINE_RATE",
    _INVOICE,
    "Thuế suất có trên dòng hàng hóa (chỉ hóa đơn GTGT)",
    "VAT rate on goods lines (VAT only)",
)
def _line_rates(doc: Invoice) -> Iterator[Finding]:
    for i, line in enumerate(doc.lines, start=1):
        if doc.template == SALES_INVOICE and line.vat_rate is not None:
            yield _line_path(i, "TSuat"), "Hóa đơn bán hàng không ghi thuế suất.", "a sales invoice carries no VAT rate"
        elif doc.template != SALES_INVOICE and line.nature is LineNature.GOODS and line.vat_rate is None:
            yield _line_path(i, "TSuat"), "Thiếu thuế suất của dòng hàng hóa.", "the goods line has no VAT rate"


@rule("INV_NOTE_LINE", _INVOICE, "Dòng ghi chú không có số tiền", "note lines carry no amount")
def _note_lines(doc: Invoice) -> Iterator[Finding]:
    for i, line in enumerate(doc.lines, start=1):
        if line.nature is LineNature.NOTE and line.amount:
            yield (
                _line_path(i, "ThTien"),
                "Dòng ghi chú không được có thành tiền.",
                "a note line must not have an amount",
            )


@rule("INV_RATE_GROUPS", _INVOICE, "Tổng hợp theo thuế suất khớp với các dòng", "rate groups match the lines")
def _rate_groups(doc: Invoice) -> Iterator[Finding]:
    if doc.template == SALES_INVOICE:
        return
    expected = {g.rate.code: g for g in _reference(doc).rate_groups}
    stated = {g.rate.code: g for g in doc.totals.rate_groups}
    base = _INV.content_path("TToan/THTTLTSuat")
    for code in sorted(expected.keys() - stated.keys()):
        yield base, f"Thiếu dòng tổng hợp thuế suất {code}.", f"no rate group for {code}, which the lines use"
    for code in sorted(stated.keys() - expected.keys()):
        yield base, f"Dòng tổng hợp thuế suất {code} không có dòng hàng nào.", f"rate group {code} matches no line"
    for index, group in enumerate(doc.totals.rate_groups, start=1):
        want = expected.get(group.rate.code)
        if want is None:
            continue
        code = group.rate.code
        yield from _compare(
            doc,
            f"{base}/LTSuat[{index}]/ThTien",
            group.taxable_amount,
            want.taxable_amount,
            (
                f"Thành tiền chịu thuế {code} là {{stated}}, theo các dòng phải là {{expected}}.",
                f"taxable amount at {code} is {{stated}}; the lines give {{expected}}",
            ),
        )
        yield from _compare(
            doc,
            f"{base}/LTSuat[{index}]/TThue",
            group.tax_amount,
            want.tax_amount,
            (
                f"Tiền thuế {code} là {{stated}}, phải là {{expected}}.",
                f"tax at {code} is {{stated}}; it must be {{expected}}",
            ),
            tax=True,
        )


def _net_of_reductions(doc: Invoice, want: InvoiceTotals) -> InvoiceTotals:
    """Return the computed totals less the 30 % reductions the stated rate groups show (reported by INV_RATE_GROUPS)."""
    if not _reading():  # reductions are accepted only when reading (see _vat_reduced)
        return want
    computed = {group.rate.code: group.tax_amount for group in want.rate_groups}
    with exact():
        reduction = sum(
            (
                computed[group.rate.code] - group.tax_amount
                for group in doc.totals.rate_groups
                if group.rate.code in computed and _vat_reduced(doc, group.tax_amount, computed[group.rate.code])
            ),
            Decimal(0),
        )
        if not reduction or want.total_tax is None:
            return want
        return replace(want, total_tax=want.total_tax - reduction, total_payable=want.total_payable - reduction)


@rule("INV_TOTALS", _INVOICE, "Các tổng tiền khớp với các dòng và nhóm thuế suất", "totals agree with lines and groups")
def _totals(doc: Invoice) -> Iterator[Finding]:
    want = _net_of_reductions(doc, _reference(doc))
    got = doc.totals
    base = _INV.content_path("TToan")
    pairs: list[tuple[str, str, Decimal | None, Decimal | None]] = [
        ("TgTThue", "tổng tiền thuế", got.total_tax, want.total_tax),
        ("TTCKTMai", "tổng chiết khấu thương mại", got.trade_discount_total, want.trade_discount_total),
        ("TgTTTBSo", "tổng tiền thanh toán", got.total_payable, want.total_payable),
    ]
    if doc.template != SALES_INVOICE:
        pairs.insert(0, ("TgTCThue", "tổng tiền chưa thuế", got.total_before_tax, want.total_before_tax))
    for tag, name_vi, stated, expected in pairs:
        if stated is not None and expected is not None:
            yield from _compare(
                doc,
                f"{base}/{tag}",
                stated,
                expected,
                (
                    f"Sai {name_vi}: ghi {{stated}}, đúng là {{expected}}.",
                    f"{tag} is {{stated}}; the lines give {{expected}}",
                ),
            )


@rule("DOC_AMOUNT_ROUNDED", _EVERY_KIND, "Số tiền VND là số nguyên đồng", "VND amounts are whole đồng")
def _rounded(doc: Document) -> Iterator[Finding]:
    total, path = doc.total_payable, formats.FORMATS[doc.kind].content_path("TToan/TgTTTBSo")
    if doc.currency == VND and not is_rounded(total, VND):
        yield path, f"Tổng tiền VND {_n(total)} phải làm tròn đến đồng.", f"VND total {_n(total)} must be whole đồng"


@rule("DOC_WORDS", _EVERY_KIND, "Số tiền bằng chữ khớp với tổng thanh toán", "amount in words matches the total")
def _words(doc: Document) -> Iterator[Finding]:
    stated, total = doc.total_in_words, doc.total_payable
    path = formats.FORMATS[doc.kind].content_path("TToan/TgTTTBChu")
    try:
        matches = _words_match(stated, total, doc.currency)
    except ValueError:
        return  # an unknown currency or unrounded amount is reported by its own rule
    if not matches and _reading():
        if not stated.strip():
            yield _note("READ_WORDS_EMPTY", path, "TgTTTBChu.", "TgTTTBChu")
            return
        matches = same_meaning(stated, amount_in_words(total, doc.currency))
    if not matches:
        expected = amount_in_words(total, doc.currency)
        yield path, f"Số tiền bằng chữ phải là: {expected}.", f"amount in words must read: {expected}"


def _series_path(doc: Document, field: str) -> str:
    xml = formats.FORMATS[doc.kind]
    return xml.general_path(xml.template_tag if field == "template" else xml.series_tag)


def _series_findings(doc: Document, code: str) -> Iterator[Finding]:
    for fault in series_faults(doc.kind, doc.template, doc.series, doc.issue_date):
        if fault.code == code:
            yield _series_path(doc, fault.field), fault.message_vi, fault.message_en


@rule(
    SERIES_CODE, _EVERY_KIND, "Ký hiệu đúng dạng và năm trùng năm lập", "series well-formed, its year that of the date"
)
def _series(doc: Document) -> Iterator[Finding]:
    malformed = list(_series_findings(doc, SERIES_CODE))
    yield from malformed
    if not malformed and not series_matches_date(doc.series, doc.issue_date):
        yield (
            _series_path(doc, "series"),
            f"Năm trong ký hiệu '{doc.series}' khác năm lập {doc.issue_date.year}.",
            f"the year in series '{doc.series}' differs from the issue year {doc.issue_date.year}",
        )


@rule(INVOICE_SERIES_TEMPLATE_CODE, _INVOICE, "Ký hiệu phù hợp mẫu số", "series letter fits the template")
def _series_template(doc: Invoice) -> Iterator[Finding]:
    return _series_findings(doc, INVOICE_SERIES_TEMPLATE_CODE)


@rule(INVOICE_TEMPLATE_CODE, _INVOICE, "Mẫu số hóa đơn từ 1 đến 9", "invoice template is 1 to 9")
def _invoice_template(doc: Invoice) -> Iterator[Finding]:
    return _series_findings(doc, INVOICE_TEMPLATE_CODE)


@rule("DOC_EXCHANGE_RATE", _EVERY_KIND, "Ngoại tệ phải có tỷ giá", "foreign currency needs an exchange rate")
def _exchange_rate(doc: Document) -> Iterator[Finding]:
    path = formats.FORMATS[doc.kind].general_path("TGia")
    if doc.currency != VND and not doc.exchange_rate:
        yield path, f"Hóa đơn bằng {doc.currency} phải ghi tỷ giá.", f"{doc.currency} needs TGia"
    if doc.exchange_rate is not None and doc.exchange_rate != round_money(doc.exchange_rate, "USD"):
        yield path, "Tỷ giá có tối đa 2 chữ số thập phân.", "exchange rate has at most 2 decimals"


@rule("INV_RELATED", _INVOICE, "Hóa đơn bị thay thế/điều chỉnh lập trước hóa đơn này", "original precedes correction")
def _related(doc: Invoice) -> Iterator[Finding]:
    if doc.related is not None and doc.related.issue_date > doc.issue_date:
        yield (
            _INV.general_path("TTHDLQuan/NLHDCLQuan"),
            "Ngày của hóa đơn gốc sau ngày lập hóa đơn này.",
            "the original document is dated after this one",
        )


@rule(RECEIPT_TEMPLATE_CODE, _RECEIPT, "Mẫu số biên lai là EBL01 hoặc EBL02", "receipt template is EBL01 or EBL02")
def _receipt_template(doc: Receipt) -> Iterator[Finding]:
    return _series_findings(doc, RECEIPT_TEMPLATE_CODE)


@rule("RCT_FEE_AMOUNT", _RECEIPT, "Tiền phí = số lượng × mức thu", "fee amount = quantity × rate")
def _fee_amounts(doc: Receipt) -> Iterator[Finding]:
    for i, fee in enumerate(doc.fees, start=1):
        expected = fee_amount(fee.quantity, fee.unit_price, doc.currency)
        if fee.amount != expected:
            yield (
                _RCT.content_path(f"DSPhi/LPhi[{i}]/TPhi"),
                f"Tiền phí {_n(fee.amount)} khác số lượng × mức thu = {_n(expected)}.",
                f"fee amount {_n(fee.amount)} differs from quantity × rate = {_n(expected)}",
            )


@rule("RCT_TOTAL", _RECEIPT, "Tổng tiền biên lai = tổng các khoản phí", "receipt total = sum of fees")
def _receipt_total(doc: Receipt) -> Iterator[Finding]:
    expected = receipt_total(doc.fees)
    if doc.total != expected:
        yield (
            _RCT.content_path("TToan/TgTTTBSo"),
            f"Tổng tiền {_n(doc.total)} khác tổng các khoản phí {_n(expected)}.",
            f"total {_n(doc.total)} differs from the sum of fees {_n(expected)}",
        )


def catalogue_markdown() -> str:
    """Return the rule catalogue as Markdown, generated from :data:`RULES`."""
    rows = ["| code | applies to | rule (vi) | rule (en) |", "| --- | --- | --- | --- |"]
    for r in RULES:
        rows.append(f"| `{r.code}` | {', '.join(r.kinds)} | {r.title_vi} | {r.title_en} |")
    header = (
        "# Validation rules\n\nGenerated from `einvoice/xmldoc/rules.py` by `einvoice rules --markdown`; "
        "do not edit by hand. Every document is first validated against its XSD in `schemas/`; these are the "
        "business rules checked beyond it. Each problem carries the rule's code, the XML path and a message in "
        "Vietnamese and English.\n\n"
    )
    profiles = (
        "\n## Two profiles\n\nWhat we emit is judged by the **emit** profile: the XSD and every rule above, exactly. "
        "Documents received from others (the public check, `einvoice validate`) are judged by the **read** profile, "
        "which accepts what the tax authority accepts: each divergence below is an error when we emit and, when we "
        "read, accepted silently or reported as a warning that never makes the document invalid. Documents edited "
        "after signing stay invalid whatever their content (that is the signature's verdict).\n\n"
    )
    return header + "\n".join(rows) + "\n" + profiles + profile_markdown()
