"""Receipts issued per second in-process beside the floor, on SQLite and PostgreSQL, then through HTTP; same run.

Run: ``.venv/bin/python bench/bench_issue.py [--rounds N] [--requests N] [postgresql+psycopg://…]``. SQLite always;
PostgreSQL too when a URL is given or ``EINVOICE_TEST_DATABASE_URL`` is set (a throwaway schema is made and dropped).
A PostgreSQL on this machine is reached over its Unix socket (``storage.engine.over_local_socket``).

First, interleaved in each round: the **floor** (one RSA-2048 signature with the issuer's key plus one durable SQLite
commit of a row the size of a signed receipt: what no issuing can go below), then the in-process **ceiling** on each
engine (build + validate + sign + commit of a 1-line receipt, one thread, no HTTP; long-lived objects frozen out of the
GC, as in a worker), with the statements one issue sends. Ratios come first: issuing/floor (target ≥ 50 %) and
PostgreSQL/SQLite (target ≥ 70 %), per round, min and median. Then per engine: the ceiling again beside HTTP at full
load (``--clients`` keep-busy clients) and HTTP open-loop at half the rate just reached; targets: HTTP max ≥ 50 % of
the ceiling, and p99 < 50 ms at half the maximum rate. Loopback only; every loop is bounded.

The ceiling needs one core, the HTTP run all of them (two workers and the clients), so another busy process hurts
only the HTTP figures. Before each round the bench waits (a bounded while) for the machine to be idle and reports how
busy it found it: a run with busy rounds is flagged, its ratio says little about the service.
"""

from __future__ import annotations

import argparse
import hashlib
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

from sqlalchemy import create_engine, event, make_url, select, text
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
from einvoice.services.toolchain import SignerCache, pkcs12_toolchain
from einvoice.storage.engine import make_engine, over_local_socket, sqlite_url, writing
from einvoice.storage.schema import issuers
from einvoice.web.app import settle_memory


def ceiling(setup: Setup, count: int) -> tuple[float, float]:
    """Issue ``count`` 1-line receipts in-process, one thread; return receipts per second and statements per issue."""
    engine = make_engine(setup.url)
    tools = pkcs12_toolchain()
    line = fee_line(BODY_LINE["name"], Decimal(2000), legal_basis=BODY_LINE["legal_basis"])
    request = ReceiptRequest(setup.series_id, Buyer(name="Nguyễn Văn An"), lines=(line,))

    def now() -> datetime:
        return datetime.now(UTC)

    issue_document(engine, request, actor=setup.actor, now=now, tools=tools)  # load the signer, warm the caches
    statements = [0]

    def count_statement(*_: object) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count_statement)
    settle_memory()  # as the workers do before their first request: a fair ceiling has no full-GC pauses either
    started = time.perf_counter()
    for _ in range(count):
        issue_document(engine, request, actor=setup.actor, now=now, tools=tools)
    rate = count / (time.perf_counter() - started)
    engine.dispose()
    return rate, statements[0] / count


def floor(setup: Setup, count: int) -> float:
    """Return the rate of one RSA-2048 signature with the issuer's key plus one durable SQLite commit of a ~6 KB row."""
    engine = make_engine(setup.url)
    with engine.connect() as conn:
        issuer = conn.execute(select(issuers).where(issuers.c.id == setup.actor.issuer_id)).mappings().one()
    engine.dispose()
    signer = SignerCache().signer_for(issuer)
    scratch = make_engine(sqlite_url(setup.data_dir).replace("einvoice.sqlite3", "floor.sqlite3"))
    with writing(scratch) as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS floor (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)"))
    payload = secrets.token_bytes(6000)  # about a signed 1-line receipt
    settle_memory()
    started = time.perf_counter()
    for _ in range(count):
        signer.sign_digest(hashlib.sha256(payload).digest())
        with writing(scratch) as conn:
            conn.execute(text("INSERT INTO floor (payload) VALUES (:payload)"), {"payload": payload})
    rate = count / (time.perf_counter() - started)
    scratch.dispose()
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


def busy_line(prefix: str, busy: list[float]) -> str:
    """Return the line saying how busy the machine was before the rounds, flagging disturbed ones."""
    disturbed = sum(share > QUIET for share in busy)
    return f"{prefix}machine busy before rounds: max {max(busy):.0%} of all cores" + (
        f" — {disturbed} of {len(busy)} rounds DISTURBED by other processes" if disturbed else " (quiet)"
    )


def ratios(numerators: list[float], denominators: list[float]) -> str:
    """Return min and median of the per-round ratios of two interleaved series, as percentages."""
    per_round = [n / d for n, d in zip(numerators, denominators, strict=True)]
    return f"min {min(per_round):4.0%}  median {statistics.median(per_round):4.0%}"


