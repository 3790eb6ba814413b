"""Login throttling (delays per account and per address, never a lockout) and the password policy."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from einvoice.services import throttle
from einvoice.services.passwords import password_problems

RIGHT = "mật-khẩu-thu-ngân"


def attempt(client: FlaskClient, password: str, username: str = "thu.ngan", address: str = "198.51.100.7") -> Any:
    """Try to log in from ``address``; return the answer."""
    return client.post(
        "/api/v1/session",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_forty_wrong_passwords_are_slowed_and_the_right_one_waits_too(
    api: FlaskClient, world: dict[str, Any], clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Of 40 quick wrong guesses only the free ones are checked; the right password waits out the delay, then works."""
    caplog.set_level(logging.WARNING, "einvoice.security")
    statuses = [attempt(api, f"sai-{n}").status_code for n in range(40)]
    free = throttle.RULES["account"].free_failures
    assert statuses[: free + 1] == [401] * (free + 1)
    assert set(statuses[free + 1 :]) == {429}
    refused = attempt(api, RIGHT)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.get_json()["code"] == "too_many_requests"
    assert any(record.getMessage() == "login_throttled" for record in caplog.records)
    clock.value += timedelta(seconds=int(refused.headers["Retry-After"]))
    assert attempt(api, RIGHT).status_code == 200


def test_an_attacker_cannot_lock_a_cashier_out(api: FlaskClient, world: dict[str, Any], clock: Any) -> None:
    """However many failures an account has, its wait never exceeds a minute: the cashier gets in after it."""
    for n in range(30):
        attempt(api, f"sai-{n}", address=f"203.0.113.{n}")  # from many machines
        clock.value += timedelta(seconds=61)  # the attacker waits out every delay, keeping the count up
        attempt(api, f"sai-again-{n}", address=f"203.0.113.{n}")
    wait = throttle.delay_after("account:thu.ngan", 1000)
    assert wait == throttle.RULES["account"].max_delay == timedelta(minutes=1)
    clock.value += wait
    assert attempt(api, RIGHT, address="192.0.2.1").status_code == 200


def test_one_address_trying_many_accounts_is_slowed(api: FlaskClient, world: dict[str, Any]) -> None:
    """After the address's free failures, even an untried account is refused from that address (429), not others."""
    free = throttle.RULES["address"].free_failures
    for n in range(free + 1):
        assert attempt(api, "sai", username=f"khong-co-{n}").status_code == 401
    assert attempt(api, RIGHT).status_code == 429
    assert attempt(api, RIGHT, address="192.0.2.99").status_code == 200


def test_a_success_clears_the_accounts_count(api: FlaskClient, world: dict[str, Any], clock: Any) -> None:
    """Failures before a successful login do not count towards the next delay."""
    free = throttle.RULES["account"].free_failures
    for n in range(free):
        attempt(api, f"sai-{n}", address=f"192.0.2.{n}")
    assert attempt(api, RIGHT, address="192.0.2.200").status_code == 200
    for n in range(free):
        assert attempt(api, f"lai-sai-{n}", address=f"192.0.2.{100 + n}").status_code == 401


def test_failures_are_forgotten_after_an_hour(api: FlaskClient, world: dict[str, Any], clock: Any) -> None:
    """An hour after the last failure the count starts again from zero."""
    free = throttle.RULES["account"].free_failures
    for n in range(free):
        attempt(api, f"sai-{n}", address=f"192.0.2.{n}")
    clock.value += throttle.FORGET_AFTER + timedelta(seconds=1)
    for n in range(free):
        assert attempt(api, f"lai-sai-{n}", address=f"192.0.2.{100 + n}").status_code == 401


def test_the_throttle_is_shared_by_every_app_on_the_database(
    api_app: Flask, api: FlaskClient, world: dict[str, Any]
) -> None:
    """Failures counted by one app (one worker) slow the attempts another app (another worker) receives."""
    from einvoice.web import create_app
    from einvoice.web.runtime import dispose

    same = {name: api_app.config[name] for name in ("TESTING", "DATABASE_URL", "DATA_DIR", "TOOLCHAIN", "CLOCK")}
    other = create_app(same)
    free = throttle.RULES["account"].free_failures
    for n in range(free + 1):
        attempt(api, f"sai-{n}")
    assert attempt(other.test_client(), RIGHT).status_code == 429
    dispose(other)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("ngắn-quá", "password_short"),
        ("aaaaaaaaaaaaaaaa", "password_pattern"),
        ("abcabcabcabcabc", "password_pattern"),
        ("123456789012", "password_pattern"),
        ("9876543210987", "password_pattern"),
        ("abcdefghijklmn", "password_pattern"),
        ("password123456", "password_common"),
        ("Matkhau@2026!!", "password_common"),
        ("qwertyuiop1234", "password_common"),
        ("1qaz2wsx3edc", "password_common"),
        ("thu.ngan-2026-quay", "password_username"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, code: str) -> None:
    """Short, repeated, sequential, common and username-bearing passwords are refused, each with its code."""
    assert [problem.code for problem in password_problems(password, "thu.ngan")] == [code]


@pytest.mark.parametrize("password", ["mật-khẩu-thu-ngân", "correct horse battery staple", "Quầy-1-sáng-thứ-hai"])
def test_reasonable_passwords_pass(password: str) -> None:
    """Long passphrases, Vietnamese ones included, pass the policy."""
    assert password_problems(password, "thu.ngan") == []


def test_the_api_applies_the_policy_to_new_and_changed_passwords(
    api: FlaskClient, world: dict[str, Any], auth: Any
) -> None:
    """Creating a user or changing a password with a common one is a 422 naming the password field."""
    body = {"username": "moi", "full_name": "Người mới", "role": "finance", "password": "password2024!"}
    created = api.post("/api/v1/users", json=body, headers=auth("admin", "new-user"))
    assert created.status_code == 422
    assert created.get_json()["problems"][0]["path"] == "password"
    user = world["users"]["finance"]["id"]
    changed = api.patch(f"/api/v1/users/{user}", json={"password": "aaaaaaaaaaaaaaaa"}, headers=auth("admin"))
    assert changed.status_code == 422
    assert changed.get_json()["problems"][0]["code"] == "password_pattern"


def test_forgotten_failures_leave_the_table(engine: Any, clock: Any) -> None:
    """Rows of failures older than FORGET_AFTER are deleted by the next failure: the table does not grow forever."""
    from sqlalchemy import select

    from einvoice.storage.schema import login_throttle

    for n in range(20):
        throttle.record_failure(engine, throttle.login_keys(f"user-{n}", f"203.0.113.{n}"), clock.value)
    clock.value += throttle.FORGET_AFTER + timedelta(seconds=1)
    throttle.record_failure(engine, throttle.login_keys("new", "192.0.2.1"), clock.value)
    with engine.connect() as conn:
        keys = set(conn.execute(select(login_throttle.c.key)).scalars())
    assert keys == {"account:new", "address:192.0.2.1"}
