"""Reconciliation of a day, a shift or a month, and the document list behind each of its figures."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request, url_for
from werkzeug.wrappers import Response

from einvoice.finance.rules import RULE_VI
from einvoice.finance.tables import TABLE_TITLES_VI, summary_sheet
from einvoice.services import report_days
from einvoice.services.finance import TABLES, summarise
from einvoice.services.finance_list import FinanceFilter, list_documents
from einvoice.web.api.finance import send_sheet
from einvoice.web.api.finance_schemas import ListQuery
from einvoice.web.counter.base import staff
from einvoice.web.counter.forms import ActionForm
from einvoice.web.finance_pages.base import (
    FINANCE,
    BadQuery,
    PeriodPageQuery,
    bp,
    chosen_period,
    documents_url,
    figure_url,
    page,
    period_scope,
    query_args,
)
from einvoice.web.runtime import runtime


@bp.get("/tai-chinh/doi-soat")
@staff(*FINANCE)
def reconcile() -> str | Response:
    """Totals per fee, counter, cashier, payment method, series and state; ``format=csv|xlsx`` downloads them."""
    args = query_args(PeriodPageQuery())
    chosen = chosen_period(args)
    summary = summarise(runtime().engine, chosen.period)
    file_format = args.get("format")
    if file_format == "pdf":
        raise BadQuery([("format", "Bảng đối soát tải về dạng CSV hoặc XLSX")])
    if file_format is not None:
        name = f"doi-soat-{chosen.period.date_from.isoformat()}-{chosen.period.date_to.isoformat()}"
        return send_sheet(summary_sheet(summary.tables), file_format, name)
    given = {k: v for k, v in request.args.items() if k != "format"}
    tables = [
        (name, TABLE_TITLES_VI[name], [(f, figure_url(chosen.period, name, f)) for f in summary.tables[name]])
        for name in TABLES
    ]
    return page(
        "finance/reconcile.html",
        chosen=chosen,
        summary=summary,
        tables=tables,
        rule=RULE_VI,
        shifts=report_days.shifts_of(runtime().engine, chosen.period.date_from),
        all_url=documents_url(chosen.period, {"counted": "true"}),
        download=lambda fmt: url_for("finance_pages.reconcile") + "?" + urlencode({**given, "format": fmt}),
        scope=period_scope(chosen.period),
        form=ActionForm(),
    )


#: The list's filters in words, for the line that says what the list shows.
FILTER_NAMES_VI = {
    "date_from": "từ ngày",
    "date_to": "đến ngày",
    "kind": "loại",
    "series_id": "mã ký hiệu",
    "counter_id": "mã quầy",
    "cashier_id": "mã thu ngân",
    "state": "trạng thái",
    "payment_method": "hình thức",
    "fee": "khoản thu",
    "counted": "được cộng vào tổng",
}


@bp.get("/tai-chinh/chung-tu")
@staff(*FINANCE)
def documents() -> str:
    """The documents a filter selects, with payment method, cashier, counter and fee lines; paged."""
    args = query_args(ListQuery())
    number, per_page = args.pop("page"), args.pop("per_page")
    items, total = list_documents(runtime().engine, FinanceFilter(**args), page=number, per_page=per_page)
    filters = {k: v for k, v in request.args.items() if k not in ("page", "per_page") and v != ""}

    def page_url(to: int) -> str:
        return url_for("finance_pages.documents") + "?" + urlencode({**filters, "page": to, "per_page": per_page})

    pages = max(1, -(-total // per_page))
    shown: dict[str, Any] = {"first": (number - 1) * per_page + 1, "last": (number - 1) * per_page + len(items)}
    return page(
        "finance/documents.html",
        items=items,
        total=total,
        number=number,
        pages=pages,
        shown=shown,
        filters=filters,
        filter_names=FILTER_NAMES_VI,
        previous_url=page_url(number - 1) if number > 1 else None,
        next_url=page_url(number + 1) if number < pages else None,
        form=ActionForm(),
    )
