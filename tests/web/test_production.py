"""Production refusals, readiness, HSTS and the trusted reverse proxy."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine

from einvoice.services import accounts
from einvoice.web import create_app
from einvoice.web.runtime import dispose

STRONG_KEY = secrets.token_urlsafe(48)


def _like(api_app: Flask, **config: Any) -> Flask:
    """Return another app on the same database and data folder as ``api_app``, with ``config`` on top."""
    same = {name: api_app.config[name] for name in ("TESTING", "DATABASE_URL", "DATA_DIR", "TOOLCHAIN", "CLOCK")}
    return create_app({**same, **config})


def _prepare(app: Flask) -> Any:
    result = app.test_cli_runner().invoke(args=["prepare"])
    dispose(app)
    return result


def test_production_refuses_while_a_demo_account_keeps_its_printed_password(
    api_app: Flask, engine: Engine, world: dict[str, Any]
) -> None:
    """A demo account still active stops a production start, naming it; a new password or disabling lifts that."""
    demo = accounts.create_user(
        engine, username="admin", full_name="Quản trị", role="admin", password="in-ra-lúc-đầu-123", demo=True
    )
    other = accounts.create_user(
        engine, username="thu.ngan.demo", full_name="Thu ngân", role="finance", password="in-ra-lúc-đầu-456", demo=True
    )
    refused = _prepare(_like(api_app, ENV="production", SECRET_KEY=STRONG_KEY))
    assert refused.exit_code == 1
    assert "demo accounts admin, thu.ngan.demo" in refused.output
    accounts.update_user(engine, demo["id"], {"password": "một-mật-khẩu-riêng-mới"})
    accounts.update_user(engine, other["id"], {"active": False})
    started = _prepare(_like(api_app, ENV="production", SECRET_KEY=STRONG_KEY))
    assert started.exit_code == 0, started.output


def test_healthz_is_ready_when_documents_can_be_served(api_app: Flask, world: dict[str, Any]) -> None:
    """With a reachable, migrated database /healthz answers 200 ok."""
    answer = api_app.test_client().get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ok"


def test_healthz_is_not_ready_when_production_refuses(tmp_path: Path) -> None:
    """A production app without its secret key is up but not ready: 503, and it says why without details."""
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "ENV": "production"})
    answer = app.test_client().get("/healthz")
    dispose(app)
    assert answer.status_code == 503
    assert answer.get_json()["status"] == "not-ready"
    assert "refused" in answer.get_json()["reason"]


def test_healthz_is_not_ready_without_its_database(tmp_path: Path) -> None:
    """A database that cannot be reached makes /healthz answer 503, never 500."""
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "DATABASE_URL": url})
    answer = app.test_client().get("/healthz")
    dispose(app)
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "not-ready", "reason": "the database cannot be reached"}


@pytest.mark.parametrize(
    ("proxies", "base_url", "headers", "hsts"),
    [
        (0, "http://localhost", {}, False),
        (0, "https://localhost", {}, True),
        (0, "http://localhost", {"X-Forwarded-Proto": "https"}, False),  # nobody is trusted to say so
        (1, "http://localhost", {"X-Forwarded-Proto": "https"}, True),
        (1, "http://localhost", {"X-Forwarded-Proto": "http"}, False),
    ],
)
def test_hsts_is_sent_over_https_only(
    tmp_path: Path, proxies: int, base_url: str, headers: dict[str, str], hsts: bool
) -> None:
    """HSTS comes with answers over HTTPS, directly or as a trusted proxy reports it, and never over plain HTTP."""
    app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "PROXY_COUNT": proxies})
    answer = app.test_client().get("/api/v1/openapi.json", base_url=base_url, headers=headers)
    dispose(app)
    assert ("Strict-Transport-Security" in answer.headers) is hsts
    if hsts:
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_client_address_is_the_one_the_trusted_proxy_saw(api_app: Flask, world: dict[str, Any]) -> None:
    """Behind one trusted proxy the throttle counts the forwarded client, not the proxy nor what a client claims."""
    from einvoice.services import throttle

    app = _like(api_app, PROXY_COUNT=1)
    client = app.test_client()
    free = throttle.RULES["address"].free_failures
    for n in range(free + 1):  # the client forges a first X-Forwarded-For; the proxy appends the real address
        client.post(
            "/api/v1/session",
            json={"username": f"khong-co-{n}", "password": "sai"},
            headers={"X-Forwarded-For": f"10.0.0.{n}, 198.51.100.7"},
        )
    slowed = client.post(
        "/api/v1/session",
        json={"username": "thu.ngan", "password": "mật-khẩu-thu-ngân"},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert slowed.status_code == 429
    elsewhere = client.post(
        "/api/v1/session",
        json={"username": "thu.ngan", "password": "mật-khẩu-thu-ngân"},
        headers={"X-Forwarded-For": "192.0.2.50"},
    )
    assert elsewhere.status_code == 200
    dispose(app)
