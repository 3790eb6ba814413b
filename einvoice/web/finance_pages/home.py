"""The finance home: daily collections of the last 30 or 90 days by payment method (chart and table), the top fees."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from markupsafe import Markup
from marshmallow import Schema, fields, validate

from einvoice.finance.chart import daily_svg
from einvoice.finance.rules import PAYMENT_LABELS_VI
from einvoice.services.daily import daily_collections
from einvoice.services.finance import Period, summarise
from einvoice.web.counter.base import staff
from einvoice.web.finance_pages.base import FINANCE, bp, documents_url, figure_url, page, query_args, today
from einvoice.web.runtime import runtime

#: The spans the home page offers, in days.
SPANS = (30, 90)
#: How many fees the home page names.
TOP_FEES = 5


class HomeQuery(Schema):
    """The home page's one choice: how many days back."""

    days = fields.Integer(load_default=SPANS[0], validate=validate.OneOf(SPANS))


@bp.get("/tai-chinh")
@staff(*FINANCE)
def home() -> str:
    """Collections per day and payment method as a chart with its table, and the fees that brought in most."""
    span = query_args(HomeQuery())["days"]
    last = today()
    period = Period(last - timedelta(days=span - 1), last)
    engine = runtime().engine
    days = daily_collections(engine, period.date_from, period.date_to)
    found = {method for _, amounts in days for method in amounts}
    methods = [m for m in PAYMENT_LABELS_VI if m in found] + sorted(found - PAYMENT_LABELS_VI.keys())
    summary = summarise(engine, period)
    rows = [(day, amounts, sum(amounts.values(), Decimal(0))) for day, amounts in days]
    return page(
        "finance/home.html",
        span=span,
        spans=SPANS,
        period=period,
        chart=Markup(daily_svg(days, title=f"Số tiền thu theo ngày, {span} ngày gần nhất")),  # noqa: S704 -- our SVG, text escaped by daily_svg
        rows=rows,
        chart_methods=methods,
        method_totals={m: sum((a.get(m, Decimal(0)) for _, a in days), Decimal(0)) for m in methods},
        summary=summary,
        top_fees=[(fee, figure_url(period, "fees", fee)) for fee in summary.tables["fees"][:TOP_FEES]],
        all_url=documents_url(period, {"counted": "true"}),
    )
