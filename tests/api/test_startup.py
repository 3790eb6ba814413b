"""First start and production safety: `flask prepare` seeds a demo set-up once; production refuses dev secrets."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from flask import Flask

from einvoice.web import create_app
from einvoice.web.runtime import dispose

STRONG_KEY = secrets.token_urlsafe(48)


def _app(data_dir: Path, **config: object) -> Flask:
    return create_app({"TESTING": True, "DATA_DIR": data_dir, "DATABASE_URL": None, **config})


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Run the first start once in a fresh data folder; return the folder and the command's output."""
    data_dir = tmp_path_factory.mktemp("first-start")
    app = _app(data_dir)
    result = app.test_cli_runner().invoke(args=["prepare"])
    dispose(app)
    assert result.exit_code == 0, result.output
    return data_dir, result.output


def test_first_start_seeds_and_prints_the_admin_password_once(seeded: tuple[Path, str]) -> None:
    """The first start creates the SQLite database and prints generated passwords; the second prints none."""
    data_dir, output = seeded
    assert (data_dir / "einvoice.sqlite3").is_file()
    assert re.search(r"admin\s+\S{12,}", output)
    app = _app(data_dir)
    again = app.test_cli_runner().invoke(args=["prepare"])
    dispose(app)
    assert again.exit_code == 0
    assert "admin" not in again.output


def test_seeded_service_issues_a_signed_receipt(seeded: tuple[Path, str]) -> None:
    """With the seeded accounts, series and fees, a cashier logs in and issues a receipt whose signature verifies."""
    from einvoice.xmldoc.verify import verify_document

    data_dir, output = seeded
    password = re.search(r"thu\.ngan\s+(\S+)", output)
    assert password is not None
    app = _app(data_dir)
    client = app.test_client()
    login = client.post("/api/v1/session", json={"username": "thu.ngan", "password": password.group(1)})
    assert login.status_code == 200
    series = next(s for s in client.get("/api/v1/series").get_json() if s["kind"] == "receipt")
    fees = {fee["code"] for fee in client.get("/api/v1/fees").get_json()}
    assert {"LP-CTBS", "LP-KS", "PHI-TTDN"} <= fees
    body = {"series_id": series["id"], "payer": {"name": "Đỗ Thị Mai"}, "fees": [{"code": "LP-CTBS", "quantity": 5}]}
    issued = client.post("/api/v1/receipts", json=body, headers={"Idempotency-Key": "first"})
    assert issued.status_code == 201, issued.get_json()
    assert issued.get_json()["total"] == "10000"
    xml = client.get(issued.get_json()["xml_url"]).data
    dispose(app)
    assert verify_document(xml, allow_development=True).valid


def test_production_refuses_the_development_secret_key(tmp_path: Path) -> None:
    """In production, `prepare` exits 1 explaining that the secret key must be set."""
    app = _app(tmp_path, ENV="production")
    result = app.test_cli_runner().invoke(args=["prepare"])
    dispose(app)
    assert result.exit_code == 1
    assert "EINVOICE_SECRET_KEY" in result.output


def test_production_refuses_a_development_certificate(seeded: tuple[Path, str], tmp_path: Path) -> None:
    """In production with a proper key, an issuer signing with the development certificate stops the start."""
    data_dir, _ = seeded
    app = _app(data_dir, ENV="production", SECRET_KEY=STRONG_KEY)
    result = app.test_cli_runner().invoke(args=["prepare"])
    dispose(app)
    assert result.exit_code == 1
    assert "development certificate" in result.output


def test_production_starts_clean_without_demo_data(tmp_path: Path) -> None:
    """In production with a proper key and an empty database, `prepare` migrates and seeds nothing."""
    app = _app(tmp_path, ENV="production", SECRET_KEY=STRONG_KEY)
    result = app.test_cli_runner().invoke(args=["prepare"])
    dispose(app)
    assert result.exit_code == 0, result.output
    assert "no demo data" in result.output


def test_production_app_started_without_prepare_answers_503(tmp_path: Path) -> None:
    """A production app run directly (no `prepare`) with the development key answers 503 and serves nothing."""
    app = _app(tmp_path, ENV="production")
    answer = app.test_client().get("/api/v1/documents", headers={"Authorization": "Bearer x"})
    dispose(app)
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "refused_to_start"


_FIRST_REQUEST = """
import gc, sys
from einvoice.web import create_app
app = create_app({"DATA_DIR": sys.argv[1], "DATABASE_URL": None, "TESTING": sys.argv[2] == "testing"})
before = gc.get_freeze_count()
client = app.test_client()
assert client.get("/healthz").status_code == 200
first = gc.get_freeze_count()
assert client.get("/healthz").status_code == 200
print(before, first, gc.get_freeze_count())
"""


@pytest.mark.parametrize("mode", ["serving", "testing"])
def test_a_serving_process_freezes_its_long_lived_objects_once(tmp_path: Path, mode: str) -> None:
    """A worker's first request takes the app's objects out of the GC's full collections, once; a test app never."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _FIRST_REQUEST, str(tmp_path), mode], capture_output=True, text=True, check=True
    )
    before, first, second = (int(count) for count in result.stdout.split())
    assert before == 0
    if mode == "testing":
        assert first == 0
    else:
        assert first > 10_000  # the modules and the app, not a handful
    assert second == first  # not again
