"""Two series issuing in parallel on PostgreSQL against the same two processes sharing one series, interleaved.

Run: ``.venv/bin/python bench/bench_series_parallel.py [--rounds N] [--receipts N] [postgresql+psycopg://…]`` (the
URL defaults to ``EINVOICE_TEST_DATABASE_URL``; a throwaway schema is made and dropped; a server on this machine is
reached over its Unix socket).

A series is numbered under a row lock held from taking the number to the commit (``SELECT … FOR UPDATE``), so
issuers that share one series wait for each other, while separate series (one per counter, as agencies set them up)
should scale with the cores. Each round runs two worker processes (each with its own engine and signer, as two
gunicorn workers or two hosts would) issuing 1-fee receipts in-process: once both on series A, once one on A and one
on B. The figure is the ratio of the two rates (target ≥ 1.6× on 2 cores), min and median over interleaved rounds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, make_url, select

from einvoice.domain.parties import Buyer
from einvoice.domain.totals import fee_line
from einvoice.services import catalogue
from einvoice.services.issuing import Actor, ReceiptRequest, issue_document
from einvoice.services.seed import seed_demo
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.storage.engine import make_engine, migrate, over_local_socket
from einvoice.storage.schema import series, users


def prepare(url: str, data_dir: Path) -> tuple[int, int, Actor]:
    """Seed the demo set-up plus a second receipt series of the same counter; return both series and the cashier."""
    engine = make_engine(url)
    migrate(engine)
    seed_demo(engine, data_dir, datetime.now(UTC))
    with engine.connect() as conn:
        first = conn.execute(select(series).where(series.c.kind == "receipt")).mappings().one()
        user = conn.execute(select(users).where(users.c.role == "cashier")).mappings().one()
    other_template = "EBL02" if first["template"] != "EBL02" else "EBL01"
    second = catalogue.create_series(
        engine,
        issuer_id=first["issuer_id"],
        kind="receipt",
        template=other_template,
        symbol=first["symbol"],
        counter_id=first["counter_id"],
    )
    engine.dispose()
    actor = Actor(user["id"], user["username"], "cashier", user["counter_id"], user["full_name"], first["issuer_id"])
    return first["id"], second["id"], actor


def worker(url: str, series_id: int, actor: Actor, count: int, start: multiprocessing.synchronize.Barrier) -> None:
    """Issue ``count`` receipts on ``series_id`` once every worker is ready."""
    engine = make_engine(url)
    tools = pkcs12_toolchain()
    line = fee_line("Lệ phí chứng thực bản sao từ bản chính", Decimal(2000), legal_basis="TT 226/2016")
    request = ReceiptRequest(series_id, Buyer(name="Nguyễn Văn An"), lines=(line,))

    def now() -> datetime:
        return datetime.now(UTC)

    issue_document(engine, request, actor=actor, now=now, tools=tools)  # load the signer, warm the caches
    start.wait()
    for _ in range(count):
        issue_document(engine, request, actor=actor, now=now, tools=tools)
    engine.dispose()


def rate(url: str, series_ids: tuple[int, int], actor: Actor, count: int) -> float:
    """Run two workers on ``series_ids`` (one each); return receipts per second of both together."""
    start = multiprocessing.Barrier(3)
    processes = [
        multiprocessing.Process(target=worker, args=(url, series_id, actor, count, start)) for series_id in series_ids
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    for process in processes:
        process.join(timeout=600)
        if process.exitcode != 0:
            raise RuntimeError(f"a worker failed with exit code {process.exitcode}")
    return 2 * count / (time.perf_counter() - began)


def main() -> None:
    """Prepare a schema, measure interleaved rounds, report min and median of each and of the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("postgres_url", nargs="?", default=os.environ.get("EINVOICE_TEST_DATABASE_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--receipts", type=int, default=100, help="receipts per worker per measurement")
    args = parser.parse_args()
    if not args.postgres_url:
        parser.error("give a PostgreSQL URL or set EINVOICE_TEST_DATABASE_URL")
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(args.postgres_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = make_url(over_local_socket(args.postgres_url)).update_query_dict({"options": f"-csearch_path={schema}"})
        url_text = url.render_as_string(hide_password=False)
        with tempfile.TemporaryDirectory(prefix="einvoice-bench-") as folder:
            first, second, actor = prepare(url_text, Path(folder))
            shared, separate, ratios = [], [], []
            for _ in range(args.rounds):
                shared.append(rate(url_text, (first, first), actor, args.receipts))
                separate.append(rate(url_text, (first, second), actor, args.receipts))
                ratios.append(separate[-1] / shared[-1])
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    median = statistics.median
    print(f"two series / one series (target ≥ 1.6×): min {min(ratios):.2f}×  median {median(ratios):.2f}×")
    print(f"two workers, one series   {min(shared):7.1f} / {median(shared):7.1f} receipts/s (min / median)")
    print(f"two workers, two series   {min(separate):7.1f} / {median(separate):7.1f} receipts/s (min / median)")


if __name__ == "__main__":
    sys.exit(main())
