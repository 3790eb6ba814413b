"""Finance at scale: generate N documents directly in the database, then time exports beside a bare SELECT.

Run: ``.venv/bin/python bench/bench_finance.py --documents 100000 [--database-url URL] [--rounds 3]``.

Generation: one receipt is issued through the real issuing transaction (development-free no-op signer: signing is
not what is measured here), then its row is copied N times with a fresh number, lookup code, state, payment method
and cashier, and the finance ledger rows (payment method, one fee line) are written beside each copy, all in batched
INSERTs. The copies' XML is the template's: exports read the rows, not the XML.

Measured per round, interleaved, each in a forked child so that its peak RSS is its own (``wait4``):
the bare ``SELECT`` of the list's rows, the CSV export, the XLSX export, and the month's summary. The report gives
min and median seconds, the ratio of each to the bare SELECT of the same round, the child's peak RSS, and the query
plan of the summary's per-payment-method query. Numbers on a shared 2-core machine are noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from einvoice.domain.parties import Buyer
from einvoice.finance.export import csv_chunks, write_xlsx
from einvoice.finance.tables import documents_sheet
from einvoice.services import catalogue
from einvoice.services.accounts import create_user
from einvoice.services.finance import Period, summarise
from einvoice.services.finance_list import FinanceFilter, _query, iter_documents
from einvoice.services.issuing import Actor, CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import documents, finance_facts, finance_lines, series
from einvoice.xmldoc.validate import validate_document

DAY = date(2026, 3, 2)
BATCH = 5000


def generate(engine: Engine, count: int) -> None:
    """Issue one receipt for real, then copy it ``count - 1`` times with the ledger rows, in batches."""
    issuer = catalogue.create_issuer(
        engine,
        {"name": "TRUNG TÂM BENCH", "tax_code": "0109999999", "address": "Hà Nội", "budget_unit_code": "1234567"},
    )
    counter = catalogue.create_counter(engine, issuer["id"], "Quầy 1")
    row = catalogue.create_series(
        engine, issuer_id=issuer["id"], kind="receipt", template="EBL01", symbol="26TAA", counter_id=counter["id"]
    )
    catalogue.create_fee(
        engine,
        {"issuer_id": issuer["id"], "code": "LP", "name": "Lệ phí chứng thực", "amount": Decimal(2000),
         "legal_basis": "Thông tư 226/2016/TT-BTC", "unit": "Bản", "per_unit": True,
         "effective_from": date(2026, 1, 1)},
    )  # fmt: skip
    user = create_user(engine, username="bench", full_name="Thu Ngân", role="cashier", counter_id=counter["id"])
    actor = Actor(user["id"], "bench", "cashier", counter["id"], "Thu Ngân", issuer["id"])
    tools = Toolchain(validate=validate_document, sign=lambda built, issuer, moment: built.xml)
    issue_document(
        engine,
        ReceiptRequest(row["id"], Buyer(name="Nguyễn Văn An"), (CatalogueFee("LP"),)),
        actor=actor,
        now=lambda: datetime(2026, 3, 2, 2, tzinfo=UTC),
        tools=tools,
    )
    with engine.connect() as conn:
        template = dict(conn.execute(select(documents)).mappings().one())
    methods = ("TM", "CK", "TM/CK")
    for start in range(2, count + 1, BATCH):
        numbers = range(start, min(start + BATCH, count + 1))
        docs, facts, lines = [], [], []
        for n in numbers:
            amount = 2000 * (1 + n % 5)
            docs.append(
                {**template, "id": n, "number": n, "lookup_code": f"B{n:011d}", "total": Decimal(amount),
                 "total_hundredths": amount * 100, "state": "replaced" if n % 97 == 0 else "issued",
                 "issue_date": date(2026, 3, 1 + n % 28)}
            )  # fmt: skip
            facts.append({"document_id": n, "payment_method": methods[n % 3], "cashier_name": None, "line_count": 1})
            lines.append(
                {"document_id": n, "line_no": 1, "code": "LP", "name": "Lệ phí chứng thực",
                 "legal_basis": "Thông tư 226/2016/TT-BTC", "quantity": Decimal(1 + n % 5), "amount": Decimal(amount),
                 "amount_hundredths": amount * 100}
            )  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(documents), docs)
            conn.execute(insert(finance_facts), facts)
            conn.execute(insert(finance_lines), lines)
    with engine.begin() as conn:
        conn.execute(series.update().values(next_number=count + 1))


def _in_child(work: Callable[[], object]) -> tuple[float, int]:
    """Run ``work`` in a forked child; return its seconds and peak RSS in KiB."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        started = time.perf_counter()
        work()
        os.write(write, repr(time.perf_counter() - started).encode())
        os._exit(0)
    os.close(write)
    seconds = float(os.read(read, 64).decode())
    os.close(read)
    _, _, usage = os.wait4(pid, 0)
    return seconds, usage.ru_maxrss


def main() -> None:
    """Generate, measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-finance-"))
    engine = make_engine(args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}")
    migrate(engine)
    started = time.perf_counter()
    generate(engine, args.documents)
    print(f"generated {args.documents} documents in {time.perf_counter() - started:.1f} s ({engine.dialect.name})")
    month = FinanceFilter(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))

    def bare() -> None:
        with engine.connect() as conn:
            for _ in conn.execution_options(stream_results=True, yield_per=1000).execute(_query(month)):
                pass

    def to_csv() -> None:
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for chunk in csv_chunks(documents_sheet(iter_documents(engine, month))):
                sink.write(chunk)

    def to_xlsx() -> None:
        with tempfile.TemporaryFile() as target:
            write_xlsx(target, [documents_sheet(iter_documents(engine, month))])

    def summary() -> None:
        summarise(engine, Period(date(2026, 3, 1), date(2026, 3, 31)))

    cases = {"bare SELECT": bare, "CSV export": to_csv, "XLSX export": to_xlsx, "month summary": summary}
    engine.dispose()  # children open their own connections
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, work in cases.items():
            results[name].append(_in_child(work))
    print(f"{'case':<16}{'min s':>9}{'median s':>10}{'× bare (median)':>17}{'peak RSS MiB':>14}")
    for name, runs in results.items():
        ratios = [s / b for (s, _), (b, _) in zip(runs, results["bare SELECT"], strict=True)]
        print(
            f"{name:<16}{min(s for s, _ in runs):>9.2f}{statistics.median(s for s, _ in runs):>10.2f}"
            f"{statistics.median(ratios):>17.1f}{max(r for _, r in runs) / 1024:>14.0f}"
        )
    with engine.connect() as conn:
        query = (
            select(finance_facts.c.payment_method, func.count(), func.sum(documents.c.total_hundredths))
            .join(finance_facts, finance_facts.c.document_id == documents.c.id)
            .where(documents.c.issue_date >= date(2026, 3, 1), documents.c.issue_date <= date(2026, 3, 31))
            .group_by(finance_facts.c.payment_method)
        )
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN ANALYZE "
        print("\nplan of the summary per payment method:")
        for line in conn.exec_driver_sql(prefix + str(compiled)):
            print("  ", " ".join(str(part) for part in line))


if __name__ == "__main__":
    main()
