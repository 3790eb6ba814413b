"""Helpers of the worker tests: issue invoices, make a worker, run workers until the outbox is empty."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import goods_line
from einvoice.gateway.base import Gateway
from einvoice.services.issuing import InvoiceRequest, Toolchain, issue_document
from einvoice.services.outbox import Addressing
from einvoice.services.transmission import Worker, WorkerSettings
from einvoice.storage.schema import documents, outbox_messages

TOKEN = "worker-test-token"


def make_worker(
    engine: Engine, gateway: Gateway, clock: Any, name: str = "w1", sign: Any = None, **options: Any
) -> Worker:
    """A worker with a short batch window and few attempts, its jitter seeded."""
    settings = WorkerSettings(Addressing("0100000001"), batch_window=timedelta(minutes=1), max_attempts=6, **options)
    worker = Worker(engine, gateway, settings, clock, sign=sign, name=name)
    worker.random.seed(1)
    return worker


def issue_invoices(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, series_id: int, n: int
) -> list[int]:
    """Issue ``n`` one-line invoices on ``series_id``; return their ids."""
    line = goods_line("Giấy A4", Decimal(2), Decimal(50_000), VatRate.parse("10%"), unit="Ram")
    request = InvoiceRequest(series_id, Buyer(name="CÔNG TY XYZ", tax_code="0309876543"), (line,))
    return [issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools).id for _ in range(n)]


def drain(workers: list[Worker], clock: Any, *, rounds: int = 400, step: timedelta = timedelta(seconds=3)) -> None:
    """Run the workers round-robin, moving the clock, until nothing is left to do (bounded)."""
    for _ in range(rounds):
        busy = [worker.run_once() for worker in workers]
        if not any(busy):
            clock.value += step
        with workers[0].engine.connect() as conn:
            open_messages = conn.execute(
                select(func.count()).where(outbox_messages.c.state.in_(("pending", "sent")))
            ).scalar_one()
            unpacked = conn.execute(select(func.count()).select_from(outbox_messages)).scalar_one()
        if open_messages == 0 and unpacked and not any(busy):
            return


def transmission(engine: Engine, ids: list[int]) -> list[str]:
    """The transmission state of each document, in the order of ``ids``."""
    with engine.connect() as conn:
        rows = dict(conn.execute(select(documents.c.id, documents.c.transmission).where(documents.c.id.in_(ids))).all())
    return [rows[i] for i in ids]
