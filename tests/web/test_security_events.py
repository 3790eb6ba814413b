"""Security events: one table, ECS-shaped JSON lines raised where the README says, and the README's table kept equal."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, update

from einvoice.cli import main
from einvoice.domain.parties import Buyer
from einvoice.security_events import EVENTS, events_table, security_event
from einvoice.services.issuing import CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.storage.schema import documents
from einvoice.web.logging import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def _events(caplog: pytest.LogCaptureFixture, action: str) -> list[dict[str, Any]]:
    """Return the JSON lines of the security events named ``action`` as a SIEM would read them."""
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "einvoice.security"]
    return [line for line in lines if line["event"]["action"] == action]


def test_a_failed_login_is_an_ecs_event_with_user_source_and_trace(
    api: FlaskClient, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong password logs event.action/category/outcome, user.name, source.ip and the request id as trace.id."""
    with caplog.at_level(logging.INFO, logger="einvoice.security"):
        answer = api.post("/api/v1/session", json={"username": "thu.ngan", "password": "sai"})
    (line,) = _events(caplog, "login_failed")
    assert line["event"]["category"] == ["authentication"]
    assert line["event"]["outcome"] == "failure"
    assert line["user"]["name"] == "thu.ngan"
    assert line["source"]["ip"] == "127.0.0.1"
    assert line["trace"]["id"] == answer.headers["X-Request-Id"]
    assert line["url"]["path"] == "/api/v1/session"
    assert "sai" not in json.dumps(line)  # the password is never logged


def test_login_token_use_and_admin_changes_are_logged(
    api: FlaskClient, world: dict[str, Any], auth: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A successful login, a request with a token, and an admin's write each leave their event; reads by admin not."""
    with caplog.at_level(logging.INFO, logger="einvoice.security"):
        assert api.post("/api/v1/session", json={"username": "thu.ngan", "password": "mật-khẩu-thu-ngân"}).status_code
        assert api.get("/api/v1/documents", headers=auth("finance")).status_code == 200
        issuer_id = world["issuer"]["id"]
        created = api.post(
            "/api/v1/counters", json={"issuer_id": issuer_id, "name": "Quầy số 9"}, headers=auth("admin", "c9")
        )
    assert created.status_code == 201, created.get_json()
    assert _events(caplog, "login_succeeded")[0]["user"]["name"] == "thu.ngan"
    assert any(line["user"]["name"] == "ke.toan" for line in _events(caplog, "token_used"))
    (change,) = _events(caplog, "admin_change")
    assert change["http"]["request"]["method"] == "POST"
    assert change["user"]["name"] == "quan.tri"


def test_a_rate_limit_trip_is_logged(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    """Whatever answers 429 raises a rate_limited event with the client's address."""
    app.add_url_rule("/too-many", view_func=lambda: ("slow down", 429))
    with caplog.at_level(logging.INFO, logger="einvoice.security"):
        assert app.test_client().get("/too-many").status_code == 429
    (line,) = _events(caplog, "rate_limited")
    assert line["source"]["ip"] == "127.0.0.1"


def test_audit_verify_raises_an_integrity_failure_per_finding(
    engine: Engine,
    world: dict[str, Any],
    tools: Toolchain,
    clock: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stored document edited behind the service's back: audit-verify exits 1 and logs a critical integrity event."""
    request = ReceiptRequest(world["receipts"]["id"], Buyer(name="An"), (CatalogueFee("LP-CT"),))
    issued = issue_document(engine, request, actor=world["cashier"], now=clock, tools=tools)
    with engine.begin() as conn:
        conn.execute(update(documents).where(documents.c.id == issued.id).values(sha256="0" * 64))
    monkeypatch.setenv("EINVOICE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    with caplog.at_level(logging.INFO, logger="einvoice.security"):
        result = CliRunner().invoke(main, ["audit-verify"])
    assert result.exit_code == 1
    lines = _events(caplog, "integrity_failure")
    assert lines
    assert all(line["level"] == "CRITICAL" and line["event"]["severity"] == 5 for line in lines)


def test_an_event_missing_from_the_table_is_refused() -> None:
    """Logging a name that is not in EVENTS is an error, so the README's list stays complete."""
    with pytest.raises(ValueError, match="unknown security event"):
        security_event("something_new")


def test_every_event_the_code_raises_is_in_the_table() -> None:
    """Each literal name passed to security_event() anywhere in einvoice/ is a key of EVENTS."""
    raised = set()
    for path in (ROOT / "einvoice").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "security_event"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                raised.add(node.args[0].value)
    assert raised
    assert raised <= set(EVENTS)


def test_the_readme_lists_every_event() -> None:
    """The README's table of security events is the one generated from EVENTS."""
    assert events_table() in (ROOT / "README.md").read_text(encoding="utf-8")
