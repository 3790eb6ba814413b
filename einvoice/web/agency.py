"""The agency the public pages name in their header: its name and, when configured, its logo.

``PUBLIC_AGENCY_NAME`` names it; without it, the issuer's name when the service issues for exactly one issuer (looked
up once per process). ``PUBLIC_AGENCY_LOGO`` is the path of a PNG, JPEG or SVG file, served at ``/tra-cuu/logo``.
A document's own page names the document's issuer instead.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, send_file
from sqlalchemy import select

from einvoice.storage.schema import issuers
from einvoice.web.runtime import runtime, settings_of

_EXTENSION = "einvoice.public.agency"
_LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def agency() -> dict[str, Any]:
    """Return ``{"name", "logo"}`` for the header of the public pages."""
    settings = settings_of()
    name = settings.public_agency_name or current_app.extensions.get(_EXTENSION)
    if name is None:
        with runtime().engine.connect() as conn:
            names = conn.execute(select(issuers.c.name).limit(2)).scalars().all()
        name = current_app.extensions[_EXTENSION] = names[0] if len(names) == 1 else ""
    return {"name": name, "logo": settings.public_agency_logo is not None}


def logo() -> Response:
    """Send the configured logo (404 when none is configured or the file is not an image we serve)."""
    path = settings_of().public_agency_logo
    if path is None or path.suffix.lower() not in _LOGO_TYPES or not path.is_file():
        abort(404)
    return send_file(path.resolve(), mimetype=_LOGO_TYPES[path.suffix.lower()], max_age=3600)


def init_blueprint(bp: Blueprint) -> None:
    """Give the pages of ``bp`` the ``agency`` mapping, and serve the logo at ``/tra-cuu/logo``."""
    bp.context_processor(lambda: {"agency": agency()})
    bp.add_url_rule("/tra-cuu/logo", "agency_logo", logo)
