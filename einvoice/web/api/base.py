"""What every blueprint of the API shares: its prefix, the blueprint class with the exact JSON parser, the row-id
converter and the ``Idempotency-Key`` header.

JSON bodies are read with decimals kept exact (``1.1`` is ``Decimal("1.1")``, never a float). The blueprint modules
import from here, never from the package, so that the package may import them (no import circle).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask
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


def id_schema(converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": True,
    "description": "A key of your choice (≤ 255 printable ASCII), the same for every retry of this request.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}
