"""Counter shifts: every receipt issued at a counter belongs to the shift open there, with how it was paid.

A counter has at most one open shift; the first receipt after a close opens the next one (in the issuing transaction,
so a receipt is never outside a shift). Closing records the cash the cashier counted beside the cash expected (the
cash parts of the shift's receipts); a closed shift is read-only. Amounts are exact ``Decimal`` đồng throughout.

A receipt replaced at the counter (same day, same open shift: :func:`einvoice.services.counter.replace_sale`) stays
listed but no longer counts: its replacement, recorded in the same shift, counts in full (the finance counting rule,
:mod:`einvoice.finance.rules`). Only replacements recorded in the shift supersede, so a closed shift never changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection, RowMapping

from einvoice.domain import payments
from einvoice.domain.errors import Problem
from einvoice.services.errors import ConflictError, ForbiddenError, NotFoundError, RequestProblemsError
from einvoice.services.issuing import Actor
from einvoice.storage.engine import writing
from einvoice.storage.schema import counter_payments, documents, shifts

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Payment:
    """How one counter receipt was paid: its method and the cash and transfer parts of its total."""

    method: str
    cash: Decimal
    transfer: Decimal
    reference: str | None = None


def split(method: str, total: Decimal, cash_part: Decimal | None) -> Payment:
    """Split ``total`` by ``method``: all cash, all transfer, or ``cash_part`` in cash and the rest by transfer."""
    if method == payments.CASH:
        return Payment(method, total, ZERO)
    if method == payments.TRANSFER:
        return Payment(method, ZERO, total)
    if method != payments.CASH_AND_TRANSFER:
        problem = payments.problem(method, "payment")
        raise RequestProblemsError([problem] if problem else [])
    if cash_part is None or not ZERO < cash_part < total or cash_part != cash_part.to_integral_value():
        raise RequestProblemsError(
            [
                Problem(
                    "cash_part",
                    "cash_part",
                    "Nhập số tiền mặt: một số nguyên đồng lớn hơn 0 và nhỏ hơn tổng tiền",
                    "the cash part must be whole đồng, more than 0 and less than the total",
                )
            ]
        )
    return Payment(method, cash_part, total - cash_part)


def open_shift_in(conn: Connection, counter_id: int, user_id: int, now: datetime) -> RowMapping:
    """Return the counter's open shift, opening one if there is none (inside the caller's write transaction)."""
    found = (
        conn.execute(select(shifts).where(shifts.c.counter_id == counter_id, shifts.c.closed_at.is_(None)))
        .mappings()
        .first()
    )
    if found is not None:
        return found
    values = {"counter_id": counter_id, "opened_by": user_id, "opened_at": now}
    return conn.execute(shifts.insert().values(**values).returning(*shifts.c)).mappings().one()


def record_payment(
    conn: Connection, *, actor: Actor, document_id: int, form_key: str, payment: Payment, now: datetime
) -> None:
    """Record how a counter receipt was paid, in its issuing transaction, in the counter's open shift."""
    assert actor.counter_id is not None
    assert actor.user_id is not None
    shift = open_shift_in(conn, actor.counter_id, actor.user_id, now)
    conn.execute(
        counter_payments.insert().values(
            document_id=document_id,
            shift_id=shift["id"],
            user_id=actor.user_id,
            form_key=form_key,
            method=payment.method,
            cash=payment.cash,
            transfer=payment.transfer,
            reference=payment.reference,
        )
    )


def document_for_form_key(engine: Engine, user_id: int, form_key: str) -> int | None:
    """Return the document a form with this key already issued, if any (a second click, a reload)."""
    query = select(counter_payments.c.document_id).where(
        counter_payments.c.user_id == user_id, counter_payments.c.form_key == form_key
    )
    with engine.connect() as conn:
        found: int | None = conn.execute(query).scalar()
    return found


def payment_of(engine: Engine, document_id: int) -> RowMapping | None:
    """Return how a counter receipt was paid, or ``None`` for a document not issued at a counter."""
    with engine.connect() as conn:
        return (
            conn.execute(select(counter_payments).where(counter_payments.c.document_id == document_id))
            .mappings()
            .first()
        )


