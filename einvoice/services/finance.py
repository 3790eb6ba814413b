"""Reconciliation of a period: totals per fee, counter, cashier, payment method, series and state.

Every figure comes with the list filter that shows the documents behind it (``filters``), so a page or an API client
can open them in one click. The counting rule is :mod:`einvoice.finance.rules`. The ledger is caught up first, so
documents issued a moment ago count.

The figures are read from the ledger's day totals (:mod:`einvoice.services.ledger`: per day, kind, series, counter,
cashier and payment method, and per fee), which hold every document *as issued*; then the documents of the period
that no longer stand as issued are read one by one through the index on (state, issue date) — a few in a hundred —
and moved: out of the totals when they do not count, into their state's row of the state table. Both reads are
ranges of an index whatever the number of documents (``bench/bench_finance.py`` prints the plans).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Engine, ScalarSelect, Select, Table, distinct, func, select
from sqlalchemy.engine import Connection

from einvoice.domain.lifecycle import Standing
from einvoice.finance.rules import NOT_COUNTED, PAYMENT_LABELS_VI, STATE_LABELS_VI, counts, from_hundredths
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import (
    counters,
    documents,
    finance_day_fees,
    finance_days,
    finance_facts,
    finance_lines,
    series,
    users,
)

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

    def conditions(self, table: Table = documents) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions of the period on ``documents`` or on a table of day totals."""
        c = table.c
        found = [c.issue_date >= self.date_from, c.issue_date <= self.date_to]
        for column, value in (
            (c.counter_id, self.counter_id),
            (c.issued_by, self.cashier_id),
            (c.series_id, self.series_id),
            (c.kind, self.kind),
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


def behind(table: str, figure: Figure) -> dict[str, Any]:
    """Return the list filters of the documents behind ``figure`` of ``table``: exactly the documents it counts.

    Every table but the states' counts only the documents that count (a replaced one does not), so its list says
    ``counted=true``; the states' table counts each state, replaced and cancelled ones included.
    """
    return dict(figure.filters) if table == "states" else {**figure.filters, "counted": "true"}


@dataclass(frozen=True, slots=True)
class Summary:
    """The reconciliation of a period."""

    period: Period
    count: int
    amount: Decimal
    tables: dict[str, list[Figure]] = field(default_factory=dict)


#: The summary tables in the order pages show them.
TABLES = ("fees", "counters", "cashiers", "payment_methods", "series", "states")
#: Every state but ``issued``: the documents the summary reads one by one.
OTHER_STATES = tuple(state.value for state in Standing if state is not Standing.ISSUED)

_Totals = dict[Any, list[int]]  # key → [documents, hundredths]


def _add(totals: _Totals, key: Any, count: int, amount: int) -> None:
    entry = totals.setdefault(key, [0, 0])
    entry[0] += count
    entry[1] += amount


def issued_method() -> ScalarSelect[Any]:
    """A document's payment method as issued, looked up per document in the ledger (``None`` before its facts).

    For the few documents read one by one: a join would make PostgreSQL hash the whole ledger.
    """
    f = finance_facts.c
    return select(f.payment_method).where(f.document_id == d.id).scalar_subquery()


def summary_queries(period: Period) -> dict[str, Select[Any]]:
    """The four queries of a summary, by name (``bench/bench_finance.py`` prints their plans)."""
    t = finance_days.c
    keys = (t.series_id, t.counter_id, t.issued_by, t.payment_method)
    # A document without facts yet has no payment method, and is in no total either: it is skipped.
    others = (
        select(
            d.state, d.series_id, d.counter_id, d.issued_by, issued_method().label("payment_method"), d.total_hundredths
        )
        .where(d.state.in_(OTHER_STATES), *period.conditions())
        .subquery()
    )
    fee = finance_day_fees.c
    fee_keys = (fee.code, fee.name, fee.legal_basis)
    line = finance_lines.c
    return {
        "day totals": select(*keys, func.sum(t.documents), func.sum(t.amount_hundredths))
        .where(*period.conditions(finance_days))
        .group_by(*keys),
        "documents not standing as issued": select(*others.c[:5], func.count(), func.sum(others.c.total_hundredths))
        .group_by(*others.c[:5]),
        "day totals per fee": select(*fee_keys, func.sum(fee.documents), func.sum(fee.amount_hundredths))
        .where(*period.conditions(finance_day_fees))
        .group_by(fee.fee_key, *fee_keys),
        "fees of documents not counted": select(
            line.code, line.name, line.legal_basis, func.count(distinct(line.document_id)),
            func.sum(line.amount_hundredths)
        )
        .join(documents, d.id == line.document_id)
        .where(d.state.in_(NOT_COUNTED), *period.conditions())
        .group_by(line.code, line.name, line.legal_basis),
    }  # fmt: skip


def _cube(conn: Connection, queries: dict[str, Select[Any]]) -> tuple[_Totals, _Totals]:
    """Counted totals per (series, counter, cashier, payment method), and every document's per state."""
    cube: _Totals = {}
    states: _Totals = {}
    for sid, cid, uid, method, count, amount in conn.execute(queries["day totals"]):
        _add(cube, (sid, cid or None, uid or None, method), int(count), int(amount))
        _add(states, Standing.ISSUED.value, int(count), int(amount))
    for state, sid, cid, uid, method, count, amount in conn.execute(queries["documents not standing as issued"]):
        if method is None:
            continue
        _add(states, Standing.ISSUED.value, -count, -int(amount))
        _add(states, state, count, int(amount))
        if not counts(state):
            _add(cube, (sid, cid, uid, method), -count, -int(amount))
    return cube, states


def _fees(conn: Connection, queries: dict[str, Select[Any]]) -> _Totals:
    """Counted totals per fee (code, name, legal basis): documents holding it and its amount."""
    totals: _Totals = {}
    for code, name, basis, count, amount in conn.execute(queries["day totals per fee"]):
        _add(totals, (code, name, basis), int(count), int(amount))
    for code, name, basis, count, amount in conn.execute(queries["fees of documents not counted"]):
        _add(totals, (code, name, basis), -count, -int(amount))
    return totals


def _roll_up(cube: _Totals, position: int) -> _Totals:
    """Sum the cube over every key but the one at ``position``."""
    totals: _Totals = {}
    for key, (count, amount) in cube.items():
        _add(totals, key[position], count, amount)
    return totals


def _names(conn: Connection, table: Table, *columns: Any) -> dict[int, Any]:
    return {row[0]: row[1:] for row in conn.execute(select(table.c.id, *columns))}


def _figures(totals: _Totals, make: Any) -> list[Figure]:
    """Figures of the non-empty rows (a counter whose documents were all replaced counts nothing: no row)."""
    return [make(key, count, from_hundredths(amount)) for key, (count, amount) in totals.items() if count]


def summarise(engine: Engine, period: Period) -> Summary:
    """Return the totals of ``period`` in every table of :data:`TABLES`."""
    catch_up(engine)
    with engine.connect() as conn:
        queries = summary_queries(period)
        cube, states = _cube(conn, queries)
        fees = _fees(conn, queries)
        counter_names = _names(conn, counters, counters.c.name)
        user_names = _names(conn, users, users.c.full_name)
        series_names = _names(conn, series, series.c.template, series.c.symbol)
    tables = {
        "fees": sorted(
            _figures(fees, lambda key, n, a: Figure(key[1], n, a, {"fee": key[0] or key[1]}, detail=key[2])),
            key=lambda f: (-f.amount, f.label),
        ),
        "counters": sorted(
            _figures(
                _roll_up(cube, 1),
                lambda cid, n, a: Figure(counter_names.get(cid, (None,))[0] or "—", n, a, {"counter_id": cid}),
            ),
            key=lambda f: (f.label == "—", f.label),
        ),
        "cashiers": sorted(
            _figures(
                _roll_up(cube, 2),
                lambda uid, n, a: Figure(user_names.get(uid, (None,))[0] or "—", n, a, {"cashier_id": uid}),
            ),
            key=lambda f: (f.label == "—", f.label),
        ),
        "payment_methods": sorted(
            _figures(
                _roll_up(cube, 3),
                lambda method, n, a: Figure(
                    str(PAYMENT_LABELS_VI.get(method, method)), n, a, {"payment_method": method}
                ),
            ),
            key=lambda f: f.filters["payment_method"],
        ),
        "series": sorted(
            _figures(
                _roll_up(cube, 0),
                lambda sid, n, a: Figure("/".join(series_names.get(sid, ("?", "?"))), n, a, {"series_id": sid}),
            ),
            key=lambda f: f.label,
        ),
        "states": sorted(
            _figures(
                states,
                lambda state, n, a: Figure(
                    str(STATE_LABELS_VI.get(state, state)), n, a, {"state": state}, counted=counts(state)
                ),
            ),
            key=lambda f: f.filters["state"],
        ),
    }
    counted = [figure for figure in tables["states"] if figure.counted]
    return Summary(period, sum(f.count for f in counted), sum((f.amount for f in counted), Decimal(0)), tables)
