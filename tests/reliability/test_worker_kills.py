"""The outbox worker as real processes: killed with SIGKILL at random points, and two of them on one PostgreSQL.

A real simulator process (``einvoice simulator``) stands for the T-VAN; it counts deliveries per ``MTDiep``, so "sent
exactly once" is checked on the receiving side. Loops are bounded in count and time; traffic stays on loopback.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from reliability.support import PostgresCluster, free_port
from sqlalchemy import func, select

from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.services.issuing import Actor, InvoiceRequest, issue_document
from einvoice.services.seed import seed_demo
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.storage.engine import make_engine, migrate, sqlite_url
from einvoice.storage.schema import documents, series, users

pytestmark = [pytest.mark.slow, pytest.mark.reliability]
EINVOICE = Path(sys.executable).with_name("einvoice")
TOKEN = "kill-test-token"


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[str]:
    """A simulator process answering 0.2 s after each message; yields its base URL."""
    port = free_port()
    command = [str(EINVOICE), "simulator", "--port", str(port), "--token", TOKEN, "--answer-delay", "0.2"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path / "sim")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_simulator/stats", timeout=1).read()  # noqa: S310 -- loopback
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _stats(url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/_simulator/stats", timeout=5) as response:  # noqa: S310 -- loopback
        return dict(json.loads(response.read()))


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


def _worker(database_url: str, tvan_url: str) -> subprocess.Popen[bytes]:
    command = [str(EINVOICE), "worker", "--database-url", database_url, "--tvan-url", tvan_url]
    env = {**os.environ, "EINVOICE_TVAN_TOKEN": TOKEN}
    return subprocess.Popen(
        [*command, "--idle-sleep", "0.05", "--poll-interval", "0.3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _accepted(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(documents.c.transmission == "accepted")).scalar_one())
    finally:
        engine.dispose()


def _wait_all_accepted(database_url: str, count: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while _accepted(database_url) < count and time.monotonic() < deadline:
        time.sleep(0.25)


def test_a_worker_killed_twenty_times_loses_and_duplicates_nothing(tmp_path: Path, simulator: str) -> None:
    """SIGKILL of the worker at 20 random points while it sends: every invoice coded, each delivered exactly once."""
    count = 20
    database_url = sqlite_url(tmp_path)
    _issue_coded_invoices(database_url, tmp_path, count)
    chance = random.Random(20)  # noqa: S311 -- random kill points, repeatable
    for _ in range(20):
        process = _worker(database_url, simulator)
        time.sleep(chance.uniform(0.3, 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = _worker(database_url, simulator)
    try:
        _wait_all_accepted(database_url, count)
    finally:
        final.terminate()
        final.wait(timeout=30)
    stats = _stats(simulator)
    deliveries = stats["deliveries"]
    assert isinstance(deliveries, dict)
    assert len(deliveries) == count
    assert set(deliveries.values()) == {1}
    assert _accepted(database_url) == count


def test_two_workers_on_postgresql_share_the_outbox_without_sending_twice(tmp_path: Path, simulator: str) -> None:
    """Two worker processes claim from one PostgreSQL outbox (SKIP LOCKED): every message delivered exactly once."""
    cluster = PostgresCluster()
    try:
        count = 20
        _issue_coded_invoices(cluster.url, tmp_path, count)
        workers = [_worker(cluster.url, simulator) for _ in range(2)]
        try:
            _wait_all_accepted(cluster.url, count)
        finally:
            for process in workers:
                process.terminate()
                process.wait(timeout=30)
        deliveries = _stats(simulator)["deliveries"]
        assert isinstance(deliveries, dict)
        assert len(deliveries) == count
        assert set(deliveries.values()) == {1}
        assert _accepted(cluster.url) == count
    finally:
        cluster.remove()
