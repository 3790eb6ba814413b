"""Invoices delivered to the authority simulator and coded per second, beside invoices issued per second, same run.

Run: ``.venv/bin/python bench/bench_delivery.py [--rounds N] [--documents N] [--judge] [--sqlite-only]
[postgresql+psycopg://…]``.
SQLite always; PostgreSQL too: the URL given, else ``EINVOICE_TEST_DATABASE_URL`` (a throwaway schema in it), else a
throwaway cluster of Debian's server started for the run (as root, like ``scripts/test.sh``).

Each round, on each database in turn (interleaved, so a swing of the shared CPU hits both): issue ``--documents``
coded ("C") invoices in-process, one thread (build, validate, sign, commit, queue) — the baseline; then one worker
drains the outbox (pack, claim a batch, send each 200, ask its status, store the 202, code the document), timed until
every invoice is coded. The worker keeps up when its rate is at least the issuing rate (ratio ≥ 1). Beside the rates,
the CPU time of this process per invoice in each phase (the simulator's process apart): what the worker costs us,
less sensitive than wall time to the other loads of a shared machine.

The simulator runs in its own process (``einvoice simulator``), as the T-VAN is another machine; the worker talks to
it over loopback HTTP, four calls at once. By default the simulator codes without judging the invoices (``--trust``):
its judging (reading-profile validation and signature check, several milliseconds of *its* CPU per invoice, single
threaded) would otherwise measure the simulator, not our worker, on a 2-core machine. ``--judge`` turns it back on.
At the end the simulator's count proves that every message arrived exactly once.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, make_url, select

from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.services.issuing import Actor, InvoiceRequest, issue_document
from einvoice.services.outbox import Addressing
from einvoice.services.seed import seed_demo
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.services.transmission import Worker, WorkerSettings
from einvoice.storage.engine import make_engine, migrate, sqlite_url
from einvoice.storage.schema import documents, series, users

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
# The reliability suite's real processes: the simulator, and a throwaway PostgreSQL cluster.
from reliability.delivery import TOKEN, simulator_process, stats
from reliability.support import PostgresCluster


def now() -> datetime:
    """Wall-clock time, aware."""
    return datetime.now(UTC)


@dataclass
class Backend:
    """One database under test: its engine, the request to issue, the worker, and the figures of each round."""

    name: str
    engine: Engine
    issue: Any
    worker: Worker
    issued: list[float] = field(default_factory=list)
    coded: list[float] = field(default_factory=list)
    issuing_cpu: list[float] = field(default_factory=list)
    coding_cpu: list[float] = field(default_factory=list)

    def round(self, count: int) -> None:
        """Issue ``count`` invoices, then let the worker code them all; record both rates and our CPU per invoice."""
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            self.issue()
        self.issued.append(count / (time.perf_counter() - started))
        self.issuing_cpu.append((time.process_time() - cpu) / count)
        started, cpu = time.perf_counter(), time.process_time()
        while _uncoded(self.engine):
            self.worker.run_once()
        self.worker.finish()
        self.coded.append(count / (time.perf_counter() - started))
        self.coding_cpu.append((time.process_time() - cpu) / count)


def prepare(name: str, url: str, data_dir: Path, simulator: str) -> Backend:
    """Migrate and seed a database; return its backend with a warmed-up issuer and worker."""
    engine = make_engine(url)
    migrate(engine)
    seed_demo(engine, data_dir, now())
    with engine.connect() as conn:
        query = select(series.c.id, series.c.issuer_id).where(series.c.kind == "invoice", series.c.symbol.like("C%"))
        series_id, issuer_id = conn.execute(query.limit(1)).one()
        user = conn.execute(select(users).where(users.c.role == "cashier")).mappings().one()
    actor = Actor(user["id"], user["username"], "cashier", user["counter_id"], user["full_name"], issuer_id)
    line = goods_line("Dịch vụ", Decimal(1), Decimal(100_000), VatRate.parse("8%"))
    request = InvoiceRequest(series_id, Buyer(name="CÔNG TY ABC", tax_code="0309876543"), (line,))
    tools = pkcs12_toolchain()

    def issue() -> None:
        issue_document(engine, request, actor=actor, now=now, tools=tools)

    gateway = HttpGateway(HttpSettings(simulator, TOKEN))
    # Polls as soon as due: the figure is the worker's cost per invoice, not the polling pause (2 s by default,
    # which adds latency but no cost: a busy worker sends others meanwhile).
    settings = WorkerSettings(Addressing("0100000001"), poll_interval=timedelta(0))
    backend = Backend(name, engine, issue, Worker(engine, gateway, settings, now, sign=tools.sign))
    backend.round(5)  # warm up signer, caches, connections
    for figures in (backend.issued, backend.coded, backend.issuing_cpu, backend.coding_cpu):
        figures.clear()
    return backend


def _uncoded(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(documents.c.transmission != "accepted")).scalar_one())


@contextmanager
def postgres_url(given: str | None) -> Iterator[str | None]:
    """Yield a URL of an empty PostgreSQL schema: in ``given``, else in a throwaway cluster; None if neither works."""
    with ExitStack() as stack:
        if not given:
            try:
                cluster = PostgresCluster()
            except BaseException as error:  # pytest's skip outside pytest: not root, or no server
                print(f"postgresql skipped: {error}")
                yield None
                return
            stack.callback(cluster.remove)
            given = cluster.url
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(given)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            yield make_url(given).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()


def report(backend: Backend) -> None:
    """Print one backend's figures, the ratio first."""
    ratios = [coded / issued for coded, issued in zip(backend.coded, backend.issued, strict=True)]
    median, name = statistics.median, backend.name
    print(f"{name:<10} delivered / issued (target ≥ 1): min {min(ratios):.2f}×  median {median(ratios):.2f}×")
    print(f"{name:<10} issued    {min(backend.issued):7.1f} / {median(backend.issued):7.1f} invoices/s (min / median)")
    print(f"{name:<10} delivered {min(backend.coded):7.1f} / {median(backend.coded):7.1f} invoices/s (200, 999, 202)")
    cpu = [issuing / coding for coding, issuing in zip(backend.coding_cpu, backend.issuing_cpu, strict=True)]
    print(f"{name:<10} our CPU per invoice, issuing / delivering (≥ 1): min {min(cpu):.2f}×  median {median(cpu):.2f}×")
    issuing_ms, coding_ms = 1000 * median(backend.issuing_cpu), 1000 * median(backend.coding_cpu)
    print(f"{name:<10} our CPU per invoice: issuing {issuing_ms:.1f} ms, delivering {coding_ms:.1f} ms (median)")


