# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Finance: a period's reconciliation, the document list with payment method, cashier and lines, and exports."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict
from functools import wraps
from typing import IO, Any, TypeVar, cast
from urllib.parse import urlencode

from flask import Response, request, stream_with_context
from marshmallow import Schema

from einvoice.domain.errors import Problem
from einvoice.finance.chart import daily_svg
from einvoice.finance.export import Sheet, csv_chunks, write_xlsx
from einvoice.finance.rules import RULE_VI
from einvoice.finance.tables import documents_sheet, summary_sheet
from einvoice.services.daily import daily_collections
from einvoice.services.finance import Period, Summary, behind, summarise
from einvoice.services.finance_list import FinanceFilter, iter_documents, list_documents
from einvoice.services.usage import usage
from einvoice.web.api.base import PREFIX, Blueprint
from einvoice.web.api.finance_schemas import (
    DailyOut,
    ExportQuery,
    FinancePage,
    ListQuery,
    PeriodExportQuery,
    PeriodQuery,
    SummaryOut,
    UsageOut,
    UsageQuery,
)
from einvoice.web.auth import roles
from einvoice.web.errors import error_response
from einvoice.web.runtime import runtime

blp = Blueprint("finance", __name__, url_prefix=f"{PREFIX}/finance", description="Reconciliation and exports")
FINANCE = ("finance", "admin")
F = TypeVar("F", bound=Callable[..., Any])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def known_filters(schema: type[Schema]) -> Callable[[F], F]:
    """Refuse a query parameter the schema does not name with a 400 that names it (never silently ignore it)."""
    names = set(schema().fields)

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            unknown = sorted(set(request.args) - names)
            if unknown:
                problems = tuple(
                    Problem("unknown_filter", name, f"Bộ lọc không được hỗ trợ: {name}", f"unknown filter: {name}")
                    for name in unknown
                )
                return error_response(400, "unknown_filter", f"unknown filter: {', '.join(unknown)}", problems)
            return view(*args, **kwargs)

        return cast(F, checked)

    return decorate


def _period(args: dict[str, Any]) -> Period:
    args.pop("format", None)
    args.setdefault("date_to", args["date_from"])
    return Period(**args)


LIST = f"{PREFIX}/finance/documents"


def summary_body(summary: Summary) -> dict[str, Any]:
    """The summary as the API answers it, each figure with the URL of the documents behind it."""
    scope = {"date_from": summary.period.date_from.isoformat(), "date_to": summary.period.date_to.isoformat()}
    for name in ("counter_id", "cashier_id", "series_id", "kind"):
        value = getattr(summary.period, name)
        if value is not None:
            scope[name] = str(value)
    tables = {
        name: [
            dict(asdict(figure), documents_url=f"{LIST}?{urlencode({**scope, **behind(name, figure)})}")
            for figure in figures
        ]
        for name, figures in summary.tables.items()
    }
    period = summary.period
    return {
        "date_from": period.date_from,
        "date_to": period.date_to,
        "count": summary.count,
        "amount": summary.amount,
        "rule": RULE_VI,
        "tables": tables,
    }


@blp.route("/summary", methods=["GET"])
@blp.response(200, SummaryOut)
@roles(*FINANCE)
@known_filters(PeriodQuery)
@blp.arguments(PeriodQuery, location="query")
def summary(args: dict[str, Any]) -> dict[str, Any]:
    """Reconcile a period: totals per fee, counter, cashier, payment method, series and state."""
    return summary_body(summarise(runtime().engine, _period(args)))


@blp.route("/documents", methods=["GET"])
@blp.response(200, FinancePage)
@roles(*FINANCE)
@known_filters(ListQuery)
@blp.arguments(ListQuery, location="query")
def documents(args: dict[str, Any]) -> dict[str, Any]:
    """List documents with payment method, cashier, counter and fee lines, oldest first."""
    page, per_page = args.pop("page"), args.pop("per_page")
    items, total = list_documents(runtime().engine, FinanceFilter(**args), page=page, per_page=per_page)
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def send_sheet(sheet: Sheet, file_format: str, name: str) -> Response:
    """Answer ``sheet`` as a download: CSV streamed row by row, XLSX spooled to a temporary file then sent."""
    if file_format == "csv":
        response = Response(stream_with_context(csv_chunks(sheet)), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by _sent once read to the end
    write_xlsx(spool, [sheet])
    size = spool.tell()
    spool.seek(0)
    response = Response(stream_file(spool), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    response.headers["Content-Length"] = str(size)
    return response


def stream_file(spool: IO[bytes], chunk: int = 64 * 1024) -> Iterator[bytes]:
    """Yield an open file in chunks and close it at the end (also when the client goes away)."""
    try:
        while block := spool.read(chunk):
            yield block
    finally:
        spool.close()


@blp.route("/documents/export", methods=["GET"])
@blp.response(200, content_type="text/csv")
@roles(*FINANCE)
@known_filters(ExportQuery)
@blp.arguments(ExportQuery, location="query")
def export_documents(args: dict[str, Any]) -> Response:
    """Download the list with one row per line, as CSV (UTF-8 with BOM) or XLSX; streamed."""
    file_format = args.pop("format")
    args.pop("page")
    args.pop("per_page")
    items = iter_documents(runtime().engine, FinanceFilter(**args))
    return send_sheet(documents_sheet(items), file_format, "chung-tu")


@blp.route("/summary/export", methods=["GET"])
@blp.response(200, content_type="text/csv")
@roles(*FINANCE)
@known_filters(PeriodExportQuery)
@blp.arguments(PeriodExportQuery, location="query")
def export_summary(args: dict[str, Any]) -> Response:
    """Download every summary table of a period as CSV or XLSX."""
    file_format = args["format"]
    result = summarise(runtime().engine, _period(args))
    return send_sheet(summary_sheet(result.tables), file_format, f"tong-hop-{result.period.date_from.isoformat()}")


@blp.route("/usage", methods=["GET"])
@blp.response(200, UsageOut(many=True))
@roles(*FINANCE)
@known_filters(UsageQuery)
@blp.arguments(UsageQuery, location="query")
def series_usage(args: dict[str, Any]) -> list[Any]:
    """Usage per series in a period: first/last number, used, replaced, cancelled, amount, numbers remaining."""
    return usage(runtime().engine, args["date_from"], args.get("date_to", args["date_from"]))


@blp.route("/daily", methods=["GET"])
@blp.response(200, DailyOut(many=True))
@roles(*FINANCE)
@known_filters(UsageQuery)
@blp.arguments(UsageQuery, location="query")
def daily(args: dict[str, Any]) -> list[dict[str, Any]]:
    """Counted collections per day and payment method: every day of the period, days without documents too."""
    days = daily_collections(runtime().engine, args["date_from"], args.get("date_to", args["date_from"]))
    return [{"date": day, "amounts": dict(amounts)} for day, amounts in days]


@blp.route("/daily.svg", methods=["GET"])
@blp.response(200, content_type="image/svg+xml")
@roles(*FINANCE)
@known_filters(UsageQuery)
@blp.arguments(UsageQuery, location="query")
def daily_chart(args: dict[str, Any]) -> Response:
    """The same figures as a chart (server-side SVG)."""
    days = daily_collections(runtime().engine, args["date_from"], args.get("date_to", args["date_from"]))
    return Response(daily_svg(days), mimetype="image/svg+xml")
