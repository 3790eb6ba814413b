"""Fixtures of the public lookup pages: an app on the test database that signs for real, and issued documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from public.lookup_support import make_public_app
from sqlalchemy import Engine


@pytest.fixture
def public_app(engine: Engine, world: dict[str, Any], clock: Callable[[], datetime], tmp_path: Path) -> Iterator[Flask]:
    """Return the app with the world in its database and a generous rate limit."""
    from einvoice.web.runtime import dispose

    app = make_public_app(engine, clock, tmp_path / "data")
    yield app
    dispose(app)


@pytest.fixture
def public(public_app: Flask) -> FlaskClient:
    """Return an anonymous client of the app."""
    return public_app.test_client()


@pytest.fixture
def issue(public_app: Flask, world: dict[str, Any], auth: Any) -> Callable[..., dict[str, Any]]:
    """Return ``issue(kind="receipt")``: issue a document through the API as the cashier and return its JSON."""
    client = public_app.test_client()
    counter = iter(range(1, 1_000))

    def issued(kind: str = "receipt") -> dict[str, Any]:
        if kind == "receipt":
            body: dict[str, Any] = {
                "series_id": world["receipts"]["id"],
                "payer": {"name": "Trần Thị Bích", "citizen_id": "001190000001", "address": "Thôn Chùa, Xã An Khánh"},
                "fees": [{"code": "LP-CT", "quantity": 3}, {"code": "LP-KS", "quantity": 1}],
            }
        else:
            body = {
                "series_id": world["invoices"]["id"],
                "buyer": {"name": "CÔNG TY CỔ PHẦN XYZ", "tax_code": "0309876543", "address": "12 Nguyễn Huệ"},
                "lines": [{"name": "Giấy A4", "quantity": "10", "unit_price": 50000, "vat_rate": "10%", "unit": "Ram"}],
            }
        answer = client.post(f"/api/v1/{kind}s", json=body, headers=auth("cashier", f"public-{next(counter)}"))
        assert answer.status_code == 201, answer.get_json()
        document: dict[str, Any] = answer.get_json()
        return document

    return issued
