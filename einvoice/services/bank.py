"""Importing a bank statement: read it with its bank's layout, keep the lines not seen before, match them, store why.

Idempotent: a line is known by the SHA-256 of its bank and raw cells, so the same statement imported twice adds and
changes nothing; a statement overlapping an earlier one adds only its new lines. Receipts waiting for a transfer are
the receipts paid by transfer (``CK``) or partly by transfer (``TM/CK``) that no earlier line paid; their reference
is ``<series> <number>`` (which the counter's VietQR reference ``<prefix> <series> <number>`` contains), compared
as :func:`einvoice.finance.matching.compact` does. The amount expected is the transfer part the counter recorded
(``counter_payments.transfer``: the total less the cash of a mixed payment); a receipt issued without a counter
payment (through the API) has no recorded split, so its whole total is expected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.engine import Connection

from einvoice.domain.kinds import DocumentKind
from einvoice.finance.matching import PAYING, Expected, Line, Match, match_lines
from einvoice.finance.rules import NOT_COUNTED, from_hundredths
from einvoice.finance.statements import LAYOUTS, StatementError, StatementLine, parse_statement, read_rows
from einvoice.services.ledger import catch_up
from einvoice.storage.engine import writing
from einvoice.storage.schema import bank_lines, counter_payments, documents, finance_facts

TRANSFER_METHODS = ("CK", "TM/CK")
#: How far before a statement's first day receipts are still waited for.
LOOKBACK_DAYS = 31
#: Line hashes asked about in one statement.
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: lines added, lines already known, and the decision about each added line."""

    added: int
    known: int
    matches: list[Match]


def line_hash(bank: str, line: StatementLine) -> str:
    """Return the identity of a statement line: its bank and raw cells."""
    return hashlib.sha256("\x1f".join((bank, *line.raw)).encode()).hexdigest()


def transfer_part(total_hundredths: int, transfer: Decimal | None) -> Decimal:
    """Return the amount a transfer receipt waits for: the counter's transfer part, or the total if none is recorded."""
    return transfer if transfer is not None else from_hundredths(total_hundredths)


def waiting_query(first: date, last: date) -> Select[Any]:
    """The receipts that may wait for a transfer issued from ``first`` to ``last`` (the import reads them all).

    ``transfer`` is the transfer part the counter recorded (``None`` for a receipt issued elsewhere):
    :func:`transfer_part` gives the amount expected.
    """
    d = documents.c
    return _transfer_receipts(first, last, d.id, d.series, d.number, d.total_hundredths, d.issue_date)


def _transfer_receipts(first: date, last: date, *columns: Any) -> Select[Any]:
    """The counted transfer receipts issued from ``first`` to ``last``: ``columns`` and the counter's transfer part."""
    d = documents.c
    return (
        select(*columns, counter_payments.c.transfer)
        .join(finance_facts, finance_facts.c.document_id == d.id)
        .outerjoin(counter_payments, counter_payments.c.document_id == d.id)
        .where(
            d.kind == DocumentKind.RECEIPT,
            d.state.not_in(NOT_COUNTED),
            finance_facts.c.payment_method.in_(TRANSFER_METHODS),
            d.issue_date >= first,
            d.issue_date <= last,
        )
        .order_by(d.id)
    )


def _known(conn: Connection, hashes: list[str]) -> set[str]:
    """Return which of ``hashes`` are stored already, asking in chunks (drivers cap the parameters of a statement)."""
    found: set[str] = set()
    for start in range(0, len(hashes), CHUNK):
        chunk = hashes[start : start + CHUNK]
        found.update(conn.execute(select(bank_lines.c.line_hash).where(bank_lines.c.line_hash.in_(chunk))).scalars())
    return found


def import_statement(
    engine: Engine, bank: str, data: bytes, filename: str, *, user_id: int | None, now: datetime
) -> ImportResult:
    """Import a statement file of ``bank`` (a key of :data:`LAYOUTS`)."""
    if bank not in LAYOUTS:
        raise StatementError(f"unknown bank layout {bank!r}; one of {', '.join(LAYOUTS)}")
    lines = parse_statement(read_rows(data, filename), LAYOUTS[bank])
    if not lines:
        return ImportResult(0, 0, [])
    catch_up(engine)
    keyed = {line_hash(bank, line): line for line in lines}
    first = min(line.booked_on for line in lines) - timedelta(days=LOOKBACK_DAYS)
    last = max(line.booked_on for line in lines)
    with writing(engine) as conn:
        known = _known(conn, list(keyed))
        paid = set(
            conn.execute(
                select(bank_lines.c.document_id).where(
                    bank_lines.c.outcome.in_(PAYING), bank_lines.c.document_id.is_not(None)
                )
            ).scalars()
        )
        receipts = [
            Expected(r.id, f"{r.series} {r.number}", transfer_part(r.total_hundredths, r.transfer), r.issue_date)
            for r in conn.execute(waiting_query(first, last))
        ]
        new = [(key, line) for key, line in keyed.items() if key not in known]
        matches = match_lines(
            [Line(key, line.booked_on, line.amount, line.description) for key, line in new], receipts, paid=paid
        )
        if new:
            conn.execute(
                bank_lines.insert(),
                [
                    {
                        "bank": bank,
                        "line_hash": key,
                        "booked_on": line.booked_on,
                        "amount": line.amount,
                        "description": line.description,
                        "bank_reference": line.bank_reference,
                        "outcome": match.outcome,
                        "document_id": match.document_id,
                        "reason": match.reason[:400],
                        "imported_by": user_id,
                        "imported_at": now,
                    }
                    for (key, line), match in zip(new, matches, strict=True)
                ],
            )
    return ImportResult(len(new), len(known), matches)


def stored_lines(engine: Engine, date_from: date, date_to: date, outcome: str | None = None) -> list[dict[str, Any]]:
    """Return the imported lines booked in the period (optionally of one outcome), with the receipt each paid."""
    b = bank_lines.c
    query = (
        select(b.id, b.bank, b.booked_on, b.amount, b.description, b.bank_reference, b.outcome, b.document_id,
               b.reason, documents.c.template, documents.c.series, documents.c.number)
        .outerjoin(documents, documents.c.id == b.document_id)
        .where(b.booked_on >= date_from, b.booked_on <= date_to)
        .order_by(b.booked_on, b.id)
    )  # fmt: skip
    if outcome is not None:
        query = query.where(b.outcome == outcome)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def unpaid_transfers(engine: Engine, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """Return the transfer receipts of the period no imported line has paid, each with the ``transfer`` expected."""
    catch_up(engine)
    d = documents.c
    paid = select(bank_lines.c.id).where(bank_lines.c.document_id == d.id, bank_lines.c.outcome.in_(PAYING)).exists()
    query = _transfer_receipts(
        date_from, date_to,
        d.id, d.template, d.series, d.number, d.issue_date, d.total, d.total_hundredths, d.party_name,
        finance_facts.c.payment_method,
    ).where(~paid)  # fmt: skip
    with engine.connect() as conn:
        return [
            {**row, "transfer": transfer_part(row["total_hundredths"], row["transfer"])}
            for row in conn.execute(query).mappings()
        ]
