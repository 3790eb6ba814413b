"""Fixtures of the finance pages: the staff pages' app, a generated day of receipts, finance signed in."""

from __future__ import annotations

from typing import Any

import pytest
from counter.conftest import PASSWORDS, counter_app, live_url, sign_in
from flask import Flask
from flask.testing import FlaskClient

from tests.finance.conftest import day

__all__ = ["counter_app", "day", "finance", "live_url"]


@pytest.fixture
def finance(counter_app: Flask, world: dict[str, Any]) -> FlaskClient:
    """Return a client signed in through the page as the world's finance user."""
    client = counter_app.test_client()
    sign_in(client, world["users"]["finance"]["username"], PASSWORDS["finance"])
    return client