def main() -> None:
    """Parse arguments, measure both databases in interleaved rounds, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url", nargs="?", default=os.environ.get("EINVOICE_TEST_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--judge", action="store_true", help="the simulator judges every invoice as the authority")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL (bench_versions.py uses it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="einvoice-bench-") as folder, ExitStack() as stack:
        base = Path(folder)
        simulator = stack.enter_context(simulator_process(base / "sim", answer_delay=0, trust=not args.judge))
        (base / "sqlite").mkdir()
        backends = [prepare("sqlite", sqlite_url(base / "sqlite"), base / "sqlite", simulator)]
        pg = None if args.sqlite_only else stack.enter_context(postgres_url(args.postgres_url))
        if pg:
            (base / "pg").mkdir()
            backends.append(prepare("postgresql", pg, base / "pg", simulator))
        for _ in range(args.rounds):
            for backend in backends:
                backend.round(args.documents)
        deliveries = stats(simulator)["deliveries"]
        for backend in backends:
            backend.worker.close()
            backend.engine.dispose()
        print(f"{args.rounds} rounds of {args.documents} invoices; simulator {'judging' if args.judge else 'trusting'}")
        for backend in backends:
            report(backend)
        once = sum(1 for count in deliveries.values() if count == 1)
        print(f"simulator: {len(deliveries)} messages received, {once} exactly once")


if __name__ == "__main__":
    sys.exit(main())