def in_process(setups: dict[str, Setup], rounds: int, requests: int) -> dict[str, list[float]]:
    """Measure the floor and each engine's ceiling, interleaved; print ratios first; return the ceilings."""
    floors: list[float] = []
    ceilings: dict[str, list[float]] = {name: [] for name in setups}
    statements: dict[str, float] = {}
    busy = []
    for _ in range(rounds):
        busy.append(wait_for_quiet())
        floors.append(floor(setups["sqlite"], requests))
        for name, setup in setups.items():
            rate, statements[name] = ceiling(setup, requests)
            ceilings[name].append(rate)
    for name, rates in ceilings.items():
        print(f"{name:<10} issuing / floor          {ratios(rates, floors)}   (target ≥ 50 %)")
    if "postgresql" in ceilings:
        print(
            f"postgresql / sqlite in-process     {ratios(ceilings['postgresql'], ceilings['sqlite'])}   (target ≥ 70 %)"
        )
    print(f"{'floor':<10} RSA-2048 + durable commit {min(floors):7.1f} / {statistics.median(floors):7.1f} per second")
    for name, rates in ceilings.items():
        print(
            f"{name:<10} in-process ceiling        {min(rates):7.1f} / {statistics.median(rates):7.1f} receipts/s"
            f"   {statements[name]:.0f} statements per issue"
        )
    print(busy_line("", busy))
    return ceilings


def run_backend(name: str, setup: Setup, rounds: int, requests: int, clients: int) -> None:
    """Measure one backend through HTTP beside its in-process ceiling and print its lines."""
    port = free_port()
    server = start_gunicorn(setup, port)
    try:
        _post(port, setup, _body(setup))  # warm both workers' runtimes
        _post(port, setup, _body(setup))
        ceilings, maxima, max_latencies, paced_latencies, busy = [], [], [], [], []
        for _ in range(rounds):
            busy.append(wait_for_quiet())
            ceilings.append(ceiling(setup, requests)[0])
            rate, latencies = http_max(port, setup, requests, clients)
            maxima.append(rate)
            max_latencies += latencies
            paced_latencies += http_paced(port, setup, requests, rate / 2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    verdict_p99 = "ok" if percentile(paced_latencies, 0.99) < 50 else "ABOVE TARGET"
    print(f"{name:<10} HTTP / ceiling           {ratios(maxima, ceilings)}   (target ≥ 50 %)", end="; ")
    print(f"p99 at half rate: {verdict_p99} (target < 50 ms)")
    print(f"{name:<10} in-process ceiling        {min(ceilings):7.1f} / {statistics.median(ceilings):7.1f} receipts/s")
    print(
        f"{name:<10} HTTP, {clients} clients          {min(maxima):7.1f} / {statistics.median(maxima):7.1f} receipts/s"
        f"   p50 {percentile(max_latencies, 0.5):6.1f} ms  p99 {percentile(max_latencies, 0.99):6.1f} ms"
    )
    print(
        f"{name:<10} HTTP at half max rate     {'':>17}"
        f"   p50 {percentile(paced_latencies, 0.5):6.1f} ms  p99 {percentile(paced_latencies, 0.99):6.1f} ms"
    )
    print(busy_line(f"{name:<10} ", busy))


def main() -> None:
    """Parse arguments, prepare each backend, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url", nargs="?", default=os.environ.get("EINVOICE_TEST_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=150, help="requests per measurement (bounded)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-http", action="store_true", help="measure in-process only")
    args = parser.parse_args()
    print("backend    measure                   min / median             latency or ratio")
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(args.postgres_url) if args.postgres_url else None
    with tempfile.TemporaryDirectory(prefix="einvoice-bench-") as folder:
        data_dir = Path(folder)
        setups = {"sqlite": prepare(sqlite_url(data_dir), data_dir)}
        try:
            if admin is not None:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
                url = make_url(over_local_socket(args.postgres_url))
                url = url.update_query_dict({"options": f"-csearch_path={schema}"})
                pg_dir = data_dir / "pg"
                pg_dir.mkdir()
                setups["postgresql"] = prepare(url.render_as_string(hide_password=False), pg_dir)
                print(f"postgresql over {'its Unix socket' if url.host is None else 'TCP ' + str(url.host)}")
            in_process(setups, args.rounds, args.requests)
            if not args.no_http:
                for name, setup in setups.items():
                    run_backend(name, setup, args.rounds, args.requests, args.clients)
        finally:
            if admin is not None:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
