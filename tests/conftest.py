"""Fixtures shared by the whole suite (flaskr style): the app built for tests and its clients."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from einvoice.web import create_app


@pytest.fixture
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """Return a fresh app in testing mode, its instance data (database, development key) in a folder of its own."""
    return create_app({"TESTING": True, "DATA_DIR": tmp_path_factory.mktemp("instance")})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a runner for the app's ``flask`` commands."""
    return app.test_cli_runner()


# --- Storage, services and API (the issuing service) -------------------------------------------------------------

import os  # noqa: E402 -- the fixtures below are appended; keep the shell's fixtures first
import secrets  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import Engine, create_engine, make_url  # noqa: E402

from einvoice.services import catalogue  # noqa: E402
from einvoice.services.accounts import create_user  # noqa: E402
from einvoice.services.issuing import Actor, Toolchain  # noqa: E402
from einvoice.storage.engine import make_engine, migrate, sqlite_url  # noqa: E402
from einvoice.xmldoc.build import BuiltDocument  # noqa: E402

POSTGRES_ENV = "EINVOICE_TEST_DATABASE_URL"


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> None:
    """Hash test passwords with Argon2id at minimal cost: the suite logs in often, and strength is not tested here."""
    from argon2 import PasswordHasher

    from einvoice.services.accounts import use_password_hasher

    use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


class Clock:
    """A clock the test moves by hand; starts at 2026-03-02 09:00 in Hà Nội."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return the URL of an empty database: SQLite in tmp_path, or a fresh schema of the test PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Return a migrated engine on the test database."""
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _no_signature(built: BuiltDocument, issuer: Any, moment: datetime) -> bytes:
    return built.xml


@pytest.fixture
def tools() -> Toolchain:
    """Return the real validation with a no-op signer: storage tests are about numbering, not signatures."""
    from einvoice.xmldoc.validate import validate_document

    return Toolchain(validate=validate_document, sign=_no_signature)


@pytest.fixture
def clock() -> Clock:
    """Return a hand-moved clock."""
    return Clock()


@pytest.fixture
def world(engine: Engine) -> dict[str, Any]:
    """Create an issuer, a counter, a receipt and an invoice series on it, two fees, a cashier and the other roles."""
    issuer = catalogue.create_issuer(
        engine,
        {
            "name": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH",
            "tax_code": "0109999999",
            "address": "Xã An Khánh, Thành phố Hà Nội",
            "budget_unit_code": "1234567",
            "bank_account": "3713.0.1234567",
            "bank_name": "Kho bạc Nhà nước khu vực I",
        },
    )
    counter = catalogue.create_counter(engine, issuer["id"], "Quầy số 1")
    other_counter = catalogue.create_counter(engine, issuer["id"], "Quầy số 2")
    receipts = catalogue.create_series(
        engine, issuer_id=issuer["id"], kind="receipt", template="EBL01", symbol="26TAA", counter_id=counter["id"]
    )
    invoices = catalogue.create_series(
        engine, issuer_id=issuer["id"], kind="invoice", template="1", symbol="C26TAA", counter_id=counter["id"]
    )
    start = datetime(2026, 1, 1).date()
    for code, name, amount, basis in (
        ("LP-CT", "Lệ phí chứng thực bản sao từ bản chính", "2000", "Thông tư 226/2016/TT-BTC"),
        ("LP-KS", "Lệ phí đăng ký khai sinh", "8000", "Nghị quyết 04/2024/NQ-HĐND"),
    ):
        catalogue.create_fee(
            engine,
            {
                "issuer_id": issuer["id"],
                "code": code,
                "name": name,
                "amount": Decimal(amount),
                "legal_basis": basis,
                "unit": "Bản",
                "per_unit": True,
                "effective_from": start,
            },
        )
    people = {
        "cashier": create_user(
            engine,
            username="thu.ngan",
            full_name="Lê Văn Cường",
            role="cashier",
            counter_id=counter["id"],
            password="mật-khẩu-thu-ngân",
        ),
        "finance": create_user(
            engine, username="ke.toan", full_name="Phạm Thu", role="finance", password="sổ-sách-kế-toán-1"
        ),
        "admin": create_user(
            engine, username="quan.tri", full_name="Admin", role="admin", password="chìa-khóa-quản-trị"
        ),
    }
    cashier = people["cashier"]
    return {
        "issuer": issuer,
        "counter": counter,
        "other_counter": other_counter,
        "receipts": receipts,
        "invoices": invoices,
        "users": people,
        "cashier": Actor(
            cashier["id"], cashier["username"], "cashier", counter["id"], cashier["full_name"], issuer["id"]
        ),
    }


@pytest.fixture
def api_app(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Clock, tmp_path: Path) -> Iterator[Flask]:
    """Return an app on the test database (with the world in it), the test toolchain and the hand-moved clock."""
    from einvoice.web.runtime import dispose

    config = {
        "TESTING": True,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "DATA_DIR": tmp_path / "data",
        "TOOLCHAIN": tools,
        "CLOCK": clock,
    }
    app = create_app(config)
    yield app
    dispose(app)


@pytest.fixture
def api(api_app: Flask) -> FlaskClient:
    """Return a test client of the API app."""
    return api_app.test_client()


@pytest.fixture
def tokens(engine: Engine, world: dict[str, Any]) -> dict[str, str]:
    """Return an API token for each role of the world's users."""
    from einvoice.services.accounts import create_token

    return {role: create_token(engine, user["id"], f"test {role}")[0] for role, user in world["users"].items()}


@pytest.fixture
def auth(tokens: dict[str, str]) -> Any:
    """Return ``auth(role, key=None)``: the headers of a request by that role (with an Idempotency-Key if given)."""

    def headers(role: str, key: str | None = None) -> dict[str, str]:
        found = {"Authorization": f"Bearer {tokens[role]}"} if role != "anonymous" else {}
        if key is not None:
            found["Idempotency-Key"] = key
        return found

    return headers
