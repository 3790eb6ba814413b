"""Every error becomes one JSON shape, mapped from the exception tree in this one place.

``{"status": 422, "code": "invalid_document", "message": "…", "problems": [{"code", "path", "message_vi",
"message_en"}, …]}``. Each branch of the exception tree answers the status drawn beside it in
:mod:`einvoice.domain.errors`; request bodies that fail their schema → 422 with one problem per field; malformed
JSON → 400; a database that cannot be reached → 503 with ``Retry-After``; an unexpected exception → 500 with the
request id (and the traceback in the log, never in the answer).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, jsonify
from flask.wrappers import Response
from marshmallow import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from einvoice.domain.errors import InvalidDocumentError, Problem, UnsafeInputError
from einvoice.domain.lifecycle import IllegalTransition
from einvoice.jsondoc.problems import problems_of
from einvoice.render.errors import RenderError
from einvoice.services.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RequestProblemsError,
    ServiceError,
)
from einvoice.signing.base import SigningError
from einvoice.web.logging import security_event
from einvoice.web.runtime import RefusedToStart

log = logging.getLogger("einvoice.web")

#: What a 503 for an unreachable database tells clients to wait before retrying.
DATABASE_RETRY_AFTER_SECONDS = 2


def error_response(status: int, code: str, message: str, problems: tuple[Problem, ...] = ()) -> Response:
    """Return the JSON error answer."""
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if problems:
        body["problems"] = [p.as_dict() for p in problems]
    if status >= 500:
        body["request_id"] = g.get("request_id")
    response = jsonify(body)
    response.status_code = status
    return response


def schema_problems(messages: Any) -> tuple[Problem, ...]:
    """Turn webargs messages (by location, then field) into problems; a JSON body's fields keep their own path."""
    problems: list[Problem] = []
    for location, fields in messages.items() if isinstance(messages, Mapping) else (("json", messages),):
        problems += problems_of(fields, "" if location == "json" else str(location))
    return tuple(problems)


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""

    @app.errorhandler(InvalidDocumentError)
    def _invalid_document(error: InvalidDocumentError) -> Response:
        return error_response(422, "invalid_document", "the document has problems", error.problems)

    @app.errorhandler(UnsafeInputError)
    def _unsafe_input(error: UnsafeInputError) -> Response:
        return error_response(422, "unsafe_input", "the XML was refused before it was read", (error.problem,))

    @app.errorhandler(RequestProblemsError)
    def _request_problems(error: RequestProblemsError) -> Response:
        return error_response(422, "invalid_request", "the request cannot be carried out", error.problems)

    @app.errorhandler(NotFoundError)
    def _not_found(error: NotFoundError) -> Response:
        return error_response(404, "not_found", str(error))

    @app.errorhandler(ForbiddenError)
    def _forbidden(error: ForbiddenError) -> Response:
        security_event("forbidden", reason=str(error))
        return error_response(403, "forbidden", str(error))

    @app.errorhandler(ConflictError)
    def _conflict(error: ConflictError) -> Response:
        return error_response(409, "conflict", str(error))

    @app.errorhandler(IllegalTransition)
    def _illegal(error: IllegalTransition) -> Response:
        found = Problem("illegal_transition", "document", error.message_vi, error.message_en)
        return error_response(409, "illegal_transition", error.message_en, (found,))

    @app.errorhandler(ServiceError)
    def _service(error: ServiceError) -> Response:
        return error_response(422, "invalid_request", str(error))

    @app.errorhandler(RefusedToStart)
    def _refused(error: RefusedToStart) -> Response:
        log.critical("refusing to serve: %s", error)
        return error_response(503, "refused_to_start", "the service is not configured safely for production")

    @app.errorhandler(SigningError)
    def _signing(error: SigningError) -> Response:
        log.error("signing failed: %s", error, extra={"request_id": g.get("request_id")})
        return error_response(503, "signing_unavailable", f"the document could not be signed: {error}")

    @app.errorhandler(RenderError)
    def _render(error: RenderError) -> Response:
        log.error("rendering failed: %s", error, extra={"request_id": g.get("request_id")})
        return error_response(503, "render_unavailable", "the document could not be printed now; it is unchanged")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(error: OperationalError | InterfaceError) -> Response:
        # A database that is down or restarting (PostgreSQL) or locked past the busy timeout (SQLite): nothing was
        # committed, the client may retry (with the same Idempotency-Key) once the pool has reconnected.
        log.error("database unavailable: %s", error.orig, extra={"request_id": g.get("request_id")})
        response = error_response(503, "database_unavailable", "the database is unavailable; retry shortly")
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(ValidationError)
    def _validation(error: ValidationError) -> Response:
        return error_response(422, "invalid_request", "the request is not valid", problems_of(error.messages))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") if isinstance(data, Mapping) else None
        if status == 422 and messages:
            return error_response(
                422, "invalid_request", "the request does not match its schema", schema_problems(messages)
            )
        if status == 400 and messages:
            return error_response(400, "bad_request", "the request cannot be read", schema_problems(messages))
        response = error_response(status, (error.name or "error").lower().replace(" ", "_"), error.description or "")
        for header in ("Allow", "Retry-After"):  # 405 names the methods allowed, 429 when to come back
            if header in error.get_response().headers:
                response.headers[header] = error.get_response().headers[header]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error", extra={"request_id": g.get("request_id")})
        return error_response(500, "internal_error", "unexpected error; quote the request id to the operators")
