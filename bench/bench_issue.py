"""Receipts issued per second through HTTP (gunicorn, 2 workers) beside the in-process ceiling, same run, interleaved.

Run: ``.venv/bin/python bench/bench_issue.py [--rounds N] [--requests N] [postgresql+psycopg://…]``. SQLite always;
PostgreSQL too when a URL is given or ``EINVOICE_TEST_DATABASE_URL`` is set (a throwaway schema is made and dropped).

Each round measures, one after the other: the in-process ceiling (build + validate + sign + commit of a 1-line
receipt, one thread, no HTTP; long-lived objects frozen out of the GC, as in a worker), then HTTP at full load
(``--clients`` keep-busy clients), then HTTP open-loop at half the rate just reached. The report gives min and median
over rounds; targets: HTTP max ≥ 50 % of the ceiling, and p99 < 50 ms at half the maximum rate. Loopback only; every
loop is bounded.

The ceiling needs one core, the HTTP run all of them (two workers and the clients), so another busy process hurts
only the HTTP figures. Before each round the bench waits (a bounded while) for the machine to be idle and reports how
busy it found it: a run with busy rounds is flagged, its ratio says little about the service.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, make_url
from support import (
    BODY_LINE,
    QUIET,
    Setup,
    free_port,
    http_paced,
    percentile,
    prepare,
    start_gunicorn,
    wait_for_quiet,
)
from support import post_receipt as _post
from support import receipt_body as _body

from einvoice.domain.parties import Buyer
from einvoice.domain.totals import fee_line
from einvoice.services.issuing import ReceiptRequest, issue_document
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.storage.engine import make_engine, sqlite_url
from einvoice.web.app import settle_memory


def ceiling(setup: Setup, count: int) -> float:
    """Issue ``count`` 1-line receipts in-process, one thread; return receipts per second."""
    engine = make_engine(setup.url)
    tools = pkcs12_toolchain()
    line = fee_line(BODY_LINE["name"], Decimal(2000), legal_basis=BODY_LINE["legal_basis"])
    request = ReceiptRequest(setup.series_id, Buyer(name="Nguyễn Văn An"), lines=(line,))

    def now() -> datetime:
        return datetime.now(UTC)

    issue_document(engine, request, actor=setup.actor, now=now, tools=tools)  # load the signer, warm the caches
    settle_memory()  # as the workers do before their first request: a fair ceiling has no full-GC pauses either
    started = time.perf_counter()
    for _ in range(count):
        issue_document(engine, request, actor=setup.actor, now=now, tools=tools)
    rate = count / (time.perf_counter() - started)
    engine.dispose()
    return rate


def http_max(port: int, setup: Setup, count: int, clients: int) -> tuple[float, list[float]]:
    """Send ``count`` requests from ``clients`` busy threads; return receipts per second and latencies."""
    body, latencies, lock = _body(setup), [], threading.Lock()
    remaining = iter(range(count))

    def client() -> None:
        for _ in remaining:
            elapsed = _post(port, setup, body)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started), latencies


def run_backend(name: str, setup: Setup, rounds: int, requests: int, clients: int) -> None:
    """Measure one backend and print its lines."""
    port = free_port()
    server = start_gunicorn(setup, port)
    try:
        _post(port, setup, _body(setup))  # warm both workers' runtimes
        _post(port, setup, _body(setup))
        ceilings, maxima, max_latencies, paced_latencies, busy = [], [], [], [], []
        for _ in range(rounds):
            busy.append(wait_for_quiet())
            ceilings.append(ceiling(setup, requests))
            rate, latencies = http_max(port, setup, requests, clients)
            maxima.append(rate)
            max_latencies += latencies
            paced_latencies += http_paced(port, setup, requests, rate / 2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    best_ratio = statistics.median(maxima) / statistics.median(ceilings)
    print(f"{name:<10} in-process ceiling        {min(ceilings):7.1f} / {statistics.median(ceilings):7.1f} receipts/s")
    print(
        f"{name:<10} HTTP, {clients} clients          {min(maxima):7.1f} / {statistics.median(maxima):7.1f} receipts/s"
        f"   p50 {percentile(max_latencies, 0.5):6.1f} ms  p99 {percentile(max_latencies, 0.99):6.1f} ms"
    )
    print(
        f"{name:<10} HTTP at half max rate     {'':>17}"
        f"   p50 {percentile(paced_latencies, 0.5):6.1f} ms  p99 {percentile(paced_latencies, 0.99):6.1f} ms"
    )
    verdict_rate = "ok" if best_ratio >= 0.5 else "BELOW TARGET"
    verdict_p99 = "ok" if percentile(paced_latencies, 0.99) < 50 else "ABOVE TARGET"
    print(f"{name:<10} HTTP/ceiling (medians) {best_ratio:6.0%} ({verdict_rate}, target ≥ 50 %)", end="; ")
    print(f"p99 at half rate: {verdict_p99} (target < 50 ms)")
    disturbed = sum(share > QUIET for share in busy)
    print(
        f"{name:<10} machine busy before rounds: max {max(busy):.0%} of all cores"
        + (f" — {disturbed} of {rounds} rounds DISTURBED by other processes" if disturbed else " (quiet)")
    )


def main() -> None:
    """Parse arguments, prepare each backend, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url", nargs="?", default=os.environ.get("EINVOICE_TEST_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=150, help="requests per measurement (bounded)")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print("backend    measure                   min / median             latency")
    with tempfile.TemporaryDirectory(prefix="einvoice-bench-") as folder:
        data_dir = Path(folder)
        run_backend("sqlite", prepare(sqlite_url(data_dir), data_dir), args.rounds, args.requests, args.clients)
        if args.postgres_url:
            schema = f"bench_{secrets.token_hex(4)}"
            admin = create_engine(args.postgres_url)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            try:
                url = make_url(args.postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
                setup = prepare(url.render_as_string(hide_password=False), data_dir)
                run_backend("postgresql", setup, args.rounds, args.requests, args.clients)
            finally:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
                admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
