"""Spreadsheet exports, streamed: CSV (UTF-8 with a BOM so that Excel reads Vietnamese) and XLSX (openpyxl write-only).

Both take rows as iterables and hold one row at a time (XLSX: openpyxl's write-only mode spools the sheet to a
temporary file). Amounts are numbers (XLSX: ``#,##0`` for VND, two places otherwise), dates are dates (ISO 8601 in
CSV, date cells shown ``yyyy-mm-dd`` in XLSX). Payer names come from the public, so a text cell that a spreadsheet
would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return; OWASP's list) is neutralised:
in CSV it gets a leading apostrophe, in XLSX it is written as a string cell (never a formula) with the quote prefix
style that Excel itself uses for such text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

Kind = Literal["text", "int", "amount", "date", "datetime"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
VND_FORMAT = "#,##0"
AMOUNT_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


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
    if value is None:
        return ""
    if kind in ("date", "datetime") and isinstance(value, date | datetime):
        return value.isoformat()
    if kind in ("int", "amount"):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def csv_chunks(sheet: Sheet) -> Iterator[str]:
    """Yield the CSV of ``sheet`` piece by piece: the BOM and header first, then one row per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([column.header for column in sheet.columns])
    yield BOM + flush()
    for row in sheet.rows:
        writer.writerow([csv_text(row.get(column.key), column.kind) for column in sheet.columns])
        yield flush()


def _cell(worksheet: Any, value: Any, kind: Kind, currency: str | None) -> Any:
    cell = WriteOnlyCell(worksheet)
    if value is None:
        return cell
    if kind == "amount":
        cell.value = value
        cell.number_format = VND_FORMAT if currency in (None, "VND") else AMOUNT_FORMAT
    elif kind == "int":
        cell.value = value
    elif kind == "date":
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif kind == "datetime":
        cell.value = value.replace(tzinfo=None) if isinstance(value, datetime) else value  # shown as UTC
        cell.number_format = DATETIME_FORMAT
    else:
        text = str(value)
        cell.value = text
        cell.data_type = "s"  # never a formula, whatever it starts with
        cell.quotePrefix = is_formula_like(text)  # what Excel sets when such text is typed with a leading '
    return cell


def write_xlsx(target: IO[bytes] | str, sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` to ``target`` as one workbook, row by row (openpyxl write-only mode)."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        worksheet = book.create_sheet(sheet.title[:31])
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(worksheet, value=column.header)
            cell.font = Font(bold=True)
            header.append(cell)
        worksheet.append(header)
        for row in sheet.rows:
            currency = row.get("currency")
            worksheet.append([_cell(worksheet, row.get(column.key), column.kind, currency) for column in sheet.columns])
    book.save(target)
