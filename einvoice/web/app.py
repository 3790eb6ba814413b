"""The application factory.

Configuration is read in three layers, each overriding the one before: the defaults below, then
``EINVOICE_*`` environment variables (``EINVOICE_DATA_DIR`` sets ``DATA_DIR``; values that parse as
JSON become numbers or booleans), then the mapping the caller passes (tests pass theirs).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

import einvoice
from einvoice.cli import main as cli_main

#: The values ``ENV`` may take. Production will refuse development secrets once there are secrets.
ENVIRONMENTS = ("development", "production")

_SOURCE_ROOT = Path(einvoice.__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """Return where instance data lives unless ``EINVOICE_DATA_DIR`` says otherwise.

    From a source checkout it is ``var/`` beside ``pyproject.toml`` (ignored by git); from an
    installed wheel it is ``var/einvoice`` under the Python prefix, where Flask puts instance
    folders. Never the current directory, so the data does not move with the shell.
    """
    if (_SOURCE_ROOT / "pyproject.toml").is_file():
        return _SOURCE_ROOT / "var"
    return Path(sys.prefix) / "var" / "einvoice"


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the einvoice web app, configured from defaults, then environment, then ``config``."""
    # No static folder yet: assets come with the pages that need them, from the shipped templates.
    app = Flask(__name__, static_folder=None)
    app.config.update(ENV="development", DATA_DIR=default_data_dir())
    app.config.from_prefixed_env("EINVOICE")
    if config is not None:
        app.config.update(config)

    if app.config["ENV"] not in ENVIRONMENTS:
        raise ValueError(f"EINVOICE_ENV must be one of {ENVIRONMENTS}, not {app.config['ENV']!r}")
    # Only recorded here: whatever writes instance data creates the folder when it first needs it.
    data_dir = Path(str(app.config["DATA_DIR"])).resolve()
    app.config["DATA_DIR"] = data_dir
    app.instance_path = str(data_dir)

    app.add_url_rule("/healthz", view_func=healthz)
    app.cli.add_command(cli_main, name="einvoice")
    return app


def healthz() -> dict[str, str]:
    """Say that the service is up, and which version it runs."""
    return {"status": "ok", "version": einvoice.__version__}
