"""The OpenAPI document as the API really answers, and its interactive reading (Swagger UI) from local files.

Errors: every error is ``{status, code, message, problems}`` (``einvoice.web.errors``), so the document's error schema
says so (flask-smorest's default has an integer ``code`` and an ``errors`` object), and each operation lists the
errors it can answer: 401 and 403 unless it is public, 404 when its path names a resource, 409 and 422 when it writes.
Swagger UI comes from the ``swagger-ui-bundle`` package, served under ``/api/v1/docs/`` (no CDN; CSP unchanged but
for the inline styles Swagger UI sets).
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, send_from_directory
from flask_smorest import Api
from marshmallow import Schema, fields
from werkzeug.wrappers import Response

from einvoice.web.api.base import PREFIX


class ProblemSchema(Schema):
    """One problem: a stable code, the field or XML path, and the message in Vietnamese and English."""

    code = fields.String(required=True, metadata={"example": "payment_method"})
    path = fields.String(required=True, metadata={"example": "payment_method"})
    message_vi = fields.String(required=True, metadata={"example": "Hình thức thanh toán phải là một trong các mã: …"})
    message_en = fields.String(required=True, metadata={"example": "payment method must be one of TM, CK, …"})


class ErrorSchema(Schema):
    """Every error answer of the API."""

    status = fields.Integer(required=True, metadata={"example": 422})
    code = fields.String(required=True, metadata={"example": "invalid_request"})
    message = fields.String(required=True, metadata={"example": "the request is not valid"})
    problems = fields.List(fields.Nested(ProblemSchema), metadata={"description": "every problem found, at once"})
    request_id = fields.String(metadata={"description": "only on 5xx: quote it to the operators"})


class EinvoiceApi(Api):  # type: ignore[misc]  # flask-smorest is untyped
    """flask-smorest's Api with the project's error schema."""

    ERROR_SCHEMA = ErrorSchema


_WRITES = {"post", "put", "patch", "delete"}


def document_errors(api: EinvoiceApi) -> None:
    """List on each operation the error statuses it can answer, with the error schema."""
    spec = api.spec
    for path, operations in spec._paths.items():
        for method, operation in operations.items():
            if method not in _WRITES | {"get"}:
                continue
            statuses = []
            if operation.get("security") != []:
                statuses += [401, 403]
            if "{" in path:
                statuses.append(404)
            if method in _WRITES:
                statuses += [409, 422]
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(str(status), spec.components.get_ref("response", HTTPStatus(status).name))


def _swagger_dir() -> Path:
    import swagger_ui_bundle  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return Path(swagger_ui_bundle.swagger_ui_path)


docs = Blueprint("api_docs", __name__)
_DOCS_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"


@docs.get(f"{PREFIX}/docs")
def swagger_page() -> Response:
    """The API's interactive documentation (Swagger UI), every file served from here."""
    page = render_template("counter/api_docs.html", spec_url=f"{PREFIX}/openapi.json")
    return Response(page, mimetype="text/html", headers={"Content-Security-Policy": _DOCS_CSP})


@docs.get(f"{PREFIX}/docs/<path:filename>")
def swagger_file(filename: str) -> Response:
    """Swagger UI's own files (scripts, styles, icons)."""
    answer: Any = send_from_directory(_swagger_dir(), filename, max_age=86400)
    return answer  # type: ignore[no-any-return]
