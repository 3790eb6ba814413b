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
from werkzeug.routing import IntegerConverter, Map

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1


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


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id, 1 to 2³¹−1; anything larger is a 404, never an overflow in the database."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def _id_schema(converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


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
    app.url_map.converters["id"] = IdConverter
    api = Api(app)
    api.register_converter(IdConverter, _id_schema)
    from einvoice.web.api import admin, corrections, documents, drafts, session, transmission, verify

    for module in (session, documents, corrections, drafts, verify, admin, transmission):
        api.register_blueprint(module.blp)
    return api
