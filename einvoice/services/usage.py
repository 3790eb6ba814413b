"""Usage report per series and period (spec §7.4–7.5): first and last number used, how many, replaced, remaining.

The BC26 columns for data before July 2026: ``used`` is (5) Số biên lai sử dụng trong kỳ and ``amount`` (6) Tổng
tiền; ``replaced`` and ``cancelled`` are the documents of the period in those states (BC26/AC's "xóa bỏ"/"hủy");
``remaining`` is how many numbers the series can still give today (numbers run to 99,999,999, Circular 78 Art 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, case, func, select

from einvoice.domain.series import MAX_NUMBER
from einvoice.finance.rules import NOT_COUNTED, from_hundredths
from einvoice.storage.schema import documents, series


@dataclass(frozen=True, slots=True)
class SeriesUsage:
    """One series' use in the period."""

    series_id: int
    template: str
    symbol: str
    kind: str
    first_number: int | None
    last_number: int | None
    used: int
    replaced: int
    cancelled: int
    amount: Decimal
    remaining: int


def usage(engine: Engine, date_from: date, date_to: date) -> list[SeriesUsage]:
    """Return the usage of every series in the period (series without documents in it included, with zeros)."""
    d = documents.c
    in_period = (d.series_id == series.c.id) & (d.issue_date >= date_from) & (d.issue_date <= date_to)
    counted = case((d.state.not_in(NOT_COUNTED), d.total_hundredths), else_=0)
    query = (
        select(
            series.c.id,
            series.c.template,
            series.c.symbol,
            series.c.kind,
            series.c.next_number,
            func.min(d.number),
            func.max(d.number),
            func.count(d.id),
            func.sum(case((d.state == "replaced", 1), else_=0)),
            func.sum(case((d.state == "cancelled", 1), else_=0)),
            func.sum(counted),
        )
        .outerjoin(documents, in_period)
        .group_by(series.c.id, series.c.template, series.c.symbol, series.c.kind, series.c.next_number)
        .order_by(series.c.template, series.c.symbol)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        SeriesUsage(
            sid, template, symbol, kind, first, last, used, int(replaced or 0), int(cancelled or 0),
            from_hundredths(amount), MAX_NUMBER - next_number + 1,
        )
        for sid, template, symbol, kind, next_number, first, last, used, replaced, cancelled, amount in rows
    ]  # fmt: skip
