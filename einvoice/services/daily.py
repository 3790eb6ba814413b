"""Daily collections of a period per payment method, for the finance home page's chart and its table."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine, func, select

from einvoice.finance.chart import Day
from einvoice.finance.rules import NOT_COUNTED, from_hundredths
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import documents, finance_facts


def daily_collections(engine: Engine, date_from: date, date_to: date) -> list[Day]:
    """Return every day of the period (days without documents too) with the counted amount per payment method."""
    catch_up(engine)
    d = documents.c
    query = (
        select(d.issue_date, finance_facts.c.payment_method, func.sum(d.total_hundredths))
        .join(finance_facts, finance_facts.c.document_id == d.id)
        .where(d.issue_date >= date_from, d.issue_date <= date_to, d.state.not_in(NOT_COUNTED))
        .group_by(d.issue_date, finance_facts.c.payment_method)
    )
    found: dict[date, dict[str, Decimal]] = defaultdict(dict)
    with engine.connect() as conn:
        for day, method, amount in conn.execute(query):
            found[day][method] = from_hundredths(amount)
    span = (date_to - date_from).days + 1
    return [(day, found.get(day, {})) for day in (date_from + timedelta(days=i) for i in range(max(span, 0)))]
