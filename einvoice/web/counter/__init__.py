"""The staff pages: sign in, the cashier's counter, the shift, the one-stop queue; ``/`` and the pages' 404.

Server-rendered Jinja with Flask-WTF forms (CSRF token in each); a little JavaScript from our own static folder
enhances the counter (fee search as you type, shortcut keys) and nothing needs it. The blueprint and what the pages
share are in :mod:`einvoice.web.counter.base`; each page module adds its routes to it.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFError, generate_csrf

from einvoice.web.counter import correction_pages, pages, queue_pages, shift_pages
from einvoice.web.counter.base import bp, csrf_failed, not_found

__all__ = ["correction_pages", "init_app", "pages", "queue_pages", "shift_pages"]


def init_app(app: Flask) -> None:
    """Register the pages, and the Vietnamese 404 for everything outside the API."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a counter page stays open all shift: the session bounds it
    app.jinja_env.globals["csrf_token"] = generate_csrf  # forms outside a FlaskForm (sign out, cancel) carry it too
    app.register_blueprint(bp)
    app.register_error_handler(404, not_found)
    app.register_error_handler(CSRFError, csrf_failed)
