"""The road to the tax authority inside a test: the local simulator behind the HTTP adapter, and a worker to drain it.

The simulator's "CQT" certificate is made in the app's own data folder, as ``scripts/serve.sh`` does in development,
so the lookup pages trust its root (development only) and a coded invoice reads as intact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from public.lookup_support import sign_as_issuer
from sqlalchemy import Engine, func, select

from einvoice.domain.errors import Problem
from einvoice.gateway.authority_model import Judge
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, authority_signer, create_simulator, judge_as_authority
from einvoice.services.outbox import Addressing
from einvoice.services.transmission import Worker, WorkerSettings
from einvoice.storage.schema import coded_documents, outbox_items, outbox_messages

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


def invoice_body(world: dict[str, Any], buyer_tax_code: str = "0309876543") -> dict[str, Any]:
    """Return the body of an invoice of ten reams of paper to ``buyer_tax_code`` in the world's invoice series."""
    return {
        "series_id": world["invoices"]["id"],
        "buyer": {"name": "CÔNG TY CỔ PHẦN XYZ", "tax_code": buyer_tax_code, "address": "12 Nguyễn Huệ"},
        "lines": [{"name": "Giấy A4", "quantity": "10", "unit_price": 50000, "vat_rate": "10%", "unit": "Ram"}],
    }


def issue(app: Flask, auth: Any, key: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Issue ``body`` as a ``kind`` through the API as the cashier (idempotency ``key``); return the answer."""
    answer = app.test_client().post(f"/api/v1/{kind}s", json=body, headers=auth("cashier", key))
    assert answer.status_code == 201, answer.get_json()
    issued: dict[str, Any] = answer.get_json()
    return issued


def coded_record(engine: Engine, document_id: int) -> tuple[bytes, str]:
    """Return the coded XML (the document of record) and the authority's code of the document ``document_id``."""
    with engine.connect() as conn:
        row = conn.execute(
            select(coded_documents.c.xml, coded_documents.c.authority_code).where(
                coded_documents.c.document_id == document_id
            )
        ).one()
    return bytes(row.xml), str(row.authority_code)
