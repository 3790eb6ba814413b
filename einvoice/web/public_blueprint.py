"""The blueprint of the public pages, with what every one of them gets: the shared rate limit and the agency header.

Its views live in :mod:`einvoice.web.public` (lookup) and :mod:`einvoice.web.public_check` (checking a file).
"""

from __future__ import annotations

from flask import Blueprint

from einvoice.resources import templates_dir
from einvoice.web import agency, ratelimit

bp = Blueprint(
    "public",
    __name__,
    template_folder=str(templates_dir()),
    static_folder="static",
    static_url_path="/static/tra-cuu",
)
ratelimit.init_blueprint(bp)
agency.init_blueprint(bp)
