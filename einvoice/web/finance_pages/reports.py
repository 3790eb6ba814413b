"""Reports as pages, CSV/XLSX and PDF: a day's receipts table 01/TH-BLĐT, and the usage of each series in a period.

The PDFs are rendered as the counter's shift report is: a template of ours, HTML to PDF with WeasyPrint, answered
inline. The spreadsheets go through the finance exports' writers (amounts as numbers, formula-like text escaped).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from flask import request, url_for
from werkzeug.wrappers import Response

from einvoice.finance.export import Column, Sheet
from einvoice.finance.rules import KIND_LABELS_VI, STATE_LABELS_VI
from einvoice.render.pdf import html_to_pdf
from einvoice.services import report_days
from einvoice.services.usage import SeriesUsage, usage
from einvoice.web.api.finance import send_sheet
from einvoice.web.counter.base import staff
from einvoice.web.finance_pages.base import FINANCE, PeriodPageQuery, bp, chosen_period, page, query_args, today
from einvoice.web.printing import inline_pdf
from einvoice.web.runtime import runtime

TABLE_COLUMNS = (
    Column("(1) STT", "index", "int"),
    Column("Đơn vị thu", "issuer_name"),
    Column("(2) Ký hiệu mẫu", "template"),
    Column("(3) Ký hiệu", "series"),
    Column("(4) Số biên lai", "number", "int"),
    Column("(5) Ngày lập", "issue_date", "date"),
    Column("(6) Tên loại phí, lệ phí", "fee_names"),
    Column("(7) Số tiền", "amount", "amount"),
    Column("(8) Tỷ giá", "exchange_rate", "amount"),
    Column("(9) Trạng thái (0 mới, 1 thay thế)", "status"),
    Column("(11) Biên lai bị thay thế", "replaces"),
    Column("(13) Ghi chú", "note"),
    Column("Trạng thái hiện nay", "state_label"),
)
USAGE_COLUMNS = (
    Column("Loại", "kind_label"),
    Column("Ký hiệu mẫu", "template"),
    Column("Ký hiệu", "symbol"),
    Column("Từ số", "first_number", "int"),
    Column("Đến số", "last_number", "int"),
    Column("Số đã sử dụng trong kỳ", "used", "int"),
    Column("Bị thay thế", "replaced", "int"),
    Column("Đã hủy", "cancelled", "int"),
    Column("Tổng tiền phí, lệ phí trong kỳ", "amount", "amount"),
    Column("Số còn lại có thể cấp", "remaining", "int"),
)


def _table_rows(tables: list[report_days.IssuerTable], states: dict[str, str]) -> Iterator[dict[str, Any]]:
    for table in tables:
        for index, item in enumerate(table.rows, start=1):
            row = asdict(item.row)
            row.update(
                index=index,
                issuer_name=table.issuer_name,
                status="1" if item.row.replaces else "0",
                state_label=states.get(item.state, item.state),
            )
            yield row


def _usage_rows(found: list[SeriesUsage]) -> Iterator[dict[str, Any]]:
    for item in found:
        yield dict(asdict(item), kind_label=KIND_LABELS_VI.get(item.kind, item.kind))


def _downloads(**args: Any) -> dict[str, str]:
    endpoint = request.endpoint or ""
    return {fmt: url_for(endpoint, **args, format=fmt) for fmt in ("csv", "xlsx", "pdf")}


@bp.get("/tai-chinh/bao-cao/bang-tong-hop-bien-lai")
@staff(*FINANCE)
def receipt_table() -> str | Response:
    """The receipts table 01/TH-BLĐT of a day (``day``, today by default); ``format=csv|xlsx|pdf`` downloads it."""
    args = query_args(PeriodPageQuery(only=("day", "format")))
    day = args.get("day", today())
    tables = report_days.receipt_tables_of(runtime().engine, day)
    context: dict[str, Any] = {"day": day, "tables": tables, "downloads": _downloads(day=day.isoformat())}
    name = f"01-th-bldt-{day.isoformat()}"
    file_format = args.get("format")
    if file_format == "pdf":
        return inline_pdf(html_to_pdf(page("finance/receipt_table_print.html", **context)), f"{name}.pdf")
    if file_format is not None:
        sheet = Sheet("01-TH-BLĐT", TABLE_COLUMNS, _table_rows(tables, STATE_LABELS_VI))
        return send_sheet(sheet, file_format, name)
    return page("finance/receipt_table.html", **context)


@bp.get("/tai-chinh/bao-cao/su-dung")
@staff(*FINANCE)
def usage_report() -> str | Response:
    """The usage of every series in a period (a month by default: this one); ``format=csv|xlsx|pdf`` downloads it."""
    args = query_args(PeriodPageQuery(only=("date_from", "date_to", "month", "format")))
    if not {"date_from", "month"} & args.keys():
        args["month"] = today().strftime("%Y-%m")
    period = chosen_period(args).period
    found = usage(runtime().engine, period.date_from, period.date_to)
    chosen = {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat()}
    context: dict[str, Any] = {
        "period": period,
        "usage": found,
        "kinds": KIND_LABELS_VI,
        "downloads": _downloads(**chosen),
    }
    name = f"su-dung-{period.date_from.isoformat()}-{period.date_to.isoformat()}"
    file_format = args.get("format")
    if file_format == "pdf":
        return inline_pdf(html_to_pdf(page("finance/usage_print.html", **context)), f"{name}.pdf")
    if file_format is not None:
        return send_sheet(Sheet("Sử dụng", USAGE_COLUMNS, _usage_rows(found)), file_format, name)
    return page("finance/usage.html", **context)
