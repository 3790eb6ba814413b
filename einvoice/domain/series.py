"""Templates (ký hiệu mẫu số), series (ký hiệu) and numbers (số) of invoices and receipts under Circular 91/2026.

Invoices (TT 91 PL I): template ``1``–``9``; series of 6 characters: ``C`` (coded by the tax authority) or ``K``
(uncoded), the last two digits of the issuing year, a type letter (``T D L M N B G H X`` and, new in TT 91, ``F`` for
a VAT invoice cum tax-refund declaration), two letters chosen by the seller. Receipts (TT 91 PL II): template
``EBL01`` (no face value) or ``EBL02`` (face value); series of 5 characters: the two-digit year, ``T``, and two letters
of the 20-letter set :data:`RECEIPT_SERIES_LETTERS` (``26TAA``). Numbers have at most 8 digits and start at 1 in each
series, which carries its year, so numbering restarts each year with the year's series (NĐ 254 Art 23.2.c, choice 8).

**Cut-over of the old receipt series.** The former 3-character form ``YYT`` (TT 32) stays readable — documents issued
in it never change — but issues nothing dated on or after :data:`RECEIPT_SERIES_CUTOVER` (1 July 2026, when TT 91 took
effect): the organisation registers a 5-character series with its tax office and creates it here. Migration ``0004``
closes the old-form series a database still has open.
"""

from __future__ import annotations

import re
from datetime import date

VAT_INVOICE = "1"
SALES_INVOICE = "2"
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


def is_invoice_series(series: str) -> bool:
    """Tell whether ``series`` is a well-formed 6-character invoice series."""
    return bool(_INVOICE_SERIES.match(series))


def is_receipt_series(series: str) -> bool:
    """Tell whether ``series`` is a well-formed 5-character receipt series of Circular 91 (``26TAA``)."""
    return bool(_RECEIPT_SERIES.match(series))


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
