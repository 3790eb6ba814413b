"""The road to the tax authority inside a test: the local simulator behind the HTTP adapter, and a worker to drain it.

The simulator's "CQT" certificate is made in the app's own data folder, as ``scripts/serve.sh`` does in development,
so the lookup pages trust its root (development only) and a coded invoice reads as intact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from public.lookup_support import sign_as_issuer
from sqlalchemy import Engine, func, select

from einvoice.domain.errors import Problem
from einvoice.gateway.authority_model import Judge
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, authority_signer, create_simulator, judge_as_authority
from einvoice.services.outbox import Addressing
from einvoice.services.transmission import Worker, WorkerSettings
from einvoice.storage.schema import outbox_items, outbox_messages

TOKEN = "authority-test-token"
#: What the simulated authority says when it refuses an invoice for the buyer's tax code (a 204 reason).
WRONG_BUYER = Problem(
    "2001", "NDHDon/NMua/MST", "Mã số thuế người mua không đúng", "the buyer's tax code is not registered"
)


def refusing(buyer_tax_code: bytes) -> Judge:
    """Return the authority's judgement, which also refuses invoices to the buyer ``buyer_tax_code`` (a 204)."""

    def judge(xml: bytes) -> list[Problem]:
        problems = judge_as_authority(xml)
        if b"<NMua>" in xml and b"<MST>" + buyer_tax_code + b"</MST>" in xml.split(b"<NMua>", 1)[1]:
            problems.append(WRONG_BUYER)
        return problems

    return judge


def simulated_authority(
    data_dir: Path, clock: Callable[[], datetime], judge: Judge = judge_as_authority
) -> SimulatedAuthority:
    """Return the simulated authority signing with a "CQT" certificate made under ``data_dir``, on ``clock``."""
    return SimulatedAuthority(authority_signer(data_dir, now=clock()), judge, answer_delay=5, clock=clock)


def transmit(engine: Engine, authority: SimulatedAuthority, clock: object, *, rounds: int = 200) -> None:
    """Run one worker against ``authority`` (moving the test clock) until every queued item has its final answer."""
    app = create_simulator(authority, token=TOKEN)
    gateway = HttpGateway(HttpSettings("http://tvan.test", TOKEN), transport=httpx.WSGITransport(app=app))  # type: ignore[arg-type]
    settings = WorkerSettings(Addressing("0100000001"), batch_window=timedelta(minutes=1))
    worker = Worker(engine, gateway, settings, clock, sign=sign_as_issuer, name="test-worker")  # type: ignore[arg-type]
    try:
        for _ in range(rounds):
            if not worker.run_once():
                clock.value += timedelta(seconds=3)  # type: ignore[attr-defined]
            if _settled(engine):
                return
    finally:
        gateway.close()
    raise AssertionError("the outbox did not drain")


def _settled(engine: Engine) -> bool:
    with engine.connect() as conn:
        unpacked = conn.execute(
            select(func.count()).select_from(outbox_items).where(outbox_items.c.message_id.is_(None))
        ).scalar_one()
        open_messages = conn.execute(
            select(func.count()).where(outbox_messages.c.state.in_(("pending", "sent")))
        ).scalar_one()
    return unpacked == 0 and open_messages == 0
