"""The app shell: the health page, how configuration is layered, the CLI mounted on flask."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

import einvoice
from einvoice.web import create_app
from einvoice.web.app import default_data_dir


def test_healthz_reports_ok_and_version(client: FlaskClient) -> None:
    """/healthz answers 200 with JSON naming the running version."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok", "version": einvoice.__version__}


def test_defaults_apply_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no EINVOICE_ variables the app runs in development with the default data folder."""
    monkeypatch.delenv("EINVOICE_ENV", raising=False)
    monkeypatch.delenv("EINVOICE_DATA_DIR", raising=False)
    app = create_app()
    assert app.config["ENV"] == "development"
    assert app.config["DATA_DIR"] == default_data_dir().resolve()
    assert app.instance_path == str(app.config["DATA_DIR"])


def test_default_data_dir_in_a_checkout_is_var_beside_pyproject() -> None:
    """From the source tree, instance data goes to the git-ignored var/ at the repository root."""
    assert default_data_dir() == Path(__file__).resolve().parents[2] / "var"


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """EINVOICE_ variables override the defaults, and creating the app creates no data folder."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("EINVOICE_ENV", "production")
    monkeypatch.setenv("EINVOICE_DATA_DIR", str(data_dir))
    app = create_app()
    assert app.config["ENV"] == "production"
    assert app.config["DATA_DIR"] == data_dir
    assert not data_dir.exists()


def test_explicit_config_overrides_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mapping passed to create_app wins over the environment."""
    monkeypatch.setenv("EINVOICE_ENV", "production")
    app = create_app({"ENV": "development", "TESTING": True})
    assert app.config["ENV"] == "development"
    assert app.testing


def test_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt EINVOICE_ENV stops start-up instead of running half-configured."""
    monkeypatch.setenv("EINVOICE_ENV", "prod")
    with pytest.raises(ValueError, match="EINVOICE_ENV"):
        create_app()


def test_app_fixture_is_in_testing_mode(app: Flask) -> None:
    """The shared app fixture is built with TESTING on."""
    assert app.testing


def test_einvoice_cli_is_mounted_on_flask(runner: FlaskCliRunner) -> None:
    """`flask --app wsgi einvoice --help` lists the einvoice command group."""
    result = runner.invoke(args=["einvoice", "--help"])
    assert result.exit_code == 0, result.output
    assert "e-invoices" in result.output
