"""Finance at scale: exports, a month's summary and bank matching over generated receipts, beside bare SELECTs.

Run: ``.venv/bin/python bench/bench_finance.py [--documents N | --full] [--database-url URL] [--rounds 3]``.
``--full`` is the issue's size: 1,000,000 receipts in one month and a statement of 100,000 lines. The default
(20,000 receipts, 2,000 lines) takes a minute.

Generation is ``einvoice dev-generate`` (:mod:`einvoice.commands.devdata`): 48 receipts signed with the development
certificate, the rest copies of their signed bytes with their own number, date and state, all issued in the month
before this one; the ledger (facts, lines, day totals) recorded with them. A database that already holds them (a
``--database-url`` given again) is reused, so the long generation runs once. ``ANALYZE`` runs after it.

Measured per round, interleaved, each in a forked child so that its peak RSS is its own (``wait4``):

- **bare SELECT**: the export's query (documents joined to the ledger, counters and cashiers), streamed, rows
  dropped — the floor any export stands on;
- **CSV export** and **XLSX export** of the month: the service's streamed rows and writers, written to a file;
- **month summary**: :func:`einvoice.services.finance.summarise` of the month;
- **receipts SELECT**: the query of the receipts a statement may pay (the floor of bank matching);
- **bank import**: :func:`einvoice.services.bank.import_statement` of a generated statement (MB layout, CSV): 70 %
  lines with the receipt's reference, 5 % partial, 5 % a second payment, 10 % without reference, 10 % foreign;
  the child first deletes the lines an earlier round stored, so each round matches every line again.

The table gives min and median seconds, the median ratio to the round's baseline (exports and summary ÷ bare
SELECT, bank import ÷ receipts SELECT), and the child's peak RSS. Then the importing of the same statement again
(idempotent: nothing added) and the query plans (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN ANALYZE``).
The machine is shared and its CPU speed swings: read the ratios first.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, delete, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from einvoice.commands.devdata import ISSUER, generate
from einvoice.domain.vntime import local_date
from einvoice.finance.export import csv_chunks, write_xlsx
from einvoice.finance.rules import from_hundredths
from einvoice.finance.tables import documents_sheet
from einvoice.services.bank import import_statement, waiting_query
from einvoice.services.finance import Period, summarise, summary_queries
from einvoice.services.finance_list import ORDER, FinanceFilter, _query, iter_documents
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import bank_lines, documents, issuers

FULL_DOCUMENTS = 1_000_000
FULL_LINES = 100_000


def month_before(today: date) -> tuple[date, int]:
    """Return the first day and the length of the month before ``today``'s (this year's January in January)."""
    if today.month == 1:
        return date(today.year, 1, 1), max(today.day - 1, 1)
    year, month = today.year, today.month - 1
    return date(year, month, 1), calendar.monthrange(year, month)[1]


def make_statement(engine: Engine, first: date, last: date, count: int) -> bytes:
    """A statement in the MB layout (CSV): exact, partial, second and reference-less payments, and foreign ones."""
    rng = random.Random(12)
    with engine.connect() as conn:
        receipts = conn.execute(waiting_query(first, last)).all()
    picked = rng.sample(receipts, min(count, len(receipts)))
    rows = []
    for i in range(count):
        receipt = picked[i % len(picked)]
        amount = from_hundredths(receipt.total_hundredths)
        reference = f"LP {receipt.series} {receipt.number}"
        roll = i % 20
        if roll < 14:
            booked, credit, words = receipt.issue_date, amount, f"{reference} NGUYEN VAN AN chuyen tien"
        elif roll == 14:
            booked, credit, words = receipt.issue_date, amount - 1000, f"MBVCB.{i}.{reference}.CT tu 0011"
        elif roll == 15:
            booked, credit, words = receipt.issue_date, amount, f"{reference} nop lai lan 2"
        elif roll < 18:
            booked, credit, words = receipt.issue_date + timedelta(days=1), amount, f"NOP LE PHI HO SO {i}"
        else:
            booked, credit, words = receipt.issue_date, amount + 777, f"TRA TIEN HANG {i}"
        rows.append([i + 1, booked.strftime("%d/%m/%Y"), f"MB{i:08d}", "", str(credit), words])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["SAO KÊ CHI TIẾT TÀI KHOẢN/ACCOUNT STATEMENT"])
    writer.writerow(["STT", "Ngày giao dịch", "Số bút toán", "Phát sinh nợ", "Phát sinh có", "Nội dung"])
    writer.writerows(rows)
    writer.writerow(["Tổng cộng"])
    return ("\ufeff" + out.getvalue()).encode()


def in_child(work: Callable[[], object]) -> tuple[float, int, float]:
    """Run ``work`` in a forked child; return its seconds, peak RSS in KiB and CPU seconds (user + system)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        started = time.perf_counter()
        work()
        os.write(write, repr(time.perf_counter() - started).encode())
        os._exit(0)
    os.close(write)
    answer = os.read(read, 64).decode()
    os.close(read)
    _, status, usage = os.wait4(pid, 0)
    if status or not answer:
        raise SystemExit(f"a measured child failed (status {status})")
    return float(answer), usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def print_plans(engine: Engine, queries: dict[str, Select[Any]]) -> None:
    """Print each query's plan as the database gives it."""
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "
    with engine.connect() as conn:
        for name, query in queries.items():
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            print(f"\nplan of {name}:")
            for row in conn.exec_driver_sql(prefix + str(compiled)):
                print("   ", row[-1] if sqlite else row[0])


