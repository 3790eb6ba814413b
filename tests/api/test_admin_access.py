"""Tokens that expire and record their use, issuers without server paths for finance, and the last admin kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine

from einvoice.services import catalogue


def test_a_token_expires(api: FlaskClient, world: dict[str, Any], auth: Any, clock: Any) -> None:
    """A token made for one day works on that day and is refused (401) after it; the default lifetime is a year."""
    user = world["users"]["finance"]["id"]
    made = api.post(f"/api/v1/users/{user}/tokens", json={"name": "ngắn hạn", "valid_days": 1}, headers=auth("admin"))
    assert made.status_code == 201
    token = {"Authorization": f"Bearer {made.get_json()['token']}"}
    assert api.get("/api/v1/documents", headers=token).status_code == 200
    clock.value += timedelta(days=1, seconds=1)
    assert api.get("/api/v1/documents", headers=token).status_code == 401
    default = api.post(f"/api/v1/users/{user}/tokens", json={"name": "mặc định"}, headers=auth("admin")).get_json()
    lifetime = _time(default["expires_at"]) - clock.value
    assert timedelta(days=364) < lifetime <= timedelta(days=365)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_tokens_last_use_is_recorded_to_the_minute(
    api: FlaskClient, world: dict[str, Any], auth: Any, clock: Any
) -> None:
    """The token list shows when each token was last used; uses within a minute of the last record write nothing."""
    user = world["users"]["finance"]["id"]
    made = api.post(f"/api/v1/users/{user}/tokens", json={"name": "báo cáo"}, headers=auth("admin")).get_json()
    token = {"Authorization": f"Bearer {made['token']}"}

    def last_used() -> Any:
        listed = api.get(f"/api/v1/users/{user}/tokens", headers=auth("admin")).get_json()
        found = next(row for row in listed if row["id"] == made["id"])
        assert "token" not in found
        assert "token_hash" not in found
        return found["last_used_at"]

    assert last_used() is None
    first = clock.value
    api.get("/api/v1/documents", headers=token)
    assert _time(last_used()) == first
    clock.value += timedelta(seconds=30)
    api.get("/api/v1/documents", headers=token)
    assert _time(last_used()) == first
    clock.value += timedelta(minutes=1)
    api.get("/api/v1/documents", headers=token)
    assert _time(last_used()) == clock.value


def test_finance_does_not_see_where_signing_keys_are(
    api: FlaskClient, engine: Engine, world: dict[str, Any], auth: Any
) -> None:
    """Issuers read by finance carry no signer_* fields; read by an admin they do."""
    issuer = world["issuer"]["id"]
    catalogue.update_issuer(
        engine, issuer, {"signer_p12_path": "/srv/keys/x.p12", "signer_password_file": "/srv/keys/x.pw"}
    )
    for path in ("/api/v1/issuers", f"/api/v1/issuers/{issuer}"):
        as_finance = str(api.get(path, headers=auth("finance")).get_json())
        as_admin = str(api.get(path, headers=auth("admin")).get_json())
        assert "signer_" not in as_finance
        assert "/srv/keys" not in as_finance
        assert "/srv/keys/x.p12" in as_admin
        assert "/srv/keys/x.pw" in as_admin


def test_the_last_active_admin_stays(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """The only active admin can be neither disabled nor demoted (409); once a second admin exists, either can be."""
    admin = world["users"]["admin"]["id"]
    for change in ({"active": False}, {"role": "finance"}):
        refused = api.patch(f"/api/v1/users/{admin}", json=change, headers=auth("admin"))
        assert refused.status_code == 409
        assert "last active admin" in refused.get_json()["message"]
    body = {"username": "quan.tri.2", "full_name": "Admin 2", "role": "admin", "password": "một-quản-trị-thứ-hai"}
    assert api.post("/api/v1/users", json=body, headers=auth("admin", "second-admin")).status_code == 201
    assert api.patch(f"/api/v1/users/{admin}", json={"active": False}, headers=auth("admin")).status_code == 200
    assert api.get("/api/v1/users", headers=auth("admin")).status_code == 401  # its token went with it
    users = {row["username"]: row for row in _users(api, body)}
    assert (users["quan.tri"]["active"], users["quan.tri.2"]["active"]) == (False, True)


def _users(api: FlaskClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    login = api.post("/api/v1/session", json={"username": admin["username"], "password": admin["password"]})
    assert login.status_code == 200
    return list(api.get("/api/v1/users").get_json())
