"""Templates (ký hiệu mẫu số), series (ký hiệu) and numbers (số) of invoices and receipts: their rules, once.

Invoices (TT 32 Art. 5): template ``1``–``9``; series of 6 characters: ``C`` (coded by the tax authority) or ``K``
(uncoded), the last two digits of the issuing year, a type letter, two letters chosen by the seller; the type letter
``X`` (electronic commercial invoice) goes with template ``7`` and only with it. Receipts (TT 32 Phụ lục II.B):
template ``EBL01`` (no face value) or ``EBL02`` (face value); series of 3 characters, the two-digit year and ``T``.
Numbers have at most 8 digits and start at 1 in each series (choice 8).

:data:`SERIES_RULES` holds each kind's rules and :func:`series_faults` applies them: the validation rules call it on
every document read, and the catalogue calls it before it creates a series, so that an admin cannot create a series
that issuing would refuse. A new series form (a new kind, or a new symbol pattern) is a change to one row here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal

from einvoice.domain.kinds import DocumentKind

VAT_INVOICE = "1"
SALES_INVOICE = "2"
COMMERCIAL_INVOICE = "7"
INVOICE_TEMPLATES = frozenset("123456789")
RECEIPT_TEMPLATES = frozenset({"EBL01", "EBL02"})
MAX_NUMBER = 99_999_999

#: The printed name of each invoice template; the XML carries it in ``THDon``.
INVOICE_TITLES = {
    "1": "Hóa đơn giá trị gia tăng",
    "2": "Hóa đơn bán hàng",
    "3": "Hóa đơn bán tài sản công",
    "4": "Hóa đơn bán hàng dự trữ quốc gia",
    "5": "Tem, vé, thẻ điện tử",
    "6": "Phiếu xuất kho kiêm vận chuyển nội bộ",
    "7": "Hóa đơn thương mại điện tử",
    "8": "Hóa đơn giá trị gia tăng kiêm biên lai thu thuế, phí, lệ phí",
    "9": "Hóa đơn bán hàng kiêm biên lai thu thuế, phí, lệ phí",
}
RECEIPT_TITLE = "Biên lai thu phí, lệ phí"

#: Rule codes of the faults below; :mod:`einvoice.xmldoc.rules` lists them in the rule catalogue.
SERIES_CODE = "DOC_SERIES"
INVOICE_TEMPLATE_CODE = "INV_TEMPLATE"
INVOICE_SERIES_TEMPLATE_CODE = "INV_SERIES_TEMPLATE"
RECEIPT_TEMPLATE_CODE = "RCT_TEMPLATE"

SeriesField = Literal["template", "series"]


@dataclass(frozen=True, slots=True)
class SeriesFault:
    """One way a (template, series) pair breaks its kind's rules: the rule's code, the field at fault, the words."""

    code: str
    field: SeriesField
    message_vi: str
    message_en: str


@dataclass(frozen=True, slots=True)
class SeriesRules:
    """The templates and series symbols one kind admits; ``symbol``, matched whole, captures the year as group 1."""

    templates: frozenset[str]
    symbol: re.Pattern[str]
    template_code: str
    #: Rules tying the template to the symbol, beyond each being well-formed on its own.
    pair: Callable[[str, str], Iterator[SeriesFault]]


def _commercial_letter(template: str, symbol: str) -> Iterator[SeriesFault]:
    commercial = len(symbol) == 6 and symbol[3] == "X"
    if commercial != (template == COMMERCIAL_INVOICE):
        yield SeriesFault(
            INVOICE_SERIES_TEMPLATE_CODE,
            "series",
            "Chữ X trong ký hiệu chỉ dùng cho hóa đơn thương mại điện tử (mẫu số 7).",
            "series letter X goes with template 7 (electronic commercial invoice) and only with it",
        )


def _no_pair_rule(template: str, symbol: str) -> Iterator[SeriesFault]:
    return iter(())


SERIES_RULES: dict[DocumentKind, SeriesRules] = {
    DocumentKind.INVOICE: SeriesRules(
        INVOICE_TEMPLATES, re.compile(r"[CK](\d{2})[TDLMNBGHX][A-Z]{2}"), INVOICE_TEMPLATE_CODE, _commercial_letter
    ),
    DocumentKind.RECEIPT: SeriesRules(RECEIPT_TEMPLATES, re.compile(r"(\d{2})T"), RECEIPT_TEMPLATE_CODE, _no_pair_rule),
}


def series_faults(kind: DocumentKind, template: str, symbol: str) -> list[SeriesFault]:
    """Return every way ``template`` and ``symbol`` break the rules of ``kind`` (none: a series issuing accepts)."""
    rules = SERIES_RULES[kind]
    faults = []
    if template not in rules.templates:
        faults.append(
            SeriesFault(
                rules.template_code,
                "template",
                f"Mẫu số '{template}' không hợp lệ.",
                f"template '{template}' is invalid",
            )
        )
    if not rules.symbol.fullmatch(symbol):
        faults.append(
            SeriesFault(
                SERIES_CODE, "series", f"Ký hiệu '{symbol}' không đúng quy định.", f"series '{symbol}' is malformed"
            )
        )
    faults.extend(rules.pair(template, symbol))
    return faults


def is_invoice_series(series: str) -> bool:
    """Tell whether ``series`` is a well-formed 6-character invoice series (whatever the template)."""
    return bool(SERIES_RULES[DocumentKind.INVOICE].symbol.fullmatch(series))


def is_receipt_series(series: str) -> bool:
    """Tell whether ``series`` is a well-formed receipt series (whatever the template)."""
    return bool(SERIES_RULES[DocumentKind.RECEIPT].symbol.fullmatch(series))


def series_year(series: str) -> int | None:
    """Return the two-digit year a well-formed series of any kind carries, else ``None``."""
    for rules in SERIES_RULES.values():
        match = rules.symbol.fullmatch(series)
        if match:
            return int(match.group(1))
    return None


def series_matches_date(series: str, issue_date: date) -> bool:
    """Tell whether the year in ``series`` is the year of ``issue_date``."""
    return series_year(series) == issue_date.year % 100


def is_valid_number(number: int) -> bool:
    """Tell whether ``number`` is a document number the format admits (1 to 8 digits)."""
    return 1 <= number <= MAX_NUMBER
