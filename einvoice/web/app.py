"""The application factory.

Configuration is :class:`einvoice.settings.Settings` (one table of every key, read from ``EINVOICE_*`` variables,
then from the mapping the caller passes): ``settings_of(app)`` returns it typed, and ``app.config`` mirrors it under
the upper-case keys for Flask. Keys of the mapping that are not settings go to ``app.config`` as they are: Flask's
own (``TESTING``, ``MAX_CONTENT_LENGTH``), and what tests inject, ``CLOCK`` (a ``now`` callable) and ``TOOLCHAIN``.
A malformed setting (``EINVOICE_ENV=prod``) raises :class:`~einvoice.settings.SettingsError`, which ``wsgi.py`` turns
into one line on stderr.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
from collections.abc import Mapping

from flask import Flask, request
from flask.wrappers import Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

import einvoice
from einvoice import security_events
from einvoice.cli import main as cli_main
from einvoice.settings import default_data_dir, load_settings
from einvoice.web import auth, counter, errors, finance_pages, public
from einvoice.web import logging as request_logging
from einvoice.web.runtime import SETTINGS_EXTENSION, RefusedToStart, runtime, settings_of
from einvoice.web.secret_key import SessionInterface

__all__ = ["create_app", "default_data_dir", "settings_of"]

log = logging.getLogger(__name__)

#: What a multipart form adds around an uploaded file (boundaries, headers, the other fields), in bytes.
FORM_ALLOWANCE = 64 * 1024

#: Sent with every answer, the public pages' included.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
#: Sent over HTTPS only: a browser that saw it refuses plain HTTP to this host for a year.
HSTS = "max-age=31536000; includeSubDomains"


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the einvoice web app, configured from defaults, then environment, then ``config``."""
    # No static folder yet: assets come with the pages that need them, from the shipped templates.
    app = Flask(__name__, static_folder=None)
    settings = load_settings(overrides=config)
    # Only recorded here: whatever writes instance data creates the folder when it first needs it.
    settings = dataclasses.replace(settings, data_dir=settings.data_dir.resolve())
    app.extensions[SETTINGS_EXTENSION] = settings
    app.config.update(settings.as_config(), MAX_CONTENT_LENGTH=settings.max_upload_bytes + FORM_ALLOWANCE)
    # Flask's cookie flags; production sits behind HTTPS, so there the cookie never travels in clear.
    secure = settings.session_cookie_secure
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production" if secure is None else secure,
    )
    if config is not None:
        app.config.update({key: value for key, value in config.items() if key not in settings.as_config()})
    app.instance_path = str(settings.data_dir)

    app.session_interface = SessionInterface()
    trust_proxies(app)
    request_logging.init_app(app)
    security_events.init_app(app)
    auth.init_app(app)
    from einvoice.web import api, startup

    api.init_app(app)
    app.register_blueprint(public.bp)  # its import loads WeasyPrint as the worker starts, not on a first PDF
    counter.init_app(app)  # the staff pages, `/` and the pages' Vietnamese 404
    finance_pages.init_app(app)  # the finance role's pages
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
    count = settings_of(app).proxy_count
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
