"""Fixtures of the lifecycle tests: an uncoded invoice series, a second cashier, and small request bodies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from einvoice.services import catalogue
from einvoice.services.accounts import create_token, create_user


@pytest.fixture
def uncoded(engine: Engine, world: dict[str, Any]) -> dict[str, Any]:
    """Return an uncoded invoice series (K26TAA) on the world's counter: its invoices need no authority code."""
    return catalogue.create_series(
        engine,
        issuer_id=world["issuer"]["id"],
        kind="invoice",
        template="1",
        symbol="K26TAA",
        counter_id=world["counter"]["id"],
    )


@pytest.fixture
def other_cashier(engine: Engine, world: dict[str, Any]) -> dict[str, str]:
    """Return the headers of a cashier of the world's other counter."""
    user = create_user(
        engine,
        username="thu.ngan.2",
        full_name="Đỗ Thị Hoa",
        role="cashier",
        counter_id=world["other_counter"]["id"],
        password="mật-khẩu-quầy-2",
    )
    return {"Authorization": f"Bearer {create_token(engine, user['id'], 'quầy 2')[0]}"}
