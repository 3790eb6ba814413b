"""The outbox worker as real processes: killed with SIGKILL at random points, and two of them on one PostgreSQL.

A real simulator process (``einvoice simulator``, judging as the authority) stands for the T-VAN; it counts deliveries
per ``MTDiep``, so "sent exactly once" is checked on the receiving side. Loops are bounded in count and time; traffic
stays on loopback.
"""

from __future__ import annotations

import random
import signal
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from reliability.delivery import (
    IssuedSet,
    count_final,
    simulator_process,
    start_worker,
    stats,
    wait_all_final,
    worker_name,
)
from reliability.support import PostgresCluster
from sqlalchemy import Engine, func, select

from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.services.issuing import Actor, InvoiceRequest, issue_document
from einvoice.services.seed import seed_demo
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.storage.engine import make_engine, migrate
from einvoice.storage.schema import documents, outbox_attempts, outbox_messages, series, users

pytestmark = [pytest.mark.slow, pytest.mark.reliability]
#: A short lease, so that what a killed worker held is taken up again within seconds; receipts' tables due at once;
#: small batches, so that the 500 documents take many claims and the kills land while work remains (with batches of 50
#: a worker life could carry a tenth of the work, and a loaded machine finished after 9 of the 20 kills).
WORKER_OPTIONS = ("--lease", "10", "--table-at", "00:00", "--batch-size", "10")


def _wait_until_working(engine: Engine, pid: int, total: int, seconds: float = 60) -> None:
    """Wait until worker ``pid`` has logged an attempt (it claimed a batch), or every document is final (bounded)."""
    name = worker_name(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(select(outbox_attempts.c.id).where(outbox_attempts.c.worker == name).limit(1)).first():
                return
        if count_final(str(engine.url)) >= total:
            return
        time.sleep(0.05)


def test_a_worker_killed_twenty_times_delivers_500_documents_exactly_once(
    issued_500: IssuedSet, tmp_path: Path
) -> None:
    """SIGKILL of the worker 20 times, each at a random point of its work: 0 lost, 0 delivered twice, all final."""
    url = issued_500.copy_to(tmp_path)
    engine = make_engine(url)
    chance = random.Random(20)  # noqa: S311 -- random kill points, repeatable
    mid_work = 0
    try:
        # Final answers two seconds after each message: the work spans the kills rather than ending in the first few
        # (with one second, a loaded machine once finished the work after 8 of the 20 kills).
        with simulator_process(tmp_path / "sim", answer_delay=2.0) as simulator:
            for _ in range(20):
                process = start_worker(url, simulator, *WORKER_OPTIONS)
                _wait_until_working(engine, process.pid, issued_500.total)
                time.sleep(chance.uniform(0, 0.4))
                mid_work += count_final(url) < issued_500.total
                process.send_signal(signal.SIGKILL)
                process.wait()
            final = start_worker(url, simulator, *WORKER_OPTIONS)
            try:
                wait_all_final(url, issued_500.total)
            finally:
                final.terminate()
                final.wait(timeout=30)
            deliveries = stats(simulator)["deliveries"]
        with engine.connect() as conn:
            messages = set(conn.execute(select(outbox_messages.c.mtdiep)).scalars())
            accepted = conn.execute(select(func.count()).where(documents.c.transmission == "accepted")).scalar_one()
    finally:
        engine.dispose()
    assert isinstance(deliveries, dict)
    assert set(deliveries) == messages
    assert set(deliveries.values()) == {1}
    assert accepted == issued_500.total
    assert mid_work >= 10, f"only {mid_work} of 20 kills came before the work was done"


def _issue_coded_invoices(url: str, data_dir: Path, count: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    seed_demo(engine, data_dir, datetime.now(UTC))
    with engine.connect() as conn:
        query = select(series.c.id, series.c.issuer_id).where(series.c.kind == "invoice", series.c.symbol.like("C%"))
        series_id, issuer_id = conn.execute(query.limit(1)).one()
        user = conn.execute(select(users).where(users.c.role == "cashier")).mappings().one()
    actor = Actor(user["id"], user["username"], "cashier", user["counter_id"], user["full_name"], issuer_id)
    line = goods_line("Dịch vụ tư vấn", Decimal(1), Decimal(1_000_000), VatRate.parse("8%"))
    request = InvoiceRequest(series_id, Buyer(name="CÔNG TY ABC", tax_code="0309876543"), (line,))
    tools = pkcs12_toolchain()
    try:
        for _ in range(count):
            issue_document(engine, request, actor=actor, now=lambda: datetime.now(UTC), tools=tools)
    finally:
        engine.dispose()


def test_two_workers_on_postgresql_share_the_outbox_without_sending_twice(tmp_path: Path) -> None:
    """Two worker processes claim from one PostgreSQL outbox (SKIP LOCKED): every message delivered exactly once."""
    cluster = PostgresCluster()
    try:
        count = 20
        _issue_coded_invoices(cluster.url, tmp_path, count)
        with simulator_process(tmp_path / "sim") as simulator:
            workers = [start_worker(cluster.url, simulator) for _ in range(2)]
            try:
                wait_all_final(cluster.url, count)
            finally:
                for process in workers:
                    process.terminate()
                    process.wait(timeout=30)
            deliveries = stats(simulator)["deliveries"]
        assert isinstance(deliveries, dict)
        assert len(deliveries) == count
        assert set(deliveries.values()) == {1}
        assert count_final(cluster.url) == count
    finally:
        cluster.remove()