@dataclass(slots=True)
class ShiftSummary:
    """A shift and its receipts: totals by payment method, cash expected, transfers listed."""

    shift: RowMapping
    receipts: list[dict[str, Any]] = field(default_factory=list)
    by_method: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    cash_expected: Decimal = ZERO
    transfer_total: Decimal = ZERO
    total: Decimal = ZERO
    count: int = 0  # receipts that count: those not superseded by a replacement recorded in this shift

    @property
    def difference(self) -> Decimal | None:
        """Cash counted minus cash expected, once the shift is closed."""
        counted = self.shift["cash_counted"]
        return None if counted is None else counted - self.shift["cash_expected"]


def current_shift(engine: Engine, counter_id: int) -> RowMapping | None:
    """Return the counter's open shift, or ``None`` if none is open."""
    with engine.connect() as conn:
        return (
            conn.execute(select(shifts).where(shifts.c.counter_id == counter_id, shifts.c.closed_at.is_(None)))
            .mappings()
            .first()
        )


def _shift_rows(conn: Connection, shift_id: int) -> list[dict[str, Any]]:
    """Return the shift's receipts with their payments, each with ``counted`` (not superseded in this shift)."""
    query = (
        select(counter_payments, documents.c.template, documents.c.series, documents.c.number, documents.c.total)
        .add_columns(documents.c.party_name, documents.c.lookup_code, documents.c.created_at, documents.c.state)
        .add_columns(documents.c.corrects_id, documents.c.correction)
        .join(documents, documents.c.id == counter_payments.c.document_id)
        .where(counter_payments.c.shift_id == shift_id)
        .order_by(documents.c.id)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    superseded = {row["corrects_id"] for row in rows if row["correction"] == "replacement"}
    for row in rows:
        row["counted"] = row["document_id"] not in superseded
    return rows


def summary(engine: Engine, shift_id: int, actor: Actor) -> ShiftSummary:
    """Return the summary of a shift of the actor's counter (finance and admin: any counter)."""
    with engine.connect() as conn:
        shift = conn.execute(select(shifts).where(shifts.c.id == shift_id)).mappings().first()
        if shift is None:
            raise NotFoundError("no such shift")
        if actor.role == "cashier" and shift["counter_id"] != actor.counter_id:
            raise ForbiddenError("this shift belongs to another counter")
        rows = _shift_rows(conn, shift_id)
    result = ShiftSummary(shift, receipts=rows)
    for row in rows:
        if not row["counted"]:
            continue
        count, amount = result.by_method.get(row["method"], (0, ZERO))
        result.by_method[row["method"]] = (count + 1, amount + row["total"])
        result.cash_expected += row["cash"]
        result.transfer_total += row["transfer"]
        result.total += row["total"]
        result.count += 1
    return result


def close_shift(engine: Engine, shift_id: int, actor: Actor, cash_counted: Decimal, now: datetime) -> ShiftSummary:
    """Close an open shift with the cash counted; the expected cash is computed under the write lock."""
    if cash_counted < 0 or cash_counted != cash_counted.to_integral_value():
        raise RequestProblemsError(
            [Problem("cash_counted", "cash_counted", "Nhập số tiền mặt đã đếm (số nguyên đồng)", "whole đồng >= 0")]
        )
    with writing(engine) as conn:
        shift = conn.execute(select(shifts).where(shifts.c.id == shift_id).with_for_update()).mappings().first()
        if shift is None:
            raise NotFoundError("no such shift")
        if shift["counter_id"] != actor.counter_id:
            raise ForbiddenError("this shift belongs to another counter")
        if shift["closed_at"] is not None:
            raise ConflictError("this shift is closed already")
        expected = sum((row["cash"] for row in _shift_rows(conn, shift_id) if row["counted"]), ZERO)
        conn.execute(
            shifts.update()
            .where(shifts.c.id == shift_id)
            .values(closed_at=now, closed_by=actor.user_id, cash_expected=expected, cash_counted=cash_counted)
        )
    return summary(engine, shift_id, actor)
