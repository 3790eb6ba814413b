"""What the finance pages share: the blueprint, strict query filters, the period a page reconciles, links, rendering.

Filters are strict as in the API: a query parameter a page does not name is refused with a 400 page naming it, and a
value that does not parse is refused naming its field; nothing is silently ignored. The filter names are the API's
(``date_from``, ``payment_method``…), so a summary figure's ``filters`` open the document list as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validate

from einvoice.domain.vntime import local_date
from einvoice.finance.rules import PAYMENT_LABELS_VI, STATE_LABELS_VI
from einvoice.render.context import format_date, format_number
from einvoice.services import report_days
from einvoice.services.errors import ConflictError, ForbiddenError, NotFoundError
from einvoice.services.finance import Figure, Period, behind
from einvoice.web.api.finance_schemas import PeriodQuery
from einvoice.web.counter import base as counter_base
from einvoice.web.counter.base import page_actor
from einvoice.web.runtime import runtime, settings_of

bp = Blueprint("finance_pages", __name__, static_folder="static", static_url_path="/static/tai-chinh")
#: Who may open the finance pages (as the finance API).
FINANCE = ("finance", "admin")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

for _error, _handler in (
    (NotFoundError, counter_base._missing),
    (ForbiddenError, counter_base._forbidden),
    (ConflictError, counter_base._conflict),
):
    bp.register_error_handler(_error, _handler)


class BadQuery(Exception):
    """Query parameters a page refuses: (name, Vietnamese message) of each."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(", ".join(name for name, _ in problems))


@bp.errorhandler(BadQuery)
def _bad_query(error: BadQuery) -> tuple[str, int]:
    return render_template("finance/bad_query.html", actor=page_actor(), problems=error.problems), 400


def query_args(schema: Schema, source: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the query (or ``source``) loaded by ``schema``; an unknown name or a bad value raises BadQuery."""
    given = request.args if source is None else source
    unknown = sorted(set(given) - set(schema.fields))
    if unknown:
        raise BadQuery([(name, f"Bộ lọc không được hỗ trợ: “{name}”") for name in unknown])
    try:
        return dict(schema.load({name: value for name, value in given.items() if value != ""}))  # a blank field: any
    except ValidationError as error:
        names = sorted(error.messages if isinstance(error.messages, dict) else {"_schema": error.messages})
        raise BadQuery(
            [(name, f"Giá trị không hợp lệ của “{name}”: “{given.get(name, '')}”") for name in names]
        ) from error


class PeriodPageQuery(PeriodQuery):
    """A page's period: a day, a month (``YYYY-MM``), a shift, or ``date_from``–``date_to``; today when none."""

    date_from = fields.Date()
    day = fields.Date()
    month = fields.String(validate=validate.Regexp(MONTH))
    shift_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    format = fields.String(validate=validate.OneOf(["csv", "xlsx", "pdf"]))


@dataclass(frozen=True, slots=True)
class Chosen:
    """The period a page shows, how the finance user chose it, and the shift when it is one."""

    period: Period
    how: str  # day | month | shift | range
    shift: dict[str, Any] | None = None


def today() -> date:
    """Return today's date in Vietnam by the app's clock."""
    return local_date(runtime().now())


def chosen_period(args: dict[str, Any]) -> Chosen:
    """Turn a loaded :class:`PeriodPageQuery` into the period to reconcile."""
    narrow = {name: args.get(name) for name in ("counter_id", "cashier_id", "series_id", "kind")}
    if "shift_id" in args:
        period, shift = report_days.shift_period(runtime().engine, args["shift_id"], today())
        return Chosen(period, "shift", shift)
    if "month" in args:
        first = date.fromisoformat(args["month"] + "-01")
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return Chosen(Period(first, last, **narrow), "month")
    if "date_from" in args:
        return Chosen(Period(args["date_from"], args.get("date_to", args["date_from"]), **narrow), "range")
    day = args.get("day", today())
    return Chosen(Period(day, day, **narrow), "day")


def period_scope(period: Period) -> dict[str, str]:
    """Return the list filters that select the documents of ``period``."""
    scope = {"date_from": period.date_from.isoformat(), "date_to": period.date_to.isoformat()}
    for name in ("counter_id", "cashier_id", "series_id", "kind"):
        value = getattr(period, name)
        if value is not None:
            scope[name] = str(value)
    return scope


def documents_url(period: Period, filters: Mapping[str, Any]) -> str:
    """Return the address of the document list behind a figure of ``period``."""
    values: dict[str, Any] = {**period_scope(period), **{k: str(v) for k, v in filters.items()}}
    return url_for("finance_pages.documents", **values)


def figure_url(period: Period, table: str, figure: Figure) -> str:
    """Return the list behind a summary figure (see :func:`einvoice.services.finance.behind`)."""
    return documents_url(period, behind(table, figure))


def money(value: Decimal | None) -> str:
    """Write an amount as the pages show it: ``1.250.000 ₫``."""
    return f"{format_number(value if value is not None else Decimal(0))}\u00a0₫"


def exports_folder() -> Path:
    """Return where export jobs write their files (the API's jobs use the same folder)."""
    return settings_of().data_dir / "exports"


def page(template: str, **context: Any) -> str:
    """Render a finance page with what every one of them uses."""
    return render_template(
        template,
        actor=page_actor(),
        money=money,
        format_number=format_number,
        format_date=format_date,
        methods=PAYMENT_LABELS_VI,
        states=STATE_LABELS_VI,
        **context,
    )
