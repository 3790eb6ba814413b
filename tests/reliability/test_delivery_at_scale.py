"""The issue's end-to-end check at full size, in-process: 500 documents to the simulated authority, each exactly once.

The documents (350 "C" invoices, 100 "K" invoices, 50 receipts) are issued once for the session; each test copies the
database and runs one worker against the simulator (in-process WSGI, judging as the authority, answering 5 s after
each message on a hand-moved clock). "Exactly once" is counted on the simulator's side, by ``MTDiep``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway.support import drain
from reliability.delivery import TOKEN, IssuedSet
from sqlalchemy import Engine, func, select

from einvoice.gateway.http import HttpGateway, HttpSettings
from einvoice.gateway.simulator import SimulatedAuthority, create_simulator, judge_as_authority
from einvoice.services.outbox import Addressing
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.services.transmission import Worker, WorkerSettings
from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.storage.engine import make_engine
from einvoice.storage.schema import authority_answers, coded_documents, documents, outbox_attempts, outbox_messages

pytestmark = [pytest.mark.slow, pytest.mark.reliability]
Clock = Any  # the suite's hand-moved clock (the ``clock`` fixture)


class Road:
    """A copy of the issued set, the simulator on a hand-moved clock, and one worker between them."""

    def __init__(self, issued: IssuedSet, key: Pkcs12Signer, folder: Path, clock: Clock) -> None:
        self.issued = issued
        self.engine: Engine = make_engine(issued.copy_to(folder))
        # A day later: the receipts' daily table is due, the uncoded invoices' batch window is over.
        self.clock = clock
        clock.value = issued.issued_at + timedelta(days=1)
        self.authority = SimulatedAuthority(key, judge_as_authority, answer_delay=5, clock=self.clock)
        app = create_simulator(self.authority, token=TOKEN)
        transport = httpx.WSGITransport(app=app)  # type: ignore[arg-type]
        self.gateway = HttpGateway(HttpSettings("http://tvan.test", TOKEN), transport=transport)
        settings = WorkerSettings(Addressing("0100000001"))
        self.worker = Worker(self.engine, self.gateway, settings, self.clock, sign=pkcs12_toolchain().sign, name="w")
        self.worker.random.seed(5)

    def close(self) -> None:
        """Release the worker, the adapter and the database."""
        self.worker.close()
        self.gateway.close()
        self.engine.dispose()

    def transmission(self) -> Counter[str]:
        """How many documents stand in each transmission state."""
        with self.engine.connect() as conn:
            return Counter(
                dict(
                    conn.execute(
                        select(documents.c.transmission, func.count()).group_by(documents.c.transmission)
                    ).all()
                )
            )

    def assert_each_delivered_once(self) -> None:
        """Every message arrived exactly once and is done; every document accepted; answers kept once each."""
        with self.engine.connect() as conn:
            messages = dict(conn.execute(select(outbox_messages.c.mtdiep, outbox_messages.c.state)).all())
            coded = conn.execute(select(func.count()).select_from(coded_documents)).scalar_one()
            answers = conn.execute(select(func.count()).select_from(authority_answers)).scalar_one()
        deliveries = self.authority.stats()["deliveries"]
        assert set(deliveries) == set(messages)
        assert set(deliveries.values()) == {1}
        assert set(messages.values()) == {"done"}
        assert self.transmission() == {"accepted": self.issued.total}
        assert coded == self.issued.counts["coded"]
        assert answers == 2 * len(messages)  # a 999 and a final answer each, however often they were listed


@pytest.fixture
def road(issued_500: IssuedSet, authority_key: Pkcs12Signer, tmp_path: Path, clock: Clock) -> Iterator[Road]:
    """A fresh copy of the 500 documents on the road to the simulator."""
    found = Road(issued_500, authority_key, tmp_path, clock)
    yield found
    found.close()


def test_500_documents_issued_while_the_authority_is_down_are_each_delivered_once_when_it_is_back(road: Road) -> None:
    """Down: nothing arrives, nothing is lost or parked; back up: each message once, every "C" invoice coded."""
    road.authority.faults.update({"down": True})
    for _ in range(20):
        road.worker.run_once()
        road.clock.value += timedelta(seconds=5)
    assert road.authority.stats()["messages"] == 0
    assert road.transmission() == {"pending": road.issued.total}
    with road.engine.connect() as conn:
        assert conn.execute(select(func.count()).where(outbox_messages.c.state == "parked")).scalar_one() == 0
    road.authority.faults.update({"down": False})
    drain([road.worker], road.clock, rounds=2000)
    road.assert_each_delivered_once()


def test_500_documents_with_a_tenth_of_replies_lost_and_of_answers_duplicated_are_each_delivered_once(
    road: Road,
) -> None:
    """10 % of replies lost after the message was taken, 10 % of answers listed twice: still once each, all final."""
    road.authority.faults.update({"lose_reply_rate": 0.1, "duplicate_rate": 0.1, "seed": 10})
    drain([road.worker], road.clock, rounds=2000)
    road.assert_each_delivered_once()
    with road.engine.connect() as conn:
        asked_first = conn.execute(
            select(func.count()).where(outbox_attempts.c.action == "status", outbox_attempts.c.outcome == "known")
        ).scalar_one()
    assert asked_first >= 10  # each lost reply was followed by a status question, never by a second send
