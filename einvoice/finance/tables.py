"""What each export holds: the document list flattened to one row per line, and the summary tables."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from einvoice.finance.export import Column, Sheet
from einvoice.finance.rules import KIND_LABELS_VI, STATE_LABELS_VI

DOCUMENT_COLUMNS = (
    Column("Mã chứng từ", "id", "int"),
    Column("Loại", "kind_label"),
    Column("Mẫu số/Ký hiệu", "template_series"),
    Column("Số", "number", "int"),
    Column("Ngày lập", "issue_date", "date"),
    Column("Thời điểm ký (UTC)", "created_at", "datetime"),
    Column("Trạng thái", "state_label"),
    Column("Người nộp/Người mua", "party_name"),
    Column("Mã số thuế", "party_tax_code"),
    Column("Thu ngân", "cashier_name"),
    Column("Quầy", "counter_name"),
    Column("Hình thức thanh toán", "payment_method"),
    Column("Đồng tiền", "currency"),
    Column("Tổng tiền", "total", "amount"),
    Column("STT dòng", "line_no", "int"),
    Column("Mã phí", "line_code"),
    Column("Tên phí, lệ phí/hàng hóa", "line_name"),
    Column("Căn cứ pháp lý", "line_legal_basis"),
    Column("Số lượng", "line_quantity", "amount"),
    Column("Thành tiền", "line_amount", "amount"),
    Column("Mã tra cứu", "lookup_code"),
)

SUMMARY_COLUMNS = (
    Column("Bảng", "table"),
    Column("Nội dung", "label"),
    Column("Căn cứ pháp lý", "detail"),
    Column("Số chứng từ", "count", "int"),
    Column("Số tiền", "amount", "amount"),
    Column("Được cộng", "counted_label"),
)

TABLE_TITLES_VI = {
    "fees": "Theo loại phí, lệ phí",
    "counters": "Theo quầy",
    "cashiers": "Theo thu ngân",
    "payment_methods": "Theo hình thức thanh toán",
    "series": "Theo mẫu số/ký hiệu",
    "states": "Theo trạng thái",
}


def document_rows(items: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield one row per line of each document (a document without lines gives one row)."""
    labels, kinds = STATE_LABELS_VI, KIND_LABELS_VI
    for item in items:
        label = labels.get(item["state"], item["state"])
        kind = kinds.get(item["kind"], item["kind"])
        lines = item.get("lines")
        if not lines:
            yield {**item, "state_label": label, "kind_label": kind}
            continue
        for line in lines:  # one dict per row, built in one go: this runs a million times in a big export
            yield {
                **item,
                "state_label": label,
                "kind_label": kind,
                "line_no": line["line_no"],
                "line_code": line["code"],
                "line_name": line["name"],
                "line_legal_basis": line["legal_basis"],
                "line_quantity": line["quantity"],
                "line_amount": line["amount"],
            }


def documents_sheet(items: Iterable[dict[str, Any]]) -> Sheet:
    """The document list with lines, as one sheet."""
    return Sheet("Chứng từ", DOCUMENT_COLUMNS, document_rows(items))


def summary_rows(tables: dict[str, list[Any]]) -> Iterator[dict[str, Any]]:
    """Yield the rows of every summary table (figures of :mod:`einvoice.services.finance`)."""
    for name, figures in tables.items():
        for figure in figures:
            yield {
                "table": TABLE_TITLES_VI.get(name, name),
                "label": figure.label,
                "detail": figure.detail,
                "count": figure.count,
                "amount": figure.amount,
                "counted_label": "Có" if figure.counted else "Không",
            }


def summary_sheet(tables: dict[str, list[Any]]) -> Sheet:
    """Every summary table, one after the other, as one sheet."""
    return Sheet("Tổng hợp", SUMMARY_COLUMNS, summary_rows(tables))
