"""Business rules beyond the XSD: figures that must agree with each other, and symbols that must fit the date.

Each rule has a stable code and a title in Vietnamese and English; :data:`RULES` is the catalogue, from which
``docs/validation-rules.md`` is generated (``einvoice rules --markdown``). A rule reads a document as it was stated and
yields every problem it finds with the XML path of the element concerned; rules never stop at the first problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from einvoice.domain.corrections import reference_totals
from einvoice.domain.documents import Invoice, LineNature, Receipt
from einvoice.domain.errors import Problem
from einvoice.domain.money import VND, exact, format_decimal, is_rounded, round_money
from einvoice.domain.series import (
    RECEIPT_TEMPLATES,
    SALES_INVOICE,
    is_invoice_series,
    is_legacy_receipt_series,
    receipt_series_usable_on,
    series_matches_date,
)
from einvoice.domain.totals import line_amount
from einvoice.domain.words import amount_in_words

Finding = tuple[str, str, str]  # (XML path, message in Vietnamese, message in English)
Document = Invoice | Receipt

_INV = "/HDon/DLHDon"
_RCT = "/BLai/DLBLai"


@dataclass(frozen=True, slots=True)
class Rule:
    """One business rule: a stable code, what it checks in both languages, and the check."""

    code: str
    applies_to: type[Invoice] | type[Receipt]
    title_vi: str
    title_en: str
    check: Callable[[Document], Iterator[Finding]]


RULES: list[Rule] = []


def rule(code: str, applies_to: type[Invoice] | type[Receipt], title_vi: str, title_en: str) -> Callable[..., object]:
    """Register a check function under ``code`` in the catalogue."""

    def register(check: Callable[[Document], Iterator[Finding]]) -> Callable[[Document], Iterator[Finding]]:
        RULES.append(Rule(code, applies_to, title_vi, title_en, check))
        return check

    return register


def check_document(document: Document) -> list[Problem]:
    """Run every rule that applies to ``document`` and return all problems found."""
    return [
        Problem(r.code, path, vi, en)
        for r in RULES
        if isinstance(document, r.applies_to)
        for path, vi, en in r.check(document)
    ]


def _n(value: Decimal) -> str:
    return format_decimal(value)


def _line_path(index: int, tag: str) -> str:
    return f"{_INV}/NDHDon/DSHHDVu/HHDVu[{index}]/{tag}"


def _words_match(stated: str, amount: Decimal, currency: str) -> bool:
    expected = amount_in_words(amount, currency)
    folded = " ".join(stated.split()).rstrip(".")
    return folded[:1].upper() + folded[1:] == expected


@rule(
    "INV_LINE_AMOUNT",
    Invoice,
    "Thành tiền dòng = số lượng × đơn giá − chiết khấu",
    "line amount = qty × price − discount",
)
def _line_amounts(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Invoice):
        return
    for i, line in enumerate(doc.lines, start=1):
        if line.nature in (LineNature.GOODS, LineNature.TRADE_DISCOUNT) and line.amount is None:
            yield _line_path(i, "ThTien"), "Thiếu thành tiền của dòng.", "the line has no amount (ThTien)"
        quantity, price, amount = line.quantity, line.unit_price, line.amount
        if line.nature is not LineNature.GOODS or quantity is None or price is None or amount is None:
            continue
        expected = line_amount(quantity, price, line.discount_amount, doc.currency)
        if amount != expected:
            yield (
                _line_path(i, "ThTien"),
                f"Thành tiền {_n(amount)} khác số lượng × đơn giá − chiết khấu = {_n(expected)}.",
                f"line amount {_n(amount)} differs from quantity × unit price − discount = {_n(expected)}",
            )


@rule(
    "INV_LINE_RATE", Invoice, "Thuế suất có trên dòng hàng hóa (chỉ hóa đơn GTGT)", "VAT rate on goods lines (VAT only)"
)
def _line_rates(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Invoice):
        return
    for i, line in enumerate(doc.lines, start=1):
        if doc.template == SALES_INVOICE and line.vat_rate is not None:
            yield _line_path(i, "TSuat"), "Hóa đơn bán hàng không ghi thuế suất.", "a sales invoice carries no VAT rate"
        elif doc.template != SALES_INVOICE and line.nature is LineNature.GOODS and line.vat_rate is None:
            yield _line_path(i, "TSuat"), "Thiếu thuế suất của dòng hàng hóa.", "the goods line has no VAT rate"


@rule("INV_NOTE_LINE", Invoice, "Dòng ghi chú không có số tiền", "note lines carry no amount")
def _note_lines(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Invoice):
        return
    for i, line in enumerate(doc.lines, start=1):
        if line.nature is LineNature.NOTE and line.amount:
            yield (
                _line_path(i, "ThTien"),
                "Dòng ghi chú không được có thành tiền.",
                "a note line must not have an amount",
            )


@rule("INV_RATE_GROUPS", Invoice, "Tổng hợp theo thuế suất khớp với các dòng", "rate groups match the lines")
def _rate_groups(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Invoice):
        return
    if doc.template == SALES_INVOICE:
        return
    expected = {g.rate.code: g for g in reference_totals(doc).rate_groups}
    stated = {g.rate.code: g for g in doc.totals.rate_groups}
    base = f"{_INV}/NDHDon/TToan/THTTLTSuat"
    for code in sorted(expected.keys() - stated.keys()):
        yield base, f"Thiếu dòng tổng hợp thuế suất {code}.", f"no rate group for {code}, which the lines use"
    for code in sorted(stated.keys() - expected.keys()):
        yield base, f"Dòng tổng hợp thuế suất {code} không có dòng hàng nào.", f"rate group {code} matches no line"
    for index, group in enumerate(doc.totals.rate_groups, start=1):
        want = expected.get(group.rate.code)
        if want is None:
            continue
        stated_net, want_net, code = _n(group.taxable_amount), _n(want.taxable_amount), group.rate.code
        if group.taxable_amount != want.taxable_amount:
            yield (
                f"{base}/LTSuat[{index}]/ThTien",
                f"Thành tiền chịu thuế {code} là {stated_net}, theo các dòng phải là {want_net}.",
                f"taxable amount at {code} is {stated_net}; the lines give {want_net}",
            )
        if group.tax_amount != want.tax_amount:
            yield (
                f"{base}/LTSuat[{index}]/TThue",
                f"Tiền thuế {group.rate.code} là {_n(group.tax_amount)}, phải là {_n(want.tax_amount)}.",
                f"tax at {group.rate.code} is {_n(group.tax_amount)}; it must be {_n(want.tax_amount)}",
            )


@rule("INV_TOTALS", Invoice, "Các tổng tiền khớp với các dòng và nhóm thuế suất", "totals agree with lines and groups")
def _totals(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Invoice):
        return
    want = reference_totals(doc)
    got = doc.totals
    base = f"{_INV}/NDHDon/TToan"
    pairs: list[tuple[str, str, Decimal | None, Decimal | None]] = [
        ("TgTThue", "tổng tiền thuế", got.total_tax, want.total_tax),
        ("TTCKTMai", "tổng chiết khấu thương mại", got.trade_discount_total, want.trade_discount_total),
        ("TgTTTBSo", "tổng tiền thanh toán", got.total_payable, want.total_payable),
    ]
    if doc.template != SALES_INVOICE:
        pairs.insert(0, ("TgTCThue", "tổng tiền chưa thuế", got.total_before_tax, want.total_before_tax))
    for tag, name_vi, stated, expected in pairs:
        if stated is not None and expected is not None and stated != expected:
            yield (
                f"{base}/{tag}",
                f"Sai {name_vi}: ghi {_n(stated)}, đúng là {_n(expected)}.",
                f"{tag} is {_n(stated)}; the lines give {_n(expected)}",
            )


@rule("DOC_AMOUNT_ROUNDED", Invoice, "Số tiền VND là số nguyên đồng", "VND amounts are whole đồng")
def _rounded(doc: Document) -> Iterator[Finding]:
    total = doc.totals.total_payable if isinstance(doc, Invoice) else doc.total
    path = f"{_INV}/NDHDon/TToan/TgTTTBSo" if isinstance(doc, Invoice) else f"{_RCT}/NDBLai/TToan/TgTTTBSo"
    if doc.currency == VND and not is_rounded(total, VND):
        yield path, f"Tổng tiền VND {_n(total)} phải làm tròn đến đồng.", f"VND total {_n(total)} must be whole đồng"


@rule("DOC_WORDS", Invoice, "Số tiền bằng chữ khớp với tổng thanh toán", "amount in words matches the total")
def _words(doc: Document) -> Iterator[Finding]:
    if isinstance(doc, Invoice):
        stated, total, path = doc.totals.total_in_words, doc.totals.total_payable, f"{_INV}/NDHDon/TToan/TgTTTBChu"
    else:
        stated, total, path = doc.total_in_words, doc.total, f"{_RCT}/NDBLai/TToan/TgTTTBChu"
    try:
        matches = _words_match(stated, total, doc.currency)
    except ValueError:
        return  # an unknown currency or unrounded amount is reported by its own rule
    if not matches:
        expected = amount_in_words(total, doc.currency)
        yield path, f"Số tiền bằng chữ phải là: {expected}.", f"amount in words must read: {expected}"


@rule("DOC_SERIES", Invoice, "Ký hiệu đúng dạng và năm trùng năm lập", "series well-formed, its year that of the date")
def _series(doc: Document) -> Iterator[Finding]:
    if isinstance(doc, Invoice):
        path, well_formed = f"{_INV}/TTChung/KHHDon", is_invoice_series(doc.series)
    else:
        path, well_formed = f"{_RCT}/TTChung/KHBLai", receipt_series_usable_on(doc.series, doc.issue_date)
        if not well_formed and is_legacy_receipt_series(doc.series):
            yield (
                path,
                f"Ký hiệu '{doc.series}' theo mẫu cũ không dùng từ ngày 01/07/2026; phải có 5 ký tự (26TAA).",
                f"series '{doc.series}' of the old form is not used from 1 July 2026; it needs 5 characters (26TAA)",
            )
            return
    if not well_formed:
        yield path, f"Ký hiệu '{doc.series}' không đúng quy định.", f"series '{doc.series}' is malformed"
    elif not series_matches_date(doc.series, doc.issue_date):
        yield (
            path,
            f"Năm trong ký hiệu '{doc.series}' khác năm lập {doc.issue_date.year}.",
            f"the year in series '{doc.series}' differs from the issue year {doc.issue_date.year}",
        )


@rule("INV_SERIES_TEMPLATE", Invoice, "Ký hiệu phù hợp mẫu số", "series letter fits the template")
def _series_template(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Invoice):
        return
    commercial = len(doc.series) == 6 and doc.series[3] == "X"
    if commercial != (doc.template == "7"):
        yield (
            f"{_INV}/TTChung/KHHDon",
            "Chữ X trong ký hiệu chỉ dùng cho hóa đơn thương mại điện tử (mẫu số 7).",
            "series letter X goes with template 7 (electronic commercial invoice) and only with it",
        )


@rule("DOC_EXCHANGE_RATE", Invoice, "Ngoại tệ phải có tỷ giá", "foreign currency needs an exchange rate")
def _exchange_rate(doc: Document) -> Iterator[Finding]:
    base = _INV if isinstance(doc, Invoice) else _RCT
    if doc.currency != VND and not doc.exchange_rate:
        yield f"{base}/TTChung/TGia", f"Hóa đơn bằng {doc.currency} phải ghi tỷ giá.", f"{doc.currency} needs TGia"
    if doc.exchange_rate is not None and doc.exchange_rate != round_money(doc.exchange_rate, "USD"):
        yield f"{base}/TTChung/TGia", "Tỷ giá có tối đa 2 chữ số thập phân.", "exchange rate has at most 2 decimals"


@rule("INV_RELATED", Invoice, "Hóa đơn bị thay thế/điều chỉnh lập trước hóa đơn này", "original precedes correction")
def _related(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Invoice):
        return
    if doc.related is not None and doc.related.issue_date > doc.issue_date:
        yield (
            f"{_INV}/TTChung/TTHDLQuan/NLHDCLQuan",
            "Ngày của hóa đơn gốc sau ngày lập hóa đơn này.",
            "the original document is dated after this one",
        )


@rule("RCT_TEMPLATE", Receipt, "Mẫu số biên lai là EBL01 hoặc EBL02", "receipt template is EBL01 or EBL02")
def _receipt_template(doc: Document) -> Iterator[Finding]:
    if doc.template not in RECEIPT_TEMPLATES:
        yield (
            f"{_RCT}/TTChung/KHMSBLai",
            f"Mẫu số '{doc.template}' không hợp lệ.",
            f"template '{doc.template}' is invalid",
        )


@rule("RCT_FEE_AMOUNT", Receipt, "Tiền phí = số lượng × mức thu", "fee amount = quantity × rate")
def _fee_amounts(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Receipt):
        return
    for i, fee in enumerate(doc.fees, start=1):
        with exact():
            expected = round_money(fee.quantity * fee.unit_price, doc.currency)
        if fee.amount != expected:
            yield (
                f"{_RCT}/NDBLai/DSPhi/LPhi[{i}]/TPhi",
                f"Tiền phí {_n(fee.amount)} khác số lượng × mức thu = {_n(expected)}.",
                f"fee amount {_n(fee.amount)} differs from quantity × rate = {_n(expected)}",
            )


@rule("RCT_TOTAL", Receipt, "Tổng tiền biên lai = tổng các khoản phí", "receipt total = sum of fees")
def _receipt_total(doc: Document) -> Iterator[Finding]:
    if not isinstance(doc, Receipt):
        return
    with exact():
        expected = sum((fee.amount for fee in doc.fees), Decimal(0))
    if doc.total != expected:
        yield (
            f"{_RCT}/NDBLai/TToan/TgTTTBSo",
            f"Tổng tiền {_n(doc.total)} khác tổng các khoản phí {_n(expected)}.",
            f"total {_n(doc.total)} differs from the sum of fees {_n(expected)}",
        )


# Rules written once for both kinds apply to receipts as well.
RULES.extend(Rule(r.code, Receipt, r.title_vi, r.title_en, r.check) for r in list(RULES) if r.code.startswith("DOC_"))


def catalogue_markdown() -> str:
    """Return the rule catalogue as Markdown, generated from :data:`RULES`."""
    rows = ["| code | applies to | rule (vi) | rule (en) |", "| --- | --- | --- | --- |"]
    seen: dict[str, list[str]] = {}
    for r in RULES:
        seen.setdefault(r.code, []).append(r.applies_to.__name__.lower())
    for r in RULES:
        kinds = seen.pop(r.code, None)
        if kinds:
            rows.append(f"| `{r.code}` | {', '.join(kinds)} | {r.title_vi} | {r.title_en} |")
    header = (
        "# Validation rules\n\nGenerated from `einvoice/xmldoc/rules.py` by `einvoice rules --markdown`; "
        "do not edit by hand. Every document is first validated against its XSD in `schemas/`; these are the "
        "business rules checked beyond it. Each problem carries the rule's code, the XML path and a message in "
        "Vietnamese and English.\n\n"
    )
    return header + "\n".join(rows) + "\n"
