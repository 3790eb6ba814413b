"""Exactly-once creating requests: the ``Idempotency-Key`` header, checked and answered here for every creating POST.

Same key and same body → the stored answer, byte for byte; same key, other body → 422; the first request with that
key still running → 409; no key → 400. Keys belong to the user who sent them. Issuing views store their answer in the
issuing transaction (:func:`store_in`); for the others this wrapper stores it once the view has answered. Answers
that a retry could change (409, 5xx) are not kept: the key is released and the retry runs again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request
from flask.wrappers import Response
from sqlalchemy.engine import Connection

from einvoice.domain.errors import Problem
from einvoice.services import idempotency
from einvoice.services.idempotency import Held, StoredResponse
from einvoice.web.auth import current_actor
from einvoice.web.errors import error_response
from einvoice.web.runtime import runtime

F = TypeVar("F", bound=Callable[..., Any])
HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_MISSING = Problem(
    "IDEMPOTENCY_KEY_MISSING",
    f"headers.{HEADER}",
    f"Thiếu tiêu đề {HEADER}: mỗi yêu cầu tạo mới phải có một khóa riêng để không bị thực hiện hai lần",
    f"the {HEADER} header is required on this request",
)
_INVALID = Problem(
    "IDEMPOTENCY_KEY_INVALID",
    f"headers.{HEADER}",
    f"Tiêu đề {HEADER} phải có từ 1 đến 255 ký tự ASCII in được",
    f"the {HEADER} header: 1 to 255 printable ASCII",
)
#: Answers worth keeping: a retry would get the same one.
_KEPT = {200, 201, 400, 404, 422}


def _fingerprint() -> str:
    body = request.get_data(cache=True)
    try:
        canonical = json.dumps(
            json.loads(body, parse_float=Decimal), sort_keys=True, separators=(",", ":"), default=str
        ).encode()
    except (ValueError, RecursionError):
        canonical = body
    return idempotency.request_hash(request.method, request.path, canonical)


def replay(answer: StoredResponse, *, replayed: bool = False) -> Response:
    """Return a stored answer as a response, body unchanged."""
    response = Response(answer.body, status=answer.status_code, content_type=answer.content_type)
    if answer.location:
        response.headers["Location"] = answer.location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def json_answer(status: int, payload: Any, location: str | None = None) -> StoredResponse:
    """Return the answer ``payload`` makes as JSON bytes, ready to store and send."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return StoredResponse(status, "application/json", location, body)


def store_in(conn: Connection, answer: StoredResponse, document_id: int | None) -> None:
    """Store the answer inside the caller's transaction (the issuing one), if the request holds a key."""
    held: Held | None = g.get("idempotency")
    if held is not None:
        idempotency.complete(conn, held, answer, document_id)
        g.idempotency_stored = True  # counts only if the view then returns: an exception means rollback


def _run_once(held: Held, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    """Run the view holding the key; keep its answer, or release the key for a retry."""
    engine = runtime().engine
    g.idempotency = held
    try:
        response = current_app.make_response(view(*args, **kwargs))
        if g.get("idempotency_stored"):
            return response
    except Exception as error:  # answered by the app's handlers, then kept or released
        response = current_app.make_response(current_app.handle_user_exception(error))
    if response.status_code in _KEPT and not response.direct_passthrough:
        answer = StoredResponse(
            response.status_code, response.content_type or "", response.headers.get("Location"), response.get_data()
        )
        idempotency.complete_now(engine, held, answer)
        return replay(answer)
    idempotency.release(engine, held)
    return response


def idempotent(view: F) -> F:
    """Run ``view`` at most once per (user, Idempotency-Key); see the module docstring."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None or not _KEY.match(key):
            problem = _MISSING if key is None else _INVALID
            return error_response(400, problem.code.lower(), problem.message_en, (problem,))
        engine = runtime().engine
        actor = current_actor()
        assert actor.user_id is not None
        found = idempotency.hold(engine, actor.user_id, key, _fingerprint())
        if isinstance(found, StoredResponse):
            return replay(found, replayed=True)
        try:
            return _run_once(found, view, *args, **kwargs)
        finally:
            idempotency.let_go(found)  # after the answer's commit: a retry from now on finds it

    return cast(F, wrapper)
