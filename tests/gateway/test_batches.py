"""The worker's batches: few commits for many messages, leases respected mid-batch, a down provider asked once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from gateway.support import TOKEN, drain, issue_invoices, make_worker, transmission
from sqlalchemy import Engine, event, func, select

from einvoice.domain.lifecycle import Action, IllegalTransition, Transmission
from einvoice.domain.parties import Buyer
from einvoice.gateway.base import Gateway, Status, Submitted
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, create_simulator
from einvoice.services import webhooks
from einvoice.services.answers import SYSTEM
from einvoice.services.issuing import CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.services.transitions import Move, move_many
from einvoice.storage.engine import writing
from einvoice.storage.schema import document_events, finance_facts, outbox_attempts, outbox_messages

pytestmark = pytest.mark.slow


def _counting_gateway(authority: SimulatedAuthority, calls: list[str]) -> HttpGateway:
    """The HTTP adapter on the simulator, every request's path appended to ``calls``."""
    app = create_simulator(authority, token=TOKEN)

    def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        calls.append(environ["PATH_INFO"])
        return app(environ, start_response)

    transport = httpx.WSGITransport(app=counted)  # type: ignore[arg-type]
    return HttpGateway(HttpSettings("http://tvan.test", TOKEN), transport=transport)


def test_sixty_invoices_are_coded_in_a_handful_of_commits(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, gateway: HttpGateway
) -> None:
    """Claim, send and record go by batches: 60 messages take a few commits, not several per message."""
    ids = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 60)
    commits: list[int] = []
    event.listen(engine, "commit", lambda conn: commits.append(1))
    drain([make_worker(engine, gateway, clock, batch_size=50)], clock)
    assert transmission(engine, ids) == ["accepted"] * 60
    # Two batches to send, two to ask, plus one pack and idle rounds while the answers are due: about twenty.
    assert len(commits) < 40, len(commits)


def test_a_worker_whose_lease_ran_out_mid_batch_leaves_the_rest_to_another(
    engine: Engine,
    world: dict[str, Any],
    signed_tools: Toolchain,
    clock: Any,
    gateway: HttpGateway,
    authority: SimulatedAuthority,
) -> None:
    """Worker A stalls after its first send past its lease; B takes over: A starts no more calls, writes nothing."""
    ids = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 5)
    other = make_worker(engine, gateway, clock, name="B", concurrency=1)

    class Stalling:
        """The simulator's adapter, but the first send returns only after the lease is over and B has worked."""

        stalled = False

        def send(self, message_id: str, message: bytes) -> Submitted:
            outcome = gateway.send(message_id, message)
            if not self.stalled:
                self.stalled = True
                clock.value += timedelta(seconds=61)  # past A's 60 s lease
                drain([other], clock)
            return outcome

        def status(self, message_id: str) -> Status:
            return gateway.status(message_id)

    stalling: Gateway = Stalling()
    first = make_worker(engine, stalling, clock, name="A", concurrency=1)
    assert first.run_once()
    assert first.finish()  # its outcomes, recorded by the next round: none, as B holds every message now
    assert transmission(engine, ids) == ["accepted"] * 5
    assert set(authority.stats()["deliveries"].values()) == {1}
    assert authority.stats()["messages"] == 5
    with engine.connect() as conn:
        by_a = conn.execute(
            select(outbox_attempts.c.action, outbox_attempts.c.outcome).where(outbox_attempts.c.worker == "A")
        ).all()
    assert {tuple(row) for row in by_a} == {("send", "sending")}  # its claim, and nothing after


def test_a_down_provider_is_asked_once_per_batch_and_nothing_is_parked(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, authority: SimulatedAuthority
) -> None:
    """Ten messages, provider down: once a call fails, the others are not tried, and wait as long as it does."""
    ids = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 10)
    authority.faults.update({"down": True})
    calls: list[str] = []
    worker = make_worker(engine, _counting_gateway(authority, calls), clock)
    assert worker.run_once()
    assert worker.finish()
    tried = len(calls)
    assert 1 <= tried <= worker.settings.concurrency  # those already started when the first failed
    with engine.connect() as conn:
        rows = conn.execute(select(outbox_messages.c.state, outbox_messages.c.next_attempt_at)).all()
        not_tried = conn.execute(select(func.count()).where(outbox_attempts.c.outcome == "not tried")).scalar_one()
    assert {state for state, _ in rows} == {"pending"}
    assert all(due > clock() for _, due in rows)
    assert not_tried == 10 - tried
    assert not worker.run_once()  # nothing due until the back-off has passed
    assert len(calls) == tried
    authority.faults.update({"down": False})
    drain([worker], clock)
    assert transmission(engine, ids) == ["accepted"] * 10
    assert set(authority.stats()["deliveries"].values()) == {1}


