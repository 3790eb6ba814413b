"""Bank statements (spec §6.1): each bank's export as a small declarative layout, read from CSV or XLSX.

Labels vary by channel and over time, so a layout names each column by the **keywords** its header starts with and
the reader finds the header row as the first row where every required keyword is met. Rows after it are read until
a totals row (``Tổng…``); a blank date is filled down (VietinBank's continuation rows). Amounts accept thousands
separators (``1,234,567`` or ``1.234.567``) and a trailing ``VND``; a debit column holding negative amounts
(Techcombank) counts by its absolute value. Only credits matter for matching; debits are kept as negative amounts.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook

from einvoice.domain.errors import EInvoiceError

#: A row whose first cells start so ends the transactions (totals, closing balance).
_END_MARKERS = ("tổng", "total", "dư cuối", "số dư cuối", "closing")


class StatementError(EInvoiceError, ValueError):
    """The file is not a statement of the layout named, or a row cannot be read; the message says where."""


@dataclass(frozen=True, slots=True)
class Layout:
    """One bank export: the keywords of its columns (lower case, Vietnamese) and its date format."""

    bank: str
    name_vi: str
    date: tuple[str, ...]
    credit: tuple[str, ...]
    debit: tuple[str, ...]
    description: tuple[str, ...]
    reference: tuple[str, ...] = ()
    date_format: str = "%d/%m/%Y"
    fill_down: bool = False


LAYOUTS = {
    layout.bank: layout
    for layout in (
        Layout("VCB", "Vietcombank", ("ngày giao dịch",), ("số tiền ghi có",), ("số tiền ghi nợ",), ("mô tả",),
               ("số tham chiếu",)),
        Layout("BIDV", "BIDV", ("ngày hiệu lực",), ("ghi có",), ("ghi nợ",), ("mô tả",)),
        Layout("VTB", "VietinBank", ("ngày hạch toán",), ("có",), ("nợ",), ("mô tả giao dịch",), ("số giao dịch",),
               fill_down=True),
        Layout("TCB", "Techcombank", ("ngày giao dịch",), ("có/credit", "có"), ("nợ/debit", "nợ"), ("diễn giải",),
               ("số bút toán",)),
        Layout("MB", "MB", ("ngày hạch toán", "ngày giao dịch"), ("phát sinh có",), ("phát sinh nợ",),
               ("nội dung", "mô tả"), ("số bút toán", "số tham chiếu")),
    )
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One booked transaction: date, signed amount (credit positive), description, the bank's reference, raw row."""

    row: int
    booked_on: date
    amount: Decimal
    description: str
    bank_reference: str | None
    raw: tuple[str, ...] = field(compare=False)


def _norm(value: Any) -> str:
    return unicodedata.normalize("NFC", "" if value is None else str(value)).strip().lower()


def _find(header: Sequence[str], keywords: tuple[str, ...], taken: set[int]) -> int | None:
    for keyword in keywords:
        for index, cell in enumerate(header):
            if index not in taken and (
                cell == keyword or cell.startswith((keyword + "/", keyword + " /", keyword + " "))
            ):
                return index
    return None


def _columns(header: Sequence[str], layout: Layout) -> dict[str, int] | None:
    found: dict[str, int] = {}
    # Longer keywords first, so that "ghi có" is not taken by a shorter "có" of another column.
    for name in ("description", "reference", "date", "credit", "debit"):
        keywords: tuple[str, ...] = getattr(layout, name)
        if not keywords:
            continue
        index = _find(header, keywords, set(found.values()))
        if index is None:
            if name == "reference":
                continue
            return None
        found[name] = index
    return found


def _pick(row: tuple[Any, ...], columns: dict[str, int], name: str) -> Any:
    index = columns.get(name)
    return row[index] if index is not None and index < len(row) else None


def parse_amount(value: Any, where: str) -> Decimal:
    """Read an amount cell: a number, or text with thousands separators and perhaps ``VND``; blank is zero."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = re.sub(r"(?i)\s*vn[dđ]\s*$", "", str(value).strip()).replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    text = text.replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise StatementError(f"{where}: not an amount: {value!r}") from error


def _date(value: Any, layout: Layout, where: str) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    first = text.split()[0]
    try:
        return datetime.strptime(first, layout.date_format).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(first)  # an XLSX date saved again as CSV
    except ValueError as error:
        raise StatementError(f"{where}: not a date ({layout.date_format}): {value!r}") from error


def read_rows(data: bytes, filename: str) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of a CSV (UTF-8, BOM or not) or XLSX file (its first sheet)."""
    if filename.lower().endswith(".xlsx"):
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            yield from book.worksheets[0].iter_rows(values_only=True)
        finally:
            book.close()
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StatementError("the CSV file is not UTF-8") from error
    yield from (tuple(row) for row in csv.reader(io.StringIO(text)))


def parse_statement(rows: Iterable[tuple[Any, ...]], layout: Layout) -> list[StatementLine]:
    """Read the transactions of a statement laid out as ``layout``."""
    columns: dict[str, int] | None = None
    lines: list[StatementLine] = []
    last_date: date | None = None
    for number, row in enumerate(rows, start=1):
        cells = [_norm(cell) for cell in row]
        if columns is None:
            columns = _columns(cells, layout)
            continue
        if not any(cells):
            continue
        if any(cell.startswith(_END_MARKERS) for cell in cells[:3]):
            break
        where = f"row {number}"
        picked = columns

        def cell(name: str) -> Any:
            return _pick(row, picked, name)  # noqa: B023 -- called only within this iteration

        booked = _date(cell("date"), layout, where)
        if booked is None and layout.fill_down:
            booked = last_date
        if booked is None:
            continue  # a sub-heading or balance line without a date
        last_date = booked
        credit = parse_amount(cell("credit"), where)
        debit = abs(parse_amount(cell("debit"), where))
        reference = cell("reference")
        lines.append(
            StatementLine(
                row=number,
                booked_on=booked,
                amount=credit - debit,
                description=unicodedata.normalize("NFC", str(cell("description") or "")).strip(),
                bank_reference=None if reference in (None, "") else str(reference).strip(),
                raw=tuple("" if value is None else str(value) for value in row),
            )
        )
    if columns is None:
        raise StatementError(f"no header row of a {layout.name_vi} statement was found")
    return lines
