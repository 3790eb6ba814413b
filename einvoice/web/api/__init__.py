"""The REST API under ``/api/v1``: flask-smorest blueprints, marshmallow schemas, OpenAPI at ``/api/v1/openapi.json``.

JSON bodies are read with decimals kept exact (``1.1`` is ``Decimal("1.1")``, never a float).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask
from flask import Flask
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

PREFIX = "/api/v1"


class ExactJsonParser(FlaskParser):
    """webargs' Flask parser, reading JSON numbers as ``Decimal`` and refusing what ``json`` cannot read."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return json.loads(req.get_data(cache=True), parse_float=Decimal)
        except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError, int too long, nesting
            return self._handle_invalid_json_error(json.JSONDecodeError(str(error)[:200], "", 0), req)


class Blueprint(SmorestBlueprint):  # type: ignore[misc]  # flask-smorest is untyped
    """A flask-smorest blueprint with the exact JSON parser."""

    ARGUMENTS_PARSER = ExactJsonParser()


IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "description": "A key of your choice (≤ 255 printable ASCII), the same for every retry of this request.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


def init_app(app: Flask) -> Api:
    """Register the API and its OpenAPI document on ``app``."""
    app.config.setdefault("API_TITLE", "einvoice")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearer": []}, {"session": []}],
        },
    )
    api = Api(app)
    from einvoice.web.api import admin, documents, drafts, session, verify

    for module in (session, documents, drafts, verify, admin):
        api.register_blueprint(module.blp)
    return api