def test_an_idle_worker_reads_the_finance_facts_of_new_documents(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, gateway: HttpGateway
) -> None:
    """When idle, the worker extracts each new document's finance facts once; not again before ``ledger_every``."""
    issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 3)
    worker = make_worker(engine, gateway, clock)
    assert worker.when_idle() == 3
    issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 2)
    assert worker.when_idle() == 0  # too soon
    clock.value += worker.settings.ledger_every
    assert worker.when_idle() == 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(finance_facts)).scalar_one() == 5


def test_moves_of_a_batch_apply_in_order_and_a_refused_one_changes_nothing(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any
) -> None:
    """send then accept stand, in order; an accept before any send is refused alone, with no event stored."""
    first, second = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 2)
    moves = [Move(first, Action.SEND), Move(second, Action.ACCEPT), Move(first, Action.ACCEPT, "MCCQT X")]
    with writing(engine) as conn:
        outcomes = move_many(conn, moves, SYSTEM, clock())
    assert [o.transmission if not isinstance(o, IllegalTransition) else "refused" for o in outcomes] == [
        Transmission.SENT,
        "refused",
        Transmission.ACCEPTED,
    ]
    assert transmission(engine, [first, second]) == ["accepted", "pending"]
    with engine.connect() as conn:
        events = conn.execute(
            select(document_events.c.document_id, document_events.c.action, document_events.c.reason)
            .where(document_events.c.action != "issue")
            .order_by(document_events.c.id)
        ).all()
    assert [tuple(e) for e in events] == [(first, "send", None), (first, "accept", "MCCQT X")]


def _writes(engine: Engine) -> list[str]:
    """Every statement that writes or takes a write lock on ``engine`` from now on (SQLite's BEGIN IMMEDIATE too)."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.lstrip().upper()
        if words.startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in words:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return seen


def test_an_idle_worker_round_takes_no_write_lock(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, gateway: HttpGateway
) -> None:
    """With nothing to pack, claim or fan out (a receipt waits for tonight's table, a webhook is up to date), a round
    only reads: no BEGIN IMMEDIATE, no write; the first round with a new invoice does write."""
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="Nguyễn Văn An"), (CatalogueFee("LP-CT", 2),))
    issue_document(engine, request, actor=world["cashier"], now=clock, tools=signed_tools)  # 09:00 in Hà Nội
    webhooks.register(engine, "http://receiver.test/hook", created_by=None, now=clock())
    worker = make_worker(engine, gateway, clock, sign=signed_tools.sign)
    writes = _writes(engine)
    for _ in range(3):
        assert not worker.run_once()
        clock.value += timedelta(seconds=2)
    assert writes == []
    issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 1)
    writes.clear()
    assert worker.run_once()
    assert writes  # the counter sees writes when there are some


def test_status_questions_to_a_down_provider_back_off_growing_up_to_the_cap(
    engine: Engine, world: dict[str, Any], signed_tools: Toolchain, clock: Any, authority: SimulatedAuthority
) -> None:
    """A message already sent, provider down: each status question waits at least as long as the one before (doubling
    with jitter) until ``max_backoff``, then between half of it and all of it; once the provider is back, the message
    is coded, delivered once."""
    ids = issue_invoices(engine, world, signed_tools, clock, world["invoices"]["id"], 1)
    calls: list[str] = []
    cap = timedelta(seconds=64)
    worker = make_worker(engine, _counting_gateway(authority, calls), clock, max_backoff=cap)
    worker.run_once()
    worker.finish()
    assert calls == ["/TiepNhanThongDiep"]
    authority.faults.update({"down": True})
    asked_at = []
    for _ in range(15 * 60):  # a quarter of an hour, second by second
        before = len(calls)
        worker.run_once()
        worker.finish()
        if len(calls) > before:
            asked_at.append(clock())
        clock.value += timedelta(seconds=1)
    assert set(calls[1:]) == {"/TraCuuThongDiep"}
    assert len(asked_at) < 30  # without the growing back-off: about one question every 2 seconds, 450 or so
    gaps = [later - earlier for earlier, later in pairwise(asked_at)]
    capped = next(index for index, gap in enumerate(gaps) if gap > cap / 2)  # jitter takes at most half
    assert gaps[:capped] == sorted(gaps[:capped])  # the n-th wait is in [2^(n-1), 2^n] seconds
    assert capped >= 4
    assert all(cap / 2 <= gap <= cap + timedelta(seconds=1) for gap in gaps[capped:])
    authority.faults.update({"down": False})
    drain([worker], clock)
    assert transmission(engine, ids) == ["accepted"]
    assert set(authority.stats()["deliveries"].values()) == {1}
