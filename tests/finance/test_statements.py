"""Bank statements: a generated sample file per layout is read, and its credits match receipts as the table says."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from einvoice.finance.matching import Expected, Line, match_lines, unpaid
from einvoice.finance.statements import LAYOUTS, StatementError, parse_amount, parse_statement, read_rows

DAY = date(2026, 3, 2)
RECEIPTS = [
    Expected(1, "LPCT BL26T 57", Decimal(6000), DAY),
    Expected(2, "LPCT BL26T 5", Decimal(8000), DAY),
    Expected(3, "LPCT BL26T 58", Decimal(10000), DAY),
    Expected(4, "LPCT BL26T 59", Decimal(16000), DAY),
    Expected(5, "LPCT BL26T 60", Decimal(12000), DAY),  # paid by amount and date
    Expected(6, "LPCT BL26T 61", Decimal(4000), DAY),  # never paid
]

#: (description, credit, debit) → expected outcome and receipt.
TRANSFERS: list[tuple[str, int, int, str, int | None]] = [
    ("MBVCB.1234567.LPCT BL26T 57.CT tu 0011 NGUYEN VAN A toi 3713", 6000, 0, "exact", 1),
    ("lpct-bl26t-5 nop le phi", 8000, 0, "exact", 2),  # edited by the payer: case and dashes
    ("LPCTBL26T58", 6000, 0, "partial", 3),
    ("IBFT LPCT BL26T 59 THANH TOAN", 20000, 0, "overpaid", 4),
    ("MBVCB.99.LPCT BL26T 57 chuyen lai", 6000, 0, "duplicate", 1),
    ("CHUYEN TIEN LE PHI", 12000, 0, "amount_date", 5),
    ("TRA LUONG THANG 2", 5000000, 0, "foreign", None),
    ("PHI DICH VU SMS", 0, 11000, "debit", None),
]


def _vcb(rows: list[list[Any]]) -> list[list[Any]]:
    head = [
        ["SAO KÊ TÀI KHOẢN/STATEMENT OF ACCOUNT"],
        ["Số tài khoản", "0011000000001"],
        ["Số dư đầu kỳ/ Opening balance :", "0"],
    ]
    header = ["Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả", "Số dư"]
    body = [
        [DAY.strftime("%d/%m/%Y"), f"5243.{i:05d}", f"{d:,}" if d else "", f"{c:,}" if c else "", t, ""]
        for i, (t, c, d) in enumerate(rows)
    ]
    return [*head, header, *body, ["Tổng", "", "", "", ""]]


def _bidv(rows: list[list[Any]]) -> list[list[Any]]:
    head = [["NGÂN HÀNG TMCP ĐẦU TƯ VÀ PHÁT TRIỂN VIỆT NAM"], ["BÁO CÁO CHI TIẾT SỐ DƯ TÀI KHOẢN"], ["DƯ ĐẦU KỲ", "0"]]
    header = ["STT", "NGÀY HIỆU LỰC/DATE", "GHI NỢ/DEBIT", "GHI CÓ/CREDIT", "SỐ DƯ/BALANCE", "MÔ TẢ/DESCRIPTION"]
    body = [
        [i, DAY.strftime("%d/%m/%Y"), f"{d:,} VND" if d else "", f"{c:,} VND" if c else "", "", t]
        for i, (t, c, d) in enumerate(rows, start=1)
    ]
    return [*head, header, *body, ["", "DƯ CUỐI KỲ", "", "", "0", ""]]


def _vietinbank(rows: list[list[Any]]) -> list[list[Any]]:
    head = [["LỊCH SỬ GIAO DỊCH - TRANSACTION HISTORY"], ["SỐ DƯ ĐẦU KỲ/OPENING BALANCE", "0"]]
    header = [
        "STT",
        "Ngày hạch toán/Accounting date",
        "Mô tả giao dịch/Transaction description",
        "Nợ/ Debit",
        "Có / Credit",
        "Số dư TK/Account balance",
        "Số giao dịch/Transaction No.",
    ]
    body = [
        [i, DAY.strftime("%d/%m/%Y") if i == 1 else "", t, d or "", c or "", "", f"GD{i}"]
        for i, (t, c, d) in enumerate(rows, start=1)
    ]  # continuation rows: blank dates, filled down
    return [*head, header, *body]


def _techcombank(rows: list[list[Any]]) -> list[list[Any]]:
    head = [["TRUY VẤN GIAO DỊCH/TRANSACTION ENQUIRY"]] + [[""]] * 18
    header = [
        "Ngày KH thực hiện/Requesting date",
        "Ngày giao dịch/Transaction date",
        "Số bút toán/Reference number",
        "Ngân hàng đối tác/Remitter's bank",
        "Tài khoản đích/Remitter's account number",
        "Tên tài khoản đối ứng/Remitter's account name",
        "Diễn giải/Description",
        "Nợ/Debit",
        "Có/Credit",
        "Phí/Lãi",
        "Thuế/Transaction VAT",
        "Số dư/Running balance",
    ]
    body = [
        [
            DAY,
            datetime(DAY.year, DAY.month, DAY.day, 9, 30),
            f"FT2533114113{i:04d}",
            "VCB",
            "0011",
            "NGUYEN VAN A",
            t,
            -d if d else None,
            c or None,
            None,
            None,
            None,
        ]
        for i, (t, c, d) in enumerate(rows)
    ]
    return [*head, header, *body]


def _mb(rows: list[list[Any]]) -> list[list[Any]]:
    head = [["SAO KÊ CHI TIẾT TÀI KHOẢN/ACCOUNT STATEMENT"]]
    header = ["STT", "Ngày giao dịch", "Số bút toán", "Phát sinh nợ", "Phát sinh có", "Nội dung"]
    body = [[i, DAY.strftime("%d/%m/%Y"), f"MB{i}", d, c, t] for i, (t, c, d) in enumerate(rows, start=1)]
    return [*head, header, *body, ["Tổng cộng"]]


MAKERS = {"VCB": _vcb, "BIDV": _bidv, "VTB": _vietinbank, "TCB": _techcombank, "MB": _mb}


def _file(rows: list[list[Any]], kind: str) -> tuple[bytes, str]:
    if kind == "csv":
        text = io.StringIO()
        csv.writer(text).writerows([["" if v is None else v for v in row] for row in rows])
        return ("\ufeff" + text.getvalue()).encode(), "sao-ke.csv"
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), "sao-ke.xlsx"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("bank", sorted(MAKERS))
def test_each_layout_reads_and_matches_as_expected(bank: str, kind: str) -> None:
    """A generated statement of each bank reads to its transfers, which match receipts exactly as the table says."""
    data, name = _file(MAKERS[bank]([[t, c, d] for t, c, d, _, _ in TRANSFERS]), kind)
    lines = parse_statement(read_rows(data, name), LAYOUTS[bank])
    assert [(line.booked_on, line.amount) for line in lines] == [(DAY, Decimal(c - d)) for _, c, d, _, _ in TRANSFERS]
    matches = match_lines([Line(str(s.row), s.booked_on, s.amount, s.description) for s in lines], RECEIPTS)
    assert [(m.outcome, m.document_id) for m in matches] == [(o, doc) for *_, o, doc in TRANSFERS]
    assert all(m.reason for m in matches)
    assert [r.document_id for r in unpaid(RECEIPTS, matches)] == [6]


def test_matching_again_changes_nothing() -> None:
    """The same lines matched again, knowing what the first run paid, pay nothing new: the repeats are duplicates."""
    lines = [Line(str(i), DAY, Decimal(c - d), t) for i, (t, c, d, _, _) in enumerate(TRANSFERS)]
    first = match_lines(lines, RECEIPTS)
    assert match_lines(lines, RECEIPTS) == first
    paid = {m.document_id for m in first if m.outcome in ("exact", "partial", "overpaid", "amount_date")}
    again = match_lines(lines, RECEIPTS, paid=paid)
    assert not [m for m in again if m.outcome in ("exact", "partial", "overpaid", "amount_date")]


def test_two_receipts_of_one_amount_are_not_guessed() -> None:
    """A credit without reference and two unpaid receipts of its amount on the day is ambiguous, naming both."""
    receipts = [Expected(1, "A 1", Decimal(2000), DAY), Expected(2, "A 2", Decimal(2000), DAY)]
    (match,) = match_lines([Line("1", DAY, Decimal(2000), "NOP TIEN")], receipts)
    assert (match.outcome, match.document_id) == ("ambiguous", None)
    assert "1, 2" in match.reason


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1,234,567", "1234567"), ("1.234.567", "1234567"), ("2,000 VND", "2000"), ("-11000", "-11000"), ("", "0")],
)
def test_amount_formats(text: str, amount: str) -> None:
    """Amounts with either thousands separator, a trailing VND, a sign or nothing read exactly."""
    assert parse_amount(text, "row 1") == Decimal(amount)


def test_a_file_of_another_bank_is_refused() -> None:
    """A file whose header is not the layout's is refused with the bank named, not read as empty."""
    data, name = _file(_mb([["X", 1, 0]]), "csv")
    with pytest.raises(StatementError, match="BIDV"):
        parse_statement(read_rows(data, name), LAYOUTS["BIDV"])
