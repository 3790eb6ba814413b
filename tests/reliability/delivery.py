"""Real processes of the road to the authority for the reliability suite: the simulator, workers, and what they did."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from reliability.support import free_port
from sqlalchemy import func, select

from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.services.issuing import Actor, CatalogueFee, InvoiceRequest, ReceiptRequest, issue_document
from einvoice.services.seed import seed_demo
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.storage.engine import make_engine, migrate, sqlite_url
from einvoice.storage.schema import documents, series, users

EINVOICE = Path(sys.executable).with_name("einvoice")
TOKEN = "kill-test-token"
FINAL = ("accepted", "rejected")


@contextmanager
def simulator_process(data_dir: Path, *, answer_delay: float = 0.2, trust: bool = False) -> Iterator[str]:
    """Run ``einvoice simulator`` (judging as the authority unless ``trust``); yield its base URL."""
    port = free_port()
    command = [str(EINVOICE), "simulator", "--port", str(port), "--token", TOKEN, "--answer-delay", str(answer_delay)]
    command += ["--data-dir", str(data_dir)] + (["--trust"] if trust else [])
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            stats(url)
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def stats(url: str) -> dict[str, object]:
    """The simulator's counts: messages received and deliveries per MTDiep."""
    with urllib.request.urlopen(f"{url}/_simulator/stats", timeout=5) as response:  # noqa: S310 -- loopback
        return dict(json.loads(response.read()))


def start_worker(database_url: str, tvan_url: str, *options: str) -> subprocess.Popen[bytes]:
    """Start ``einvoice worker`` polling briskly."""
    command = [str(EINVOICE), "worker", "--database-url", database_url, "--tvan-url", tvan_url]
    env = {**os.environ, "EINVOICE_TVAN_TOKEN": TOKEN}
    return subprocess.Popen(
        [*command, "--idle-sleep", "0.05", "--poll-interval", "0.3", *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def worker_name(pid: int) -> str:
    """The name a worker process records with its leases and attempts (as ``transmission.worker_name``)."""
    return f"{socket.gethostname()}:{pid}"[:64]


def count_final(database_url: str) -> int:
    """How many documents the authority has answered for (accepted or rejected)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(documents.c.transmission.in_(FINAL))).scalar_one())
    finally:
        engine.dispose()


def wait_all_final(database_url: str, count: int, seconds: float = 180) -> None:
    """Wait until ``count`` documents have a final answer (bounded)."""
    deadline = time.monotonic() + seconds
    while count_final(database_url) < count and time.monotonic() < deadline:
        time.sleep(0.25)


@dataclass(frozen=True)
class IssuedSet:
    """Documents issued once for several tests: a database file to copy, and the data folder its issuer signs from."""

    template: Path
    data_dir: Path
    issued_at: datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """How many documents the set holds."""
        return sum(self.counts.values())

    def copy_to(self, folder: Path) -> str:
        """Copy the database into ``folder``; return its URL."""
        shutil.copyfile(self.template, folder / "einvoice.sqlite3")
        return sqlite_url(folder)


def issue_mixed_set(folder: Path, counts: dict[str, int]) -> IssuedSet:
    """Issue coded and uncoded invoices and receipts on the demo set-up, mixed; keep the database as a template."""
    work = folder / "work"
    work.mkdir()
    engine = make_engine(sqlite_url(work))
    migrate(engine)
    issued_at = datetime.now(UTC)
    seed_demo(engine, folder, issued_at)
    with engine.connect() as conn:
        by_symbol = {
            row.symbol[0]: row for row in conn.execute(select(series.c.id, series.c.symbol, series.c.issuer_id))
        }
        user = conn.execute(select(users).where(users.c.role == "cashier")).mappings().one()
    coded, uncoded, receipts = by_symbol["C"], by_symbol["K"], by_symbol["2"]
    actor = Actor(user["id"], user["username"], "cashier", user["counter_id"], user["full_name"], coded.issuer_id)
    line = goods_line("Dịch vụ tư vấn", Decimal(1), Decimal(1_000_000), VatRate.parse("8%"))
    buyer = Buyer(name="CÔNG TY ABC", tax_code="0309876543")
    requests = {
        "coded": InvoiceRequest(coded.id, buyer, (line,)),
        "uncoded": InvoiceRequest(uncoded.id, buyer, (line,)),
        "receipt": ReceiptRequest(receipts.id, Buyer(name="Lê Thị Hoa"), (CatalogueFee("LP-KS", Decimal(1)),)),
    }
    tools = pkcs12_toolchain()
    order = [kind for kind, count in counts.items() for _ in range(count)]
    random.Random(7).shuffle(order)  # noqa: S311 -- the kinds mixed as a day's issuing mixes them, repeatably
    try:
        for kind in order:
            issue_document(engine, requests[kind], actor=actor, now=lambda: datetime.now(UTC), tools=tools)
    finally:
        engine.dispose()
    template = folder / "template.sqlite3"
    with closing(sqlite3.connect(work / "einvoice.sqlite3")) as source, closing(sqlite3.connect(template)) as copy:
        source.backup(copy)
    return IssuedSet(template, folder, issued_at, dict(counts))
