"""Templates (ký hiệu mẫu số), series (ký hiệu) and numbers (số) of invoices and receipts.

Invoices (TT 32 Art. 5): template ``1``–``9``; series of 6 characters: ``C`` (coded by the tax authority) or ``K``
(uncoded), the last two digits of the issuing year, a type letter, two letters chosen by the seller. Receipts
(TT 32 Phụ lục II.B): template ``EBL01`` (no face value) or ``EBL02`` (face value); series of 3 characters, the
two-digit year and ``T``. Numbers have at most 8 digits and start at 1 in each series (choice 8).
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

_INVOICE_SERIES = re.compile(r"^[CK](\d{2})[TDLMNBGHX][A-Z]{2}$")
_RECEIPT_SERIES = re.compile(r"^(\d{2})T$")


def is_invoice_series(series: str) -> bool:
    """Tell whether ``series`` is a well-formed 6-character invoice series."""
    return bool(_INVOICE_SERIES.match(series))


def is_receipt_series(series: str) -> bool:
    """Tell whether ``series`` is a well-formed 3-character receipt series."""
    return bool(_RECEIPT_SERIES.match(series))


def series_year(series: str) -> int | None:
    """Return the two-digit year a well-formed invoice or receipt series carries, else ``None``."""
    match = _INVOICE_SERIES.match(series) or _RECEIPT_SERIES.match(series)
    return int(match.group(1)) if match else None


def series_matches_date(series: str, issue_date: date) -> bool:
    """Tell whether the year in ``series`` is the year of ``issue_date``."""
    return series_year(series) == issue_date.year % 100


def is_valid_number(number: int) -> bool:
    """Tell whether ``number`` is a document number the format admits (1 to 8 digits)."""
    return 1 <= number <= MAX_NUMBER
