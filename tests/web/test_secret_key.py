"""The session key: random per instance in development, required and strong in production; forged cookies fail."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from tests_support import ROOT

from einvoice.web import create_app
from einvoice.web.runtime import dispose
from einvoice.web.secret_key import KEY_FILE, OLD_DEVELOPMENT_KEY, instance_key, weakness


def forged_cookie(key: str, payload: dict[str, Any]) -> str:
    """Return a session cookie holding ``payload``, signed the way Flask signs one, with ``key``."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return str(serializer.dumps(payload))


def test_a_cookie_signed_with_the_old_fixed_key_is_refused(api_app: Flask, world: dict[str, Any]) -> None:
    """A cookie naming the admin, signed with the key once published in the code, gets no further than 401."""
    admin = world["users"]["admin"]["id"]
    client = api_app.test_client()
    for payload in ({"user_id": admin}, {"user_id": admin, "generation": 0, "login_at": 0, "seen_at": 0}):
        client.set_cookie("session", forged_cookie(OLD_DEVELOPMENT_KEY, payload))
        assert client.get("/api/v1/users").status_code == 401


def test_the_development_key_is_random_per_instance_and_kept(tmp_path: Path) -> None:
    """The first request writes a private random key to the data folder; a restart reads it; another folder differs."""
    first = create_app({"TESTING": True, "DATA_DIR": tmp_path / "one"})
    assert first.config["SECRET_KEY"] is None
    assert not (tmp_path / "one").exists()  # building the app writes nothing
    first.test_client().get("/healthz")
    dispose(first)
    key_file = tmp_path / "one" / KEY_FILE
    key = key_file.read_text().strip()
    assert weakness(key) is None
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert instance_key(tmp_path / "one") == key
    assert instance_key(tmp_path / "two") != key
    assert not [name for name in os.listdir(tmp_path / "one") if name.startswith(f".{KEY_FILE}")]  # no temporaries


def test_a_session_survives_a_restart_of_the_development_instance(
    api_app: Flask, world: dict[str, Any], tmp_path: Path
) -> None:
    """Two apps on one data folder (a restart, or two workers) accept each other's cookies: they share the key."""
    client = api_app.test_client()
    login = client.post("/api/v1/session", json={"username": "quan.tri", "password": "chìa-khóa-quản-trị"})
    assert login.status_code == 200
    again = create_app({**api_app.config, "SECRET_KEY": None})
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = again.test_client()
    other.set_cookie("session", cookie.value)
    assert other.get("/api/v1/session").get_json()["username"] == "quan.tri"
    dispose(again)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("a" * 32, "repeated"),
        ("a" * 64, "repeated"),
        ("abcd" * 12, "repeated"),
        (OLD_DEVELOPMENT_KEY, "published"),
        ("short-but-random-Xy9", "shorter"),
        ("ab" * 15 + "abc" * 3, "few different"),
    ],
)
def test_weak_keys_are_named_as_weak(key: str, reason: str) -> None:
    """Known, short, repeated or low-variety keys are weak, and the reason says which."""
    found = weakness(key)
    assert found is not None
    assert reason in found


@pytest.mark.parametrize("key", [secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(48)])
def test_random_keys_are_accepted(key: str) -> None:
    """Keys from the generator the messages recommend (and hex ones) pass."""
    assert weakness(key) is None


def test_production_refuses_to_start_with_a_weak_or_missing_key(tmp_path: Path) -> None:
    """`prepare` in production exits 1 naming EINVOICE_SECRET_KEY, without a key and with 32 × "a"."""
    for key in (None, "a" * 32):
        app = create_app({"TESTING": True, "DATA_DIR": tmp_path, "ENV": "production", "SECRET_KEY": key})
        result = app.test_cli_runner().invoke(args=["prepare"])
        dispose(app)
        assert result.exit_code == 1
        assert "EINVOICE_SECRET_KEY" in result.output
        assert not (tmp_path / KEY_FILE).exists()  # production never makes its own


def test_a_weak_key_configured_in_development_serves_nothing(api_app: Flask, world: dict[str, Any]) -> None:
    """A weak key set on purpose is refused in development too: the API answers 503, no session is signed."""
    api_app.config["SECRET_KEY"] = "a" * 32
    answer = api_app.test_client().post("/api/v1/session", json={"username": "quan.tri", "password": "x"})
    assert answer.status_code == 503
    assert "Set-Cookie" not in answer.headers


def test_a_misspelt_environment_stops_with_one_line(tmp_path: Path) -> None:
    """EINVOICE_ENV=prod stops the import of wsgi and `flask prepare` with one line on stderr, no traceback."""
    env = {**os.environ, "EINVOICE_ENV": "prod", "EINVOICE_DATA_DIR": str(tmp_path)}
    flask = Path(sys.executable).parent / "flask"
    for command in ([sys.executable, "-c", "import wsgi"], [str(flask), "--app", "wsgi", "prepare"]):
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            "einvoice: EINVOICE_ENV must be one of 'development', 'production', not 'prod'"
        ]
