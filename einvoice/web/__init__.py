"""The web layer: the application factory (and, as they come, its blueprints)."""

from einvoice.web.app import create_app

__all__ = ["create_app"]