def main() -> None:
    """Generate (or reuse), measure and print the table and the plans."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=None, help="statement lines (default: documents ÷ 10)")
    parser.add_argument("--full", action="store_true", help=f"{FULL_DOCUMENTS:,} documents, {FULL_LINES:,} lines")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--cases", default=None, help="comma-separated names of the cases to run (default: all)")
    args = parser.parse_args()
    count = FULL_DOCUMENTS if args.full else args.documents
    lines = FULL_LINES if args.full else (args.lines or max(count // 10, 1))
    folder = Path(tempfile.mkdtemp(prefix="bench-finance-"))
    engine = make_engine(args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}")
    migrate(engine)
    now = datetime.now(UTC)
    start, days = month_before(local_date(now))
    last = start + timedelta(days=days - 1)
    with engine.connect() as conn:
        present = conn.execute(select(issuers.c.id).where(issuers.c.tax_code == ISSUER["tax_code"])).first()
    if present:
        print(f"reusing the receipts generated before in {engine.url.render_as_string(hide_password=True)}")
    else:
        started = time.perf_counter()
        generate(engine, folder, count, start=start, days=days, now=now)
        print(f"generated {count:,} receipts + 48 signed in {time.perf_counter() - started:.0f} s")
    with engine.connect() as conn:  # PostgreSQL: VACUUM too, so that index-only scans need no visit of the rows
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM ANALYZE")
        )
    month = FinanceFilter(date_from=start, date_to=last)
    period = Period(start, last)
    statement = make_statement(engine, start - timedelta(days=31), last, lines)
    print(f"{engine.dialect.name}, month {start} to {last}, statement of {lines:,} lines")

    def bare() -> None:
        with engine.connect() as conn:
            for _ in conn.execution_options(stream_results=True, yield_per=1000).execute(
                _query(month).order_by(documents.c.id)
            ):
                pass

    def to_csv() -> None:
        with tempfile.TemporaryFile("w", encoding="utf-8", newline="") as target:
            target.writelines(csv_chunks(documents_sheet(iter_documents(engine, month))))

    def to_xlsx() -> None:
        with tempfile.TemporaryFile() as target:
            write_xlsx(target, [documents_sheet(iter_documents(engine, month))])

    def month_summary() -> None:
        summarise(engine, period)

    def receipts_select() -> None:
        with engine.connect() as conn:
            for _ in conn.execute(waiting_query(start - timedelta(days=31), last)):
                pass

    def bank_import() -> None:
        with engine.begin() as conn:
            conn.execute(delete(bank_lines))
        started = time.perf_counter()
        import_statement(engine, "MB", statement, "sao-ke.csv", user_id=None, now=now)
        os.write(2, f"    (bank import alone {time.perf_counter() - started:.2f} s)\n".encode())

    cases: dict[str, Callable[[], None]] = {
        "bare SELECT": bare,
        "CSV export": to_csv,
        "XLSX export": to_xlsx,
        "month summary": month_summary,
        "receipts SELECT": receipts_select,
        "bank import": bank_import,
    }
    baseline = {"bank import": "receipts SELECT"}
    if args.cases:
        wanted = {name.strip() for name in args.cases.split(",")}
        wanted |= {baseline.get(name, "bare SELECT") for name in wanted}
        cases = {name: work for name, work in cases.items() if name in wanted}
    engine.dispose()  # children open their own connections
    results: dict[str, list[tuple[float, int, float]]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, work in cases.items():
            results[name].append(in_child(work))
    print(
        f"\n{'case':<17}{'× baseline (median)':>20}{'min s':>9}{'median s':>10}{'CPU s (med)':>13}{'peak RSS MiB':>14}"
    )
    for name, runs in results.items():
        base = results[baseline.get(name, "bare SELECT")]
        ratios = [run[0] / floor[0] for run, floor in zip(runs, base, strict=True)]
        print(
            f"{name:<17}{statistics.median(ratios):>20.2f}{min(r[0] for r in runs):>9.2f}"
            f"{statistics.median(r[0] for r in runs):>10.2f}{statistics.median(r[2] for r in runs):>13.2f}"
            f"{max(r[1] for r in runs) / 1024:>14.0f}"
        )
    print("(CPU s: the child's own user + system time; on PostgreSQL the server's share is not in it)")
    again = import_statement(engine, "MB", statement, "sao-ke.csv", user_id=None, now=now)
    print(f"\nthe same statement again: {again.added} lines added, {again.known:,} known")
    receipts = waiting_query(start - timedelta(days=31), last)
    print_plans(
        engine,
        {
            **summary_queries(period),
            "export (bare SELECT)": _query(month).order_by(*ORDER),
            "receipts SELECT": receipts,
        },
    )
    print("\nthe machine is shared (2 cores, 8 engineers): absolute seconds swing; the ratios hold better")


if __name__ == "__main__":
    main()
