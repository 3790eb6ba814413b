"""Sessions: cookie flags, server-side ending (logout, new password, role, disabling), idle and absolute timeouts."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from einvoice.web import create_app
from einvoice.web.runtime import dispose

PASSWORDS = {"thu.ngan": "mật-khẩu-thu-ngân", "ke.toan": "sổ-sách-kế-toán-1", "quan.tri": "chìa-khóa-quản-trị"}


def log_in(client: FlaskClient, username: str) -> Any:
    """Log ``client`` in as ``username`` (a world user); return the answer."""
    return client.post("/api/v1/session", json={"username": username, "password": PASSWORDS[username]})


def signed_in(app: Flask, username: str) -> FlaskClient:
    """Return a new client of ``app`` logged in as ``username``."""
    client = app.test_client()
    assert log_in(client, username).status_code == 200
    return client


def whoami(client: FlaskClient) -> int:
    """Return the status of ``GET /session`` for this client."""
    return client.get("/api/v1/session").status_code


def test_the_session_cookie_is_httponly_and_samesite_lax(api: FlaskClient, world: dict[str, Any]) -> None:
    """In development the cookie is HttpOnly and SameSite=Lax, and not Secure (plain http on a laptop)."""
    cookie = log_in(api, "thu.ngan").headers["Set-Cookie"]
    flags = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in flags
    assert flags["samesite"].strip() == "SameSite=Lax"
    assert "secure" not in flags


def test_in_production_the_session_cookie_is_also_secure(api_app: Flask, world: dict[str, Any]) -> None:
    """In production (behind HTTPS) the cookie carries Secure as well."""
    same = {name: api_app.config[name] for name in ("TESTING", "DATABASE_URL", "DATA_DIR", "TOOLCHAIN", "CLOCK")}
    app = create_app({**same, "ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48)})
    cookie = log_in(app.test_client(), "thu.ngan").headers["Set-Cookie"]
    dispose(app)
    parts = [part.strip().lower() for part in cookie.split(";")]
    assert {"secure", "httponly", "samesite=lax"} <= set(parts)


def test_logout_ends_every_session_of_the_user(
    api_app: Flask, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Logging out on one device ends the user's session on the other (a session_ended event); others hold."""
    caplog.set_level(logging.INFO, "einvoice.security")
    desk, phone, other = signed_in(api_app, "thu.ngan"), signed_in(api_app, "thu.ngan"), signed_in(api_app, "ke.toan")
    kept_cookie = phone.get_cookie("session")
    assert desk.delete("/api/v1/session").status_code == 204
    assert (whoami(desk), whoami(phone), whoami(other)) == (401, 401, 200)
    replay = api_app.test_client()  # the old cookie, kept by an attacker, is dead too
    assert kept_cookie is not None
    replay.set_cookie("session", kept_cookie.value)
    assert whoami(replay) == 401
    assert whoami(signed_in(api_app, "thu.ngan")) == 200  # logging in again works
    assert any(record.getMessage() == "session_ended" for record in caplog.records)


@pytest.mark.parametrize(
    "change",
    [{"password": "một-mật-khẩu-mới-hẳn"}, {"role": "finance", "counter_id": None}, {"active": False}],
    ids=["password", "role", "disabled"],
)
def test_admin_changes_end_the_users_sessions(
    api_app: Flask, world: dict[str, Any], auth: Any, change: dict[str, Any]
) -> None:
    """A new password, a new role or disabling ends the user's sessions at once; a change of name does not."""
    cashier = signed_in(api_app, "thu.ngan")
    user = world["users"]["cashier"]["id"]
    admin = api_app.test_client()
    renamed = admin.patch(f"/api/v1/users/{user}", json={"full_name": "Lê Văn C"}, headers=auth("admin"))
    assert renamed.status_code == 200
    assert whoami(cashier) == 200
    assert admin.patch(f"/api/v1/users/{user}", json=change, headers=auth("admin")).status_code == 200
    assert whoami(cashier) == 401


def test_an_idle_session_ends(api_app: Flask, world: dict[str, Any], clock: Any) -> None:
    """A session unused for longer than SESSION_IDLE_MINUTES ends; used within it, it goes on."""
    idle = timedelta(minutes=api_app.config["SESSION_IDLE_MINUTES"])
    client = signed_in(api_app, "thu.ngan")
    clock.value += idle - timedelta(minutes=1)
    assert whoami(client) == 200
    clock.value += idle - timedelta(minutes=1)  # counted from the last use, not from the login
    assert whoami(client) == 200
    clock.value += idle + timedelta(minutes=1)
    assert whoami(client) == 401


def test_a_session_ends_at_its_absolute_limit_however_busy(api_app: Flask, world: dict[str, Any], clock: Any) -> None:
    """Used every half hour, a session still ends SESSION_MAX_HOURS after its login."""
    longest = timedelta(hours=api_app.config["SESSION_MAX_HOURS"])
    client = signed_in(api_app, "thu.ngan")
    start = clock.value
    while clock.value - start + timedelta(minutes=30) <= longest:
        clock.value += timedelta(minutes=30)
        assert whoami(client) == 200, clock.value - start
    clock.value += timedelta(minutes=30)
    assert whoami(client) == 401


def test_timeouts_are_configurable(api_app: Flask, world: dict[str, Any], clock: Any) -> None:
    """SESSION_IDLE_MINUTES set to 5 ends a session after 6 idle minutes."""
    same = {name: api_app.config[name] for name in ("TESTING", "DATABASE_URL", "DATA_DIR", "TOOLCHAIN", "CLOCK")}
    app = create_app({**same, "SESSION_IDLE_MINUTES": 5})
    client = signed_in(app, "thu.ngan")
    clock.value += timedelta(minutes=4)
    assert whoami(client) == 200
    clock.value += timedelta(minutes=6)
    assert whoami(client) == 401
    dispose(app)


def test_a_cookie_without_the_session_fields_is_no_session(api_app: Flask, world: dict[str, Any]) -> None:
    """A validly signed cookie that names only a user (the format of earlier versions) is cleared, not trusted."""
    client = signed_in(api_app, "quan.tri")
    with client.session_transaction() as session:
        for name in ("generation", "login_at", "seen_at"):
            session.pop(name)
    answer = client.get("/api/v1/users")
    assert answer.status_code == 401
    assert "session=;" in answer.headers.get("Set-Cookie", "")
