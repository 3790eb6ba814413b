"""Daily collections of a period per payment method, for the finance home page's chart and its table.

Read like the summary (:mod:`einvoice.services.finance`): the ledger's day totals per payment method (every document
as issued), less the few documents of the period that no longer count (replaced, cancelled), read through the index
on (state, issue date). Neither read grows with the number of documents in the period.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, func, select

from einvoice.finance.chart import Day
from einvoice.finance.rules import NOT_COUNTED, from_hundredths
from einvoice.services.finance import Period, issued_method
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import documents, finance_days


def daily_queries(date_from: date, date_to: date) -> tuple[Select[Any], Select[Any]]:
    """The day totals per (day, payment method), and the documents not counted per (day, payment method)."""
    period = Period(date_from, date_to)
    t = finance_days.c
    totals = (
        select(t.issue_date, t.payment_method, func.sum(t.documents), func.sum(t.amount_hundredths))
        .where(*period.conditions(finance_days))
        .group_by(t.issue_date, t.payment_method)
    )
    d = documents.c
    left_out = (
        select(d.issue_date, issued_method().label("payment_method"), d.total_hundredths)
        .where(d.state.in_(NOT_COUNTED), *period.conditions())
        .subquery()
    )
    not_counted = select(
        left_out.c.issue_date, left_out.c.payment_method, func.count(), func.sum(left_out.c.total_hundredths)
    ).group_by(left_out.c.issue_date, left_out.c.payment_method)
    return totals, not_counted


def daily_collections(engine: Engine, date_from: date, date_to: date) -> list[Day]:
    """Return every day of the period (days without documents too) with the counted amount per payment method."""
    catch_up(engine)
    totals_query, not_counted_query = daily_queries(date_from, date_to)
    totals: dict[tuple[date, str], list[int]] = {}
    with engine.connect() as conn:
        for day, method, count, amount in conn.execute(totals_query):
            totals[day, method] = [int(count), int(amount)]
        for day, method, count, amount in conn.execute(not_counted_query):
            if method is not None:  # a document without facts yet is in no total either
                entry = totals.setdefault((day, method), [0, 0])
                entry[0] -= count
                entry[1] -= int(amount)
    found: dict[date, dict[str, Decimal]] = {}
    for (day, method), (count, amount) in totals.items():
        if count:
            found.setdefault(day, {})[method] = from_hundredths(amount)
    span = (date_to - date_from).days + 1
    return [(day, found.get(day, {})) for day in (date_from + timedelta(days=i) for i in range(max(span, 0)))]
