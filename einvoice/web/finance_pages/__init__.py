"""The finance pages: the home chart, reconciliation of a period, the document list, exports, bank statements, reports.

Server-rendered Jinja for the finance role (and the administrator, as the finance API), keyboard-first, CSRF on
every form; one small script of ours (``static/finance.js``) moves an export's progress bar and nothing needs it.
The blueprint and what the pages share are in :mod:`einvoice.web.finance_pages.base`; each page module adds routes.
"""

from __future__ import annotations

from flask import Flask

from einvoice.web.finance_pages import bank_pages, exports, home, reconcile, reports
from einvoice.web.finance_pages.base import bp

__all__ = ["bank_pages", "exports", "home", "init_app", "reconcile", "reports"]


def init_app(app: Flask) -> None:
    """Register the finance pages."""
    app.register_blueprint(bp)
