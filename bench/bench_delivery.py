"""Messages delivered to the authority simulator per second beside documents issued per second, same run, interleaved.

Run: ``.venv/bin/python bench/bench_delivery.py [--rounds N] [--documents N] [postgresql+psycopg://…]``. SQLite always;
PostgreSQL too when a URL is given or ``EINVOICE_TEST_DATABASE_URL`` is set (a throwaway schema).

Each round issues ``--documents`` coded ("C") invoices in-process (one thread: build, validate, sign, commit, queue),
timing the issuing rate; then one worker drains the outbox against the simulator (in-process WSGI, answers at once):
pack, send each 200, ask its status, store the 202 and code the document. The worker keeps up when its rate of coded
documents is at least the issuing rate (ratio ≥ 1). The simulator's own work (verifying and signing as the authority)
runs in the same process, so the ratio is pessimistic for the worker.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, make_url, select

from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, authority_signer, create_simulator, judge_as_authority
from einvoice.services.issuing import Actor, InvoiceRequest, issue_document
from einvoice.services.outbox import Addressing
from einvoice.services.seed import seed_demo
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.services.transmission import Worker, WorkerSettings
from einvoice.storage.engine import make_engine, migrate, sqlite_url
from einvoice.storage.schema import documents, series, users

TOKEN = "bench-token"  # noqa: S105 -- a local simulator's credential


def now() -> datetime:
    """Wall-clock time, aware."""
    return datetime.now(UTC)


def run_backend(name: str, url: str, data_dir: Path, rounds: int, count: int) -> None:
    """Measure one backend and print its lines."""
    engine = make_engine(url)
    migrate(engine)
    seed_demo(engine, data_dir, now())
    with engine.connect() as conn:
        series_id, issuer_id = conn.execute(
            select(series.c.id, series.c.issuer_id)
            .where(series.c.kind == "invoice", series.c.symbol.like("C%"))
            .limit(1)
        ).one()
        user = conn.execute(select(users).where(users.c.role == "cashier")).mappings().one()
    actor = Actor(user["id"], user["username"], "cashier", user["counter_id"], user["full_name"], issuer_id)
    line = goods_line("Dịch vụ", Decimal(1), Decimal(100_000), VatRate.parse("8%"))
    request = InvoiceRequest(series_id, Buyer(name="CÔNG TY ABC", tax_code="0309876543"), (line,))
    tools = pkcs12_toolchain()
    authority = SimulatedAuthority(authority_signer(data_dir), judge_as_authority, answer_delay=0, clock=now)
    app = create_simulator(authority, token=TOKEN)
    gateway = HttpGateway(HttpSettings("http://tvan.bench", TOKEN), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    # Polls as soon as due: the figure is the worker's cost per document, not the polling pause (2 s by default,
    # which adds latency but no cost: a busy worker sends others meanwhile).
    settings = WorkerSettings(Addressing("0100000001"), poll_interval=timedelta(0))
    worker = Worker(engine, gateway, settings, now, sign=tools.sign)
    issue_document(engine, request, actor=actor, now=now, tools=tools)  # warm up signer, caches
    while worker.run_once():
        pass
    issuing, delivering, ratios = [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(count):
            issue_document(engine, request, actor=actor, now=now, tools=tools)
        issuing.append(count / (time.perf_counter() - started))
        started = time.perf_counter()
        while _open(engine):
            worker.run_once()
        delivering.append(count / (time.perf_counter() - started))
        ratios.append(delivering[-1] / issuing[-1])
    gateway.close()
    engine.dispose()
    median = statistics.median
    print(f"{name:<10} delivery / issuing (target ≥ 1): min {min(ratios):.2f}×  median {median(ratios):.2f}×")
    print(f"{name:<10} issued  {min(issuing):7.1f} / {median(issuing):7.1f} invoices/s (min / median)")
    print(f"{name:<10} coded   {min(delivering):7.1f} / {median(delivering):7.1f} invoices/s (send, 999, 202)")


def _open(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).where(documents.c.transmission != "accepted")).scalar_one())


def main() -> None:
    """Parse arguments, measure each backend, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url", nargs="?", default=os.environ.get("EINVOICE_TEST_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--documents", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="einvoice-bench-") as folder:
        run_backend("sqlite", sqlite_url(Path(folder)), Path(folder), args.rounds, args.documents)
        if args.postgres_url:
            schema = f"bench_{secrets.token_hex(4)}"
            admin = create_engine(args.postgres_url)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            try:
                url = make_url(args.postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
                pg_dir = Path(folder) / "pg"
                pg_dir.mkdir()
                run_backend(
                    "postgresql", url.render_as_string(hide_password=False), pg_dir, args.rounds, args.documents
                )
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
                admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
