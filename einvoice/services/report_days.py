"""What the finance pages read besides the reconciliation: a day's receipts table 01/TH-BLĐT and the shifts of a day.

The table's rows are built by :func:`einvoice.services.receipt_tables.table_row`, the function that packs the table
sent to the authority, so the page shows the same data: every receipt issued that day (a replaced one too, as it was
sent when issued), per issuer, in issuing order. A shift is reconciled as its counter's documents issued by its
cashier on the days it was open (documents carry no shift; the counter's own shift page lists the shift's receipts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select

from einvoice.domain.kinds import DocumentKind
from einvoice.domain.vntime import VIETNAM_TIME, local_date
from einvoice.services.errors import NotFoundError
from einvoice.services.finance import Period
from einvoice.services.receipt_tables import table_row
from einvoice.storage.schema import counters, documents, issuers, shifts, users
from einvoice.xmldoc.receipt_table import FORM, TableRow


@dataclass(frozen=True, slots=True)
class ReceiptRow:
    """One row of the table with what the page adds: the document behind it and its state today."""

    document_id: int
    state: str
    row: TableRow


@dataclass(frozen=True, slots=True)
class IssuerTable:
    """The receipts table 01/TH-BLĐT of one issuer for one day."""

    day: date
    issuer_name: str
    tax_code: str
    rows: list[ReceiptRow]
    form: str = FORM


def receipt_tables_of(engine: Engine, day: date) -> list[IssuerTable]:
    """Return the day's receipts table of every issuer that issued receipts that day."""
    d = documents.c
    query = (
        select(d.id, d.state, issuers.c.id.label("issuer_id"), issuers.c.name, issuers.c.tax_code)
        .join(issuers, issuers.c.id == d.issuer_id)
        .where(d.kind == DocumentKind.RECEIPT, d.issue_date == day)
        .order_by(issuers.c.id, d.id)
    )
    tables: dict[int, IssuerTable] = {}
    with engine.connect() as conn:
        for found in conn.execute(query).all():
            table = tables.setdefault(found.issuer_id, IssuerTable(day, found.name, found.tax_code, []))
            table.rows.append(ReceiptRow(found.id, found.state, table_row(conn, found.id)))
    return list(tables.values())


def _utc_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), VIETNAM_TIME).astimezone(UTC)
    return start, start + timedelta(days=1)


def shifts_of(engine: Engine, day: date) -> list[dict[str, Any]]:
    """Return the shifts opened on ``day`` (Vietnam date) with their counter's and cashier's names."""
    start, end = _utc_bounds(day)
    s = shifts.c
    query = (
        select(s.id, s.counter_id, s.opened_by, s.opened_at, s.closed_at, counters.c.name.label("counter_name"))
        .add_columns(users.c.full_name.label("cashier_name"))
        .join(counters, counters.c.id == s.counter_id)
        .join(users, users.c.id == s.opened_by)
        .where(s.opened_at >= start, s.opened_at < end)
        .order_by(s.opened_at, s.id)
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def shift_period(engine: Engine, shift_id: int, today: date) -> tuple[Period, dict[str, Any]]:
    """Return the period that reconciles a shift (see the module docstring) and the shift."""
    with engine.connect() as conn:
        shift = conn.execute(select(shifts).where(shifts.c.id == shift_id)).mappings().first()
    if shift is None:
        raise NotFoundError(f"no shift {shift_id}")
    last = local_date(shift["closed_at"]) if shift["closed_at"] is not None else today
    period = Period(local_date(shift["opened_at"]), last, counter_id=shift["counter_id"], cashier_id=shift["opened_by"])
    return period, dict(shift)
