"""Webhooks: document state changes pushed to a local receiver, signed, retried until it answers, once per event."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select

from einvoice.domain.parties import Buyer
from einvoice.services import webhooks
from einvoice.services.issuing import CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.storage.engine import writing
from einvoice.storage.schema import webhook_deliveries
from einvoice.storage.schema import webhooks as webhook_table


class Receiver:
    """A real HTTP server on loopback that records what it is sent and answers with a status the test sets."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local webhook receiver."""
    found = Receiver()
    yield found
    found.close()


def _fan_out_and_deliver(engine: Engine, clock: Any) -> int:
    with writing(engine) as conn:
        webhooks.fan_out(conn)
    return webhooks.deliver_due(engine, now=clock())


def test_an_issued_receipt_is_pushed_signed_and_verifiable(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, receiver: Receiver
) -> None:
    """The issue event reaches the receiver as JSON whose signature verifies with the secret, and only once."""
    _, secret = webhooks.register(engine, receiver.url, created_by=None, now=clock())
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="An"), (CatalogueFee("LP-CT"),))
    issued = issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    assert _fan_out_and_deliver(engine, clock) == 1
    assert _fan_out_and_deliver(engine, clock) == 0  # delivered: never again
    ((headers, body),) = receiver.received
    event = json.loads(body)
    assert event["type"] == "document.issue"
    assert event["document"]["id"] == issued.id
    assert event["document"]["number"] == 1
    assert headers[webhooks.EVENT_HEADER] == event["event_id"]
    assert webhooks.verify_signature(secret, headers[webhooks.SIGNATURE_HEADER], body, now=clock())
    assert not webhooks.verify_signature("whsec_other", headers[webhooks.SIGNATURE_HEADER], body, now=clock())
    assert not webhooks.verify_signature(secret, headers[webhooks.SIGNATURE_HEADER], body + b" ", now=clock())
    later = clock() + timedelta(minutes=10)  # a replay of a captured delivery is refused
    assert not webhooks.verify_signature(secret, headers[webhooks.SIGNATURE_HEADER], body, now=later)


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, receiver: Receiver
) -> None:
    """HTTP 500 → retried later (not at once); when the receiver recovers the same event arrives, then stops."""
    webhooks.register(engine, receiver.url, created_by=None, now=clock())
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="An"), (CatalogueFee("LP-CT"),))
    issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    receiver.status = 500
    assert _fan_out_and_deliver(engine, clock) == 1
    assert _fan_out_and_deliver(engine, clock) == 0  # backing off
    receiver.status = 200
    clock.value += timedelta(minutes=5)
    assert _fan_out_and_deliver(engine, clock) == 1
    assert [json.loads(body)["event_id"] for _, body in receiver.received] == ["evt-1", "evt-1"]
    with engine.connect() as conn:
        log = conn.execute(select(webhook_deliveries.c.state, webhook_deliveries.c.attempts)).one()
    assert tuple(log) == ("delivered", 2)


def test_admins_register_list_and_stop_webhooks_through_the_api(
    api: FlaskClient, world: dict[str, Any], auth: Any
) -> None:
    """POST shows the secret once; GET lists without secrets; DELETE stops it; cashiers may not register."""
    refused = api.post("/api/v1/webhooks", json={"url": "https://one-stop.example/hook"}, headers=auth("cashier", "w0"))
    assert refused.status_code == 403
    bad = api.post("/api/v1/webhooks", json={"url": "not a url"}, headers=auth("admin", "w1"))
    assert bad.status_code == 422
    created = api.post("/api/v1/webhooks", json={"url": "https://one-stop.example/hook"}, headers=auth("admin", "w2"))
    assert created.status_code == 201
    assert created.get_json()["secret"].startswith("whsec_")
    listed = api.get("/api/v1/webhooks", headers=auth("admin")).get_json()
    assert [hook["url"] for hook in listed] == ["https://one-stop.example/hook"]
    assert "secret" not in listed[0]
    hook_id = created.get_json()["id"]
    assert api.delete(f"/api/v1/webhooks/{hook_id}", headers=auth("admin")).status_code == 204
    assert api.get("/api/v1/webhooks", headers=auth("admin")).get_json()[0]["active"] is False


def test_an_unreachable_receiver_is_tried_once_a_round_while_another_still_gets_its_events(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, receiver: Receiver
) -> None:
    """A receiver that refuses connections costs one attempt per round, not one per event; the other is served."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    webhooks.register(engine, closed, created_by=None, now=clock())
    webhooks.register(engine, receiver.url, created_by=None, now=clock())
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="An"), (CatalogueFee("LP-CT"),))
    for _ in range(3):
        issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    assert _fan_out_and_deliver(engine, clock) == 1 + 3
    assert len(receiver.received) == 3
    with engine.connect() as conn:
        tried = conn.execute(
            select(webhook_deliveries.c.attempts)
            .join(webhook_table, webhook_table.c.id == webhook_deliveries.c.webhook_id)
            .where(webhook_table.c.url == closed)
            .order_by(webhook_deliveries.c.id)
        ).scalars()
        assert list(tried) == [1, 0, 0]


def test_two_workers_at_once_post_each_delivery_once(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, receiver: Receiver
) -> None:
    """A second worker delivering while the first is posting (here: from inside the first's first POST) finds the
    deliveries leased and posts none of them: each event reaches the receiver once."""
    webhooks.register(engine, receiver.url, created_by=None, now=clock())
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="An"), (CatalogueFee("LP-CT"),))
    for _ in range(3):
        issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    with writing(engine) as conn:
        webhooks.fan_out(conn)
    second: list[int] = []

    class FirstWorker(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if not second:
                second.append(webhooks.deliver_due(engine, now=clock()))  # the other worker's round, meanwhile
            return super().handle_request(request)

    assert webhooks.deliver_due(engine, now=clock(), transport=FirstWorker()) == 3
    assert second == [0]
    assert sorted(json.loads(body)["event_id"] for _, body in receiver.received) == ["evt-1", "evt-2", "evt-3"]


def test_deliveries_of_a_worker_that_died_are_posted_once_its_lease_has_passed(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any, receiver: Receiver
) -> None:
    """A worker killed mid-round (after its claim, before its record) delays the event by the lease, never loses it."""
    webhooks.register(engine, receiver.url, created_by=None, now=clock())
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="An"), (CatalogueFee("LP-CT"),))
    issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    with writing(engine) as conn:
        webhooks.fan_out(conn)

    class Killed(BaseException):
        """The worker process dying."""

    class Dying(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            raise Killed

    with pytest.raises(Killed):
        webhooks.deliver_due(engine, now=clock(), transport=Dying())
    clock.value += webhooks.LEASE - timedelta(seconds=1)
    assert webhooks.deliver_due(engine, now=clock()) == 0  # still leased
    clock.value += timedelta(seconds=2)
    assert webhooks.deliver_due(engine, now=clock()) == 1
    assert len(receiver.received) == 1
