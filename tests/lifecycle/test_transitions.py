"""Stored moves for the transmission work: send, then accept or reject; a duplicated answer changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select

from einvoice.domain.lifecycle import Action, IllegalTransition, Standing, State, Transmission
from einvoice.domain.parties import Buyer
from einvoice.services.issuing import Actor, CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.services.transitions import load, move, state_of
from einvoice.storage.engine import writing
from einvoice.storage.schema import document_events

WORKER = Actor(None, "worker", "admin")


def test_send_then_accept_is_recorded_and_a_duplicate_answer_changes_nothing(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """pending → sent → accepted, each with an event; a second accept is refused and leaves the row as it was."""
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="Trần Thị Bích"), (CatalogueFee("LP-CT", Decimal(1)),))
    issued = issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    with writing(engine) as conn:
        move(conn, issued.id, Action.SEND, WORKER, clock())
        move(conn, issued.id, Action.ACCEPT, WORKER, clock())
    with pytest.raises(IllegalTransition), writing(engine) as conn:
        move(conn, issued.id, Action.ACCEPT, WORKER, clock())
    with engine.connect() as conn:
        assert state_of(load(conn, issued.id)) == State(Transmission.ACCEPTED, Standing.ISSUED)
        actions = conn.execute(select(document_events.c.action, document_events.c.actor)).all()
    assert [tuple(a) for a in actions] == [("issue", "thu.ngan"), ("send", "worker"), ("accept", "worker")]
