"""Gapless numbering under concurrency: separate processes, separate connections, injected failures."""

from __future__ import annotations

import multiprocessing
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from einvoice.domain.parties import Buyer
from einvoice.domain.totals import fee_line
from einvoice.services.audit import verify_audit
from einvoice.services.issuing import Actor, IssueHooks, ReceiptRequest, Toolchain, issue_document
from einvoice.storage.engine import make_engine
from einvoice.storage.schema import documents
from einvoice.xmldoc.validate import validate_document

#: Processes × issues per process, per backend (the brief's sizes).
SIZES = {"sqlite": (4, 100), "postgresql": (8, 200)}
FAILURE_RATE = 0.10
#: One real second is four hours of document time, so a run crosses at least one Hà Nội midnight.
SPEED = 4 * 3600
# 21:00 in Hà Nội: midnight comes 0.75 s (real) after the start, so workers slow to start on a loaded machine still
# issue before it, and a run lasts seconds, so it crosses it (at 23:30 a 0.125 s start-up put every issue after it).
EPOCH = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


class InjectedFailure(Exception):
    """The failure a worker injects after the number is taken."""


def _worker(url: str, series_id: int, actor: Actor, count: int, seed: int, started: float) -> tuple[int, int]:
    """Issue ``count`` one-line receipts, failing ~10 % after the number is taken; return (issued, failed)."""
    engine = make_engine(url)
    rng = random.Random(seed)  # noqa: S311 -- test data
    line = fee_line("Lệ phí chứng thực bản sao", Decimal(2000), legal_basis="TT 226/2016/TT-BTC")
    request = ReceiptRequest(series_id, Buyer(name="Nguyễn Văn An"), lines=(line,))
    tools = Toolchain(validate=validate_document, sign=lambda built, issuer, moment: built.xml)

    def now() -> datetime:
        return EPOCH + timedelta(seconds=(time.time() - started) * SPEED)

    def maybe_fail(number: int) -> None:
        if rng.random() < FAILURE_RATE:
            raise InjectedFailure(number)

    issued = failed = 0
    try:
        for _ in range(count):
            try:
                issue_document(engine, request, actor=actor, now=now, tools=tools, hooks=IssueHooks(maybe_fail))
                issued += 1
            except InjectedFailure:
                failed += 1
    finally:
        engine.dispose()
    return issued, failed


@pytest.mark.slow
def test_concurrent_issuing_is_gapless(engine: Engine, world: dict[str, Any]) -> None:
    """Concurrent processes with 10 % failing transactions commit exactly 1..N, with dates never decreasing."""
    processes, per_process = SIZES[engine.dialect.name]
    url = engine.url.render_as_string(hide_password=False)
    args = [
        (url, world["receipts"]["id"], world["cashier"], per_process, seed, time.time()) for seed in range(processes)
    ]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.starmap(_worker, args)
    issued = sum(done for done, _ in results)
    failed = sum(fail for _, fail in results)
    assert issued + failed == processes * per_process
    assert failed > 0
    with engine.connect() as conn:
        rows = conn.execute(select(documents.c.number, documents.c.issue_date).order_by(documents.c.number)).all()
    assert [number for number, _ in rows] == list(range(1, issued + 1))
    dates = [issue_date for _, issue_date in rows]
    assert dates == sorted(dates)
    assert len(set(dates)) > 1  # the run did cross a date in Hà Nội
    assert verify_audit(engine) == []
