"""Reconciliation of a period: totals per fee, counter, cashier, payment method, series and state, in SQL.

Every figure comes with the list filter that shows the documents behind it (``filters``), so a page or an API client
can open them in one click. The counting rule is :mod:`einvoice.finance.rules`. The ledger is caught up first, so
documents issued a moment ago count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, distinct, func, select

from einvoice.finance.rules import NOT_COUNTED, PAYMENT_LABELS_VI, STATE_LABELS_VI, counts, from_hundredths
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import counters, documents, finance_facts, finance_lines, users

d = documents.c


@dataclass(frozen=True, slots=True)
class Period:
    """Documents issued from ``date_from`` to ``date_to`` (Vietnam dates, both included), optionally narrowed."""

    date_from: date
    date_to: date
    counter_id: int | None = None
    cashier_id: int | None = None
    series_id: int | None = None
    kind: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions of the period."""
        found = [d.issue_date >= self.date_from, d.issue_date <= self.date_to]
        for column, value in (
            (d.counter_id, self.counter_id),
            (d.issued_by, self.cashier_id),
            (d.series_id, self.series_id),
            (d.kind, self.kind),
        ):
            if value is not None:
                found.append(column == value)
        return found


@dataclass(frozen=True, slots=True)
class Figure:
    """One row of a summary table: what it is, how many documents, how much, and the list filter behind it."""

    label: str
    count: int
    amount: Decimal
    filters: dict[str, Any]
    detail: str | None = None  # the legal basis of a fee
    counted: bool = True


@dataclass(frozen=True, slots=True)
class Summary:
    """The reconciliation of a period."""

    period: Period
    count: int
    amount: Decimal
    tables: dict[str, list[Figure]] = field(default_factory=dict)


#: The summary tables in the order pages show them.
TABLES = ("fees", "counters", "cashiers", "payment_methods", "series", "states")


def _grouped(conn: Any, query: Select[Any], period: Period, *, counted_only: bool = True) -> list[Any]:
    conditions = period.conditions()
    if counted_only:
        conditions.append(d.state.not_in(NOT_COUNTED))
    return list(conn.execute(query.where(*conditions)).all())


def summarise(engine: Engine, period: Period) -> Summary:
    """Return the totals of ``period`` in every table of :data:`TABLES`."""
    catch_up(engine)
    money = func.coalesce(func.sum(d.total_hundredths), 0)
    n = func.count(d.id)
    with engine.connect() as conn:
        fees = _grouped(
            conn,
            select(
                finance_lines.c.code,
                finance_lines.c.name,
                finance_lines.c.legal_basis,
                func.count(distinct(finance_lines.c.document_id)),
                func.sum(finance_lines.c.amount_hundredths),
            )
            .join(documents, documents.c.id == finance_lines.c.document_id)
            .group_by(finance_lines.c.code, finance_lines.c.name, finance_lines.c.legal_basis)
            .order_by(func.sum(finance_lines.c.amount_hundredths).desc(), finance_lines.c.name),
            period,
        )
        by_counter = _grouped(
            conn,
            select(d.counter_id, counters.c.name, n, money)
            .outerjoin(counters, counters.c.id == d.counter_id)
            .group_by(d.counter_id, counters.c.name)
            .order_by(counters.c.name),
            period,
        )
        by_cashier = _grouped(
            conn,
            select(d.issued_by, users.c.full_name, n, money)
            .outerjoin(users, users.c.id == d.issued_by)
            .group_by(d.issued_by, users.c.full_name)
            .order_by(users.c.full_name),
            period,
        )
        by_method = _grouped(
            conn,
            select(finance_facts.c.payment_method, n, money)
            .join(finance_facts, finance_facts.c.document_id == d.id)
            .group_by(finance_facts.c.payment_method)
            .order_by(finance_facts.c.payment_method),
            period,
        )
        by_series = _grouped(
            conn,
            select(d.series_id, d.template, d.series, n, money)
            .group_by(d.series_id, d.template, d.series)
            .order_by(d.template, d.series),
            period,
        )
        by_state = _grouped(
            conn, select(d.state, n, money).group_by(d.state).order_by(d.state), period, counted_only=False
        )
    tables = {
        "fees": [
            Figure(name, count, from_hundredths(amount), {"fee": code or name}, detail=basis)
            for code, name, basis, count, amount in fees
        ],
        "counters": [
            Figure(name or "—", count, from_hundredths(amount), {"counter_id": cid})
            for cid, name, count, amount in by_counter
        ],
        "cashiers": [
            Figure(name or "—", count, from_hundredths(amount), {"cashier_id": uid})
            for uid, name, count, amount in by_cashier
        ],
        "payment_methods": [
            Figure(PAYMENT_LABELS_VI.get(method, method), count, from_hundredths(amount), {"payment_method": method})
            for method, count, amount in by_method
        ],
        "series": [
            Figure(f"{template}/{symbol}", count, from_hundredths(amount), {"series_id": sid})
            for sid, template, symbol, count, amount in by_series
        ],
        "states": [
            Figure(
                STATE_LABELS_VI.get(state, state),
                count,
                from_hundredths(amount),
                {"state": state},
                counted=counts(state),
            )
            for state, count, amount in by_state
        ],
    }
    counted = [figure for figure in tables["states"] if figure.counted]
    return Summary(period, sum(f.count for f in counted), sum((f.amount for f in counted), Decimal(0)), tables)
