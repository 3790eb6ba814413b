"""Fixtures shared by the whole suite (flaskr style): the app built for tests and its clients."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from einvoice.web import create_app


@pytest.fixture
def app() -> Flask:
    """Return a fresh app in testing mode."""
    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Return a runner for the app's ``flask`` commands."""
    return app.test_cli_runner()
