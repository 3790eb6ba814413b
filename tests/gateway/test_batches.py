"""The worker's batches: few commits for many messages, leases respected mid-batch, a down provider asked once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from gateway.support import TOKEN, drain, issue_invoices, make_worker, transmission
from sqlalchemy import Engine, event, func, select

from einvoice.domain.lifecycle import Action, IllegalTransition, Transmission
from einvoice.gateway.base import Gateway, Status, Submitted
from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, create_simulator
from einvoice.services.answers import SYSTEM
from einvoice.services.issuing import Toolchain
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
