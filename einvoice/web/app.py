"""The application factory.

Configuration is read in three layers, each overriding the one before: the defaults below, then
``EINVOICE_*`` environment variables (``EINVOICE_DATA_DIR`` sets ``DATA_DIR``; values that parse as
JSON become numbers or booleans), then the mapping the caller passes (tests pass theirs).

Settings of the issuing service: ``DATABASE_URL`` (``EINVOICE_DATABASE_URL``; default the SQLite file under
``DATA_DIR``), ``SECRET_KEY`` (signs session cookies; required in production, made per instance in development),
``TRUST_DIR`` (root certificates trusted when verifying uploads). Tests may pass ``CLOCK`` (a ``now`` callable) and
``TOOLCHAIN``.

Access settings, kept together: ``SESSION_IDLE_MINUTES`` and ``SESSION_MAX_HOURS`` (a session ends after that long
unused, or that long after its login, whatever happens), ``SESSION_COOKIE_SECURE`` (default: on in production),
``PROXY_COUNT`` (how many reverse proxies in front are trusted to say the client's address and scheme; 0 trusts
none), ``TOKEN_DAYS`` (the default lifetime of a new API token).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, request
from flask.wrappers import Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

import einvoice
from einvoice import security_events
from einvoice.cli import main as cli_main
from einvoice.web import auth, errors, public
from einvoice.web import logging as request_logging
from einvoice.web.runtime import RefusedToStart, runtime
from einvoice.web.secret_key import SessionInterface

#: The values ``ENV`` may take. Production refuses development secrets (see ``einvoice.web.runtime``).
ENVIRONMENTS = ("development", "production")

log = logging.getLogger(__name__)
_SOURCE_ROOT = Path(einvoice.__file__).resolve().parent.parent

#: Sent with every answer, the public pages' included.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
#: Sent over HTTPS only: a browser that saw it refuses plain HTTP to this host for a year.
HSTS = "max-age=31536000; includeSubDomains"


class ConfigurationError(SystemExit):
    """A setting that cannot work: start-up stops with this one line on stderr (exit status 1), no traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"einvoice: {message}")


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
        SECRET_KEY=None,  # development: a random key per instance, made on first use (einvoice.web.secret_key)
        DATABASE_URL=None,
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
        # Access (einvoice.web.auth, einvoice.web.proxy): cookies, session lifetimes, proxies, tokens.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=None,  # None: on in production, which sits behind HTTPS
        SESSION_IDLE_MINUTES=60,
        SESSION_MAX_HOURS=12,
        PROXY_COUNT=0,
        TOKEN_DAYS=365,
    )
    app.config.from_prefixed_env("EINVOICE")
    if config is not None:
        app.config.update(config)

    if app.config["ENV"] not in ENVIRONMENTS:
        raise ConfigurationError(f"EINVOICE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {app.config['ENV']!r}")
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["ENV"] == "production"
    # Only recorded here: whatever writes instance data creates the folder when it first needs it.
    data_dir = Path(str(app.config["DATA_DIR"])).resolve()
    app.config["DATA_DIR"] = data_dir
    app.instance_path = str(data_dir)

    app.session_interface = SessionInterface()
    trust_proxies(app)
    request_logging.init_app(app)
    security_events.init_app(app)
    auth.init_app(app)
    from einvoice.web import api, startup

    api.init_app(app)
    app.register_blueprint(public.bp)  # its import loads WeasyPrint as the worker starts, not on a first PDF
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
    """Add the security headers to every answer, and HSTS to those sent over HTTPS."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:  # behind a proxy, as the trusted proxy says (see trust_proxies)
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def trust_proxies(app: Flask) -> None:
    """Believe the ``X-Forwarded-*`` headers of ``PROXY_COUNT`` reverse proxies in front, and no more.

    Then the client address (what the rate limits and the login throttle count) and the scheme (whether HSTS and the
    secure cookie apply) are the real ones. Trusting more proxies than there are would let any client choose its
    address; trusting none behind a proxy would count every client as the proxy.
    """
    count = int(app.config["PROXY_COUNT"])
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)  # type: ignore[method-assign]


def healthz() -> tuple[dict[str, str], int]:
    """Say whether the service can serve documents (200) or not (503, with the reason), and which version it runs."""
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except RefusedToStart:
        return {"status": "not-ready", "reason": "the configuration is refused (see the log)"}, 503
    except (SQLAlchemyError, OSError):
        log.exception("health check: the database cannot be reached")
        return {"status": "not-ready", "reason": "the database cannot be reached"}, 503
    return {"status": "ok", "version": einvoice.__version__}, 200
