"""The application factory.

Configuration is read in three layers, each overriding the one before: the defaults below, then
``EINVOICE_*`` environment variables (``EINVOICE_DATA_DIR`` sets ``DATA_DIR``; values that parse as
JSON become numbers or booleans), then the mapping the caller passes (tests pass theirs).

Settings of the issuing service: ``DATABASE_URL`` (``EINVOICE_DATABASE_URL``; default the SQLite file under
``DATA_DIR``), ``SECRET_KEY`` (signs session cookies; production refuses the development one), ``TRUST_DIR`` (root
certificates trusted when verifying uploads). Tests may pass ``CLOCK`` (a ``now`` callable) and ``TOOLCHAIN``.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from flask.wrappers import Response

import einvoice
from einvoice import security_events
from einvoice.cli import main as cli_main
from einvoice.web import auth, counter, errors, public
from einvoice.web import logging as request_logging
from einvoice.web.runtime import DEV_SECRET_KEY

#: The values ``ENV`` may take. Production refuses development secrets (see ``einvoice.web.runtime``).
ENVIRONMENTS = ("development", "production")

_SOURCE_ROOT = Path(einvoice.__file__).resolve().parent.parent

#: Sent with every answer, the public pages' included.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


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
    app.config.update(
        ENV="development",
        DATA_DIR=default_data_dir(),
        SECRET_KEY=DEV_SECRET_KEY,
        DATABASE_URL=None,
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
    )
    app.config.from_prefixed_env("EINVOICE")
    if config is not None:
        app.config.update(config)

    if app.config["ENV"] not in ENVIRONMENTS:
        raise ValueError(f"EINVOICE_ENV must be one of {ENVIRONMENTS}, not {app.config['ENV']!r}")
    # Only recorded here: whatever writes instance data creates the folder when it first needs it.
    data_dir = Path(str(app.config["DATA_DIR"])).resolve()
    app.config["DATA_DIR"] = data_dir
    app.instance_path = str(data_dir)

    request_logging.init_app(app)
    security_events.init_app(app)
    auth.init_app(app)
    from einvoice.web import api, startup

    api.init_app(app)
    app.register_blueprint(public.bp)  # its import loads WeasyPrint as the worker starts, not on a first PDF
    counter.init_app(app)  # the staff pages, `/` and the pages' Vietnamese 404
    errors.init_app(app)  # after the API: its handlers replace flask-smorest's
    app.after_request(security_headers)
    if not app.testing:
        app.before_request(settle_memory)
    app.add_url_rule("/healthz", view_func=healthz)
    app.cli.add_command(cli_main, name="einvoice")
    app.cli.add_command(startup.prepare_command)
    return app


_settled_in: int | None = None  # the process that has run settle_memory


def settle_memory() -> None:
    """Once per process, before its first request: take the objects that live as long as it out of the GC's sight.

    Modules, the app, its schemas and the database machinery are ~140 000 objects, all made by ``create_app``; every
    full collection walked them all, a ~50 ms pause for whichever request triggered it (the p99 of the issuing
    benchmark). Collected once, then frozen (``gc.freeze``), they are never walked again; what requests make is
    collected as before. Per process, not at import: gunicorn may fork after ``create_app``; not when testing: a
    test suite's apps come and go.
    """
    global _settled_in
    if _settled_in == os.getpid():
        return
    _settled_in = os.getpid()
    gc.collect()
    gc.freeze()


def security_headers(response: Response) -> Response:
    """Add the security headers to every answer."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def healthz() -> dict[str, str]:
    """Say that the service is up, and which version it runs."""
    return {"status": "ok", "version": einvoice.__version__}
