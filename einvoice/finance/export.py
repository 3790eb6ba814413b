"""Spreadsheet exports, streamed: CSV (UTF-8 with a BOM so that Excel reads Vietnamese) and XLSX (XlsxWriter).

Both take rows as iterables and hold one row at a time (XLSX: XlsxWriter's constant-memory mode writes each row to a
temporary file as the next begins; it is several times faster than openpyxl's write-only mode). Amounts are numbers
(XLSX: ``#,##0`` for VND, two places otherwise), dates are dates (ISO 8601 in CSV, date cells shown ``yyyy-mm-dd``
in XLSX). Payer names come from the public, so a text cell that a spreadsheet
would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return; OWASP's list) is neutralised:
in CSV it gets a leading apostrophe, in XLSX it is written as a string cell (never a formula) with the quote prefix
style that Excel itself uses for such text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal

from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

Kind = Literal["text", "int", "amount", "date", "datetime"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
VND_FORMAT = "#,##0"
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: Rows per CSV chunk: few enough to hold, enough that a chunk is not a write call per row.
CSV_ROWS_PER_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its Vietnamese header, the key of the row it reads, and what kind of value it holds."""

    header: str
    key: str
    kind: Kind = "text"


@dataclass(frozen=True, slots=True)
class Sheet:
    """A table to export: its title (the XLSX sheet name), columns and rows (dicts read by the columns' keys)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[dict[str, Any]]


def is_formula_like(text: str) -> bool:
    """Tell whether a spreadsheet could take ``text`` for a formula."""
    return text.startswith(FORMULA_STARTS)


def csv_text(value: Any, kind: Kind) -> str:
    """Return one CSV field: ISO dates, plain decimal amounts, text with formula starts escaped."""
    return "" if value is None else str(_CSV_FIELDS[kind](value))


def _csv_number(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value  # the csv module writes None as ""


def _csv_date(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _csv_text(value: Any) -> Any:
    if value is None:
        return None
    text = value if value.__class__ is str else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


#: :func:`csv_text` per kind of column, without deciding the kind again for every cell.
_CSV_FIELDS: dict[Kind, Callable[[Any], Any]] = {
    "text": _csv_text,
    "int": _csv_number,
    "amount": _csv_number,
    "date": _csv_date,
    "datetime": _csv_date,
}


def csv_chunks(sheet: Sheet, *, rows_per_chunk: int = CSV_ROWS_PER_CHUNK) -> Iterator[str]:
    """Yield the CSV of ``sheet`` piece by piece: the BOM and header first, then ``rows_per_chunk`` rows a chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([column.header for column in sheet.columns])
    yield BOM + flush()
    keys = [column.key for column in sheet.columns]
    # The kinds' conversions of csv_text, inlined over column positions: a cell costs no call of our own.
    texts = [i for i, column in enumerate(sheet.columns) if column.kind == "text"]
    amounts = [i for i, column in enumerate(sheet.columns) if column.kind in ("int", "amount")]
    dates = [i for i, column in enumerate(sheet.columns) if column.kind in ("date", "datetime")]
    starts = "".join(FORMULA_STARTS)
    pending = 0
    for row in sheet.rows:
        values: list[Any] = [row.get(key) for key in keys]  # the csv module writes None as ""
        for i in texts:
            value = values[i]
            if value is not None:
                if value.__class__ is not str:
                    value = values[i] = str(value)
                if value and value[0] in starts:
                    values[i] = "'" + value
        for i in amounts:
            if values[i].__class__ is Decimal:
                values[i] = format(values[i], "f")
        for i in dates:
            if values[i] is not None:
                values[i] = values[i].isoformat()
        writer.writerow(values)
        pending += 1
        if pending == rows_per_chunk:
            yield flush()
            pending = 0
    if pending:
        yield flush()


class _Formats:
    """The workbook's cell formats, made once (XlsxWriter shares a format object between cells)."""

    def __init__(self, book: Workbook) -> None:
        self.header = book.add_format({"bold": True})
        self.vnd = book.add_format({"num_format": VND_FORMAT})
        self.amount = book.add_format({"num_format": AMOUNT_FORMAT})
        self.date = book.add_format({"num_format": DATE_FORMAT})
        self.datetime = book.add_format({"num_format": DATETIME_FORMAT})
        self.quoted = book.add_format({"quote_prefix": True})  # what Excel sets when text is typed after a '


Writer = Callable[[int, int, Any, str | None], object]


def _writers(worksheet: Worksheet, formats: _Formats) -> dict[Kind, Writer]:
    """One function per kind of column: writes a non-empty value at (row, column) with its format."""

    def amount(row: int, col: int, value: Any, currency: str | None) -> object:
        # A Decimal goes through as it is: XlsxWriter prints it with 16 significant digits, exact for money.
        number_format = formats.vnd if currency in (None, "VND") else formats.amount
        return worksheet.write_number(row, col, value, number_format)

    def text(row: int, col: int, value: Any, currency: str | None) -> object:
        text = str(value)
        # Always a string cell, never a formula, whatever it starts with.
        return worksheet.write_string(row, col, text, formats.quoted if text.startswith(FORMULA_STARTS) else None)

    def when(row: int, col: int, value: Any, currency: str | None) -> object:
        if isinstance(value, datetime):  # shown as UTC
            return worksheet.write_datetime(row, col, value.replace(tzinfo=None), formats.datetime)
        return worksheet.write_datetime(row, col, value, formats.date)

    return {
        "amount": amount,
        "int": lambda row, col, value, currency: worksheet.write_number(row, col, value),
        "date": when,
        "datetime": when,
        "text": text,
    }


def write_xlsx(target: IO[bytes] | str, sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` to ``target`` as one workbook, row by row (XlsxWriter's constant-memory mode)."""
    options = {
        "constant_memory": True,  # each row is written out to a temporary file once the next one starts
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
    }
    with Workbook(target, options) as book:
        formats = _Formats(book)
        for sheet in sheets:
            worksheet = book.add_worksheet(sheet.title[:31])
            writers = _writers(worksheet, formats)
            plan = [(index, column.key, writers[column.kind]) for index, column in enumerate(sheet.columns)]
            for index, column in enumerate(sheet.columns):
                worksheet.write_string(0, index, column.header, formats.header)
            for number, row in enumerate(sheet.rows, start=1):
                currency = row.get("currency")
                for index, key, write in plan:
                    value = row.get(key)
                    if value is not None:
                        write(number, index, value, currency)
