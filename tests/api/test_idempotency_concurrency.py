"""Exactly once under concurrency: 50 simultaneous POSTs with one Idempotency-Key against a real threaded server."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from werkzeug.serving import make_server

from einvoice.storage.schema import documents

CLIENTS = 50


@pytest.fixture
def server(api_app: Flask) -> Iterator[int]:
    """Serve the app on 127.0.0.1 with werkzeug's threaded server; return its port."""
    httpd = make_server("127.0.0.1", 0, api_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.mark.slow
def test_fifty_concurrent_posts_issue_one_document(
    server: int, world: dict[str, Any], tokens: dict[str, str], engine: Engine
) -> None:
    """All 50 answers are the one 201 (first or replayed, byte-identical) or 409; exactly one document exists."""
    body = json.dumps(
        {"series_id": world["receipts"]["id"], "payer": {"name": "Hoàng Văn Nam"}, "fees": [{"code": "LP-CT"}]}
    ).encode()
    headers = {
        "Authorization": f"Bearer {tokens['cashier']}",
        "Idempotency-Key": "one-key-for-fifty",
        "Content-Type": "application/json",
    }
    start = threading.Barrier(CLIENTS)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def post() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server, timeout=60)
        start.wait()
        connection.request("POST", "/api/v1/receipts", body=body, headers=headers)
        response = connection.getresponse()
        answer = (response.status, response.read())
        connection.close()
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=post) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == CLIENTS
    assert {status for status, _ in answers} <= {201, 409}
    created = {payload for status, payload in answers if status == 201}
    assert len(created) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 1
