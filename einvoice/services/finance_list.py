"""The finance document list: each document with its payment method, cashier, counter and fee lines.

One query shape serves the paged API list and the streamed exports (:func:`iter_documents`, constant memory: rows
are fetched in batches through a server-side cursor, the lines of each batch in one more query).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, func, or_, select
from sqlalchemy.engine import Connection

from einvoice.finance.rules import NOT_COUNTED, from_hundredths
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import counters, documents, finance_facts, finance_lines, users

d = documents.c
BATCH = 1000
MAX_PAGE_SIZE = 100
#: Oldest first, as a day is read; the order of the index on the issue date (and the row id), so no sort.
ORDER = (d.issue_date, d.id)

_COLUMNS = (
    d.id,
    d.kind,
    d.template,
    d.series,
    d.number,
    d.issue_date,
    d.created_at,
    d.currency,
    d.total_hundredths,
    d.state,
    d.lookup_code,
    d.party_name,
    d.party_tax_code,
    d.series_id,
    d.counter_id,
    d.issued_by,
    counters.c.name.label("counter_name"),
    users.c.full_name.label("cashier_name"),
    finance_facts.c.payment_method,
)


@dataclass(frozen=True, slots=True)
class FinanceFilter:
    """The filters of the finance list; ``None`` means any. Names match the summary's ``filters``."""

    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None
    series_id: int | None = None
    counter_id: int | None = None
    cashier_id: int | None = None
    state: str | None = None
    payment_method: str | None = None
    fee: str | None = None  # a fee's catalogue code, or its name when it has none
    counted: bool | None = None  # only documents that count in the totals (or only those that do not)

    def conditions(self) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions."""
        found: list[ColumnElement[bool]] = []
        if self.date_from is not None:
            found.append(d.issue_date >= self.date_from)
        if self.date_to is not None:
            found.append(d.issue_date <= self.date_to)
        for column, value in (
            (d.kind, self.kind),
            (d.series_id, self.series_id),
            (d.counter_id, self.counter_id),
            (d.issued_by, self.cashier_id),
            (d.state, self.state),
            (finance_facts.c.payment_method, self.payment_method),
        ):
            if value is not None:
                found.append(column == value)
        if self.fee is not None:
            line = finance_lines.c
            found.append(
                select(line.id)
                .where(line.document_id == d.id, or_(line.code == self.fee, line.name == self.fee))
                .exists()
            )
        if self.counted is not None:
            found.append(d.state.not_in(NOT_COUNTED) if self.counted else d.state.in_(NOT_COUNTED))
        return found


def _query(criteria: FinanceFilter) -> Select[Any]:
    return (
        select(*_COLUMNS)
        .join(finance_facts, finance_facts.c.document_id == d.id)
        .outerjoin(counters, counters.c.id == d.counter_id)
        .outerjoin(users, users.c.id == d.issued_by)
        .where(*criteria.conditions())
    )


def _lines_of(conn: Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not ids:
        return found
    line = finance_lines.c
    query = select(line.document_id, line.line_no, line.code, line.name, line.legal_basis, line.quantity, line.amount)
    rows = conn.execute(query.where(line.document_id.in_(ids)).order_by(line.document_id, line.line_no)).all()
    for document_id, line_no, code, name, legal_basis, quantity, amount in rows:
        found[document_id].append(
            {"line_no": line_no, "code": code, "name": name, "legal_basis": legal_basis, "quantity": quantity,
             "amount": amount}
        )  # fmt: skip
    return found


def _item(row: Any, lines: list[dict[str, Any]]) -> dict[str, Any]:
    item = dict(row._mapping)
    item["total"] = from_hundredths(item.pop("total_hundredths"))
    item["template_series"] = f"{item['template']}/{item['series']}"
    item["lines"] = lines
    item["lines_summary"] = "; ".join(f"{line['name']} × {line['quantity']}" for line in lines)
    return item


def list_documents(
    engine: Engine, criteria: FinanceFilter, *, page: int = 1, per_page: int = 20
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of documents (oldest first, as a day is read) and how many match in all."""
    catch_up(engine)
    query = _query(criteria)
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = conn.execute(query.order_by(*ORDER).limit(per_page).offset((max(page, 1) - 1) * per_page)).all()
        lines = _lines_of(conn, [row.id for row in rows])
    return [_item(row, lines[row.id]) for row in rows], total


def iter_documents(
    engine: Engine, criteria: FinanceFilter, *, batch: int = BATCH
) -> Generator[dict[str, Any], None, None]:
    """Yield every matching document with its lines, oldest first, holding one batch in memory at a time."""
    catch_up(engine)
    with engine.connect() as conn:
        streamed = conn.execution_options(stream_results=True, yield_per=batch)
        with streamed.execute(_query(criteria).order_by(*ORDER)) as result, engine.connect() as side:
            for rows in result.partitions(batch):
                lines = _lines_of(side, [row.id for row in rows])
                for row in rows:
                    yield _item(row, lines[row.id])
