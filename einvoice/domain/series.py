"""Templates (ký hiệu mẫu số), series (ký hiệu) and numbers (số) of invoices and receipts: their rules, once.

Invoices (TT 32 Art. 5): template ``1``–``9``; series of 6 characters: ``C`` (coded by the tax authority) or ``K``
(uncoded), the last two digits of the issuing year, a type letter, two letters chosen by the seller; the type letter
``X`` (electronic commercial invoice) goes with template ``7`` and only with it. Receipts (TT 32 Phụ lục II.B):
template ``EBL01`` (no face value) or ``EBL02`` (face value); series of 5 characters under Circular 91/2026 (TT 91 PL
II): the two-digit year, ``T``, two letters of :data:`RECEIPT_SERIES_LETTERS` (``26TAA``). Invoices also admit the
type letter ``F`` (TT 91). Numbers have at most 8 digits and start at 1 in each series, which carries its year
(choice 8).

**Cut-over of the old receipt series.** The former 3-character form ``YYT`` (TT 32) stays readable — documents issued
in it never change — but issues nothing dated on or after :data:`RECEIPT_SERIES_CUTOVER` (1 July 2026) and cannot be
created: the organisation registers a 5-character series with its tax office. Migration ``0004`` closes the old-form
series a database still has open.

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

#: The letters an organisation may choose for the last two characters of a receipt series (TT 91 PL II).
RECEIPT_SERIES_LETTERS = "ABCDEGHKLMNPQRSTUVXY"
#: The first day the old 3-character receipt series issues nothing (TT 91 in force).
RECEIPT_SERIES_CUTOVER = date(2026, 7, 1)
#: What an administrator reads about a series of the old form (the migration logs it, the series listing shows it).
LEGACY_RECEIPT_SERIES_NOTICE_VI = (
    "Ký hiệu biên lai 3 ký tự (ví dụ 26T) theo Thông tư 32 không còn được dùng từ ngày 01/07/2026. "
    "Hãy đăng ký với cơ quan thuế ký hiệu 5 ký tự theo Thông tư 91/2026/TT-BTC: "
    "2 số cuối của năm, chữ T và 2 chữ cái trong bộ "
    f"{' '.join(RECEIPT_SERIES_LETTERS)} (ví dụ 26TAA), rồi tạo ký hiệu mới. Biên lai đã lập vẫn tra cứu được."
)
LEGACY_RECEIPT_SERIES_NOTICE_EN = (
    "3-character receipt series (e.g. 26T, Circular 32) issue nothing from 1 July 2026. Register a 5-character "
    "series with the tax office (Circular 91/2026: two-digit year, T, two letters of the 20-letter set, e.g. 26TAA) "
    "and create it here. Receipts already issued stay readable."
)

_INVOICE_SERIES = re.compile(r"^[CK](\d{2})[TDLMNBGHXF][A-Z]{2}$")
_RECEIPT_SERIES = re.compile(rf"^(\d{{2}})T[{RECEIPT_SERIES_LETTERS}]{{2}}$")
_LEGACY_RECEIPT_SERIES = re.compile(r"^(\d{2})T$")


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
        INVOICE_TEMPLATES, re.compile(r"[CK](\d{2})[TDLMNBGHXF][A-Z]{2}"), INVOICE_TEMPLATE_CODE, _commercial_letter
    ),
    DocumentKind.RECEIPT: SeriesRules(
        RECEIPT_TEMPLATES,
        re.compile(rf"(\d{{2}})T[{RECEIPT_SERIES_LETTERS}]{{2}}"),
        RECEIPT_TEMPLATE_CODE,
        _no_pair_rule,
    ),
}


def series_faults(kind: DocumentKind, template: str, symbol: str, on: date | None = None) -> list[SeriesFault]:
    """Return every way ``template`` and ``symbol`` break the rules of ``kind`` (none: a series issuing accepts).

    ``on`` is the date of a document read in that series: an old-form receipt series is accepted before the cut-over;
    without a date (creating a series) it is refused.
    """
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
    if kind is DocumentKind.RECEIPT and is_legacy_receipt_series(symbol):
        if on is None or on >= RECEIPT_SERIES_CUTOVER:
            faults.append(
                SeriesFault(
                    SERIES_CODE,
                    "series",
                    LEGACY_RECEIPT_SERIES_NOTICE_VI,
                    LEGACY_RECEIPT_SERIES_NOTICE_EN,
                )
            )
    elif not rules.symbol.fullmatch(symbol):
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


def is_legacy_receipt_series(series: str) -> bool:
    """Tell whether ``series`` is a receipt series of the former 3-character form (``25T``), readable only."""
    return bool(_LEGACY_RECEIPT_SERIES.match(series))


def receipt_series_usable_on(series: str, issue_date: date) -> bool:
    """Tell whether a receipt dated ``issue_date`` may carry ``series`` (the old form only before the cut-over)."""
    if is_receipt_series(series):
        return True
    return is_legacy_receipt_series(series) and issue_date < RECEIPT_SERIES_CUTOVER


def series_year(series: str) -> int | None:
    """Return the two-digit year a well-formed (or legacy receipt) series carries, else ``None``."""
    match = _INVOICE_SERIES.match(series) or _RECEIPT_SERIES.match(series) or _LEGACY_RECEIPT_SERIES.match(series)
    return int(match.group(1)) if match else None


def series_matches_date(series: str, issue_date: date) -> bool:
    """Tell whether the year in ``series`` is the year of ``issue_date``."""
    return series_year(series) == issue_date.year % 100


def is_valid_number(number: int) -> bool:
    """Tell whether ``number`` is a document number the format admits (1 to 8 digits)."""
    return 1 <= number <= MAX_NUMBER
