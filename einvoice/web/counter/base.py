"""What the staff pages share: the blueprint, who is signed in, the role guard, ``/`` and the pages' error answers.

Server-rendered Jinja with Flask-WTF forms (CSRF token in each); a little JavaScript from our own static folder
enhances the counter (fee search as you type, shortcut keys) and nothing needs it. The session is the API's
(``session["user_id"]``, set by signing in here or by ``POST /api/v1/session``); each page names the roles it lets in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from einvoice.domain.vntime import local_date
from einvoice.render.context import format_datetime
from einvoice.services.errors import ConflictError, ForbiddenError, NotFoundError
from einvoice.services.issuing import Actor
from einvoice.web.auth import session_actor
from einvoice.web.errors import error_response
from einvoice.web.runtime import runtime
from einvoice.xmldoc.dsig import VIETNAM_TIME

bp = Blueprint("counter", __name__, static_folder="static", static_url_path="/static/quay")
F = TypeVar("F", bound=Callable[..., Any])
HOME = {"cashier": "counter.home", "finance": "finance_pages.home", "admin": "counter.settings"}


def page_actor() -> Actor | None:
    """Return the signed-in user of this request (from the session), or ``None``."""
    if "page_actor" not in g:
        g.page_actor = session_actor()
    return cast(Actor | None, g.page_actor)


def counter_day() -> date:
    """The day whose receipts of their counter a cashier sees on these pages, any colleague's: today in Vietnam."""
    return local_date(runtime().now())


def local_time(moment: datetime | None) -> str:
    """Return a stored UTC moment as the counter reads it: Hà Nội time, dd/mm/yyyy hh:mm."""
    return format_datetime(moment.astimezone(VIETNAM_TIME) if moment is not None else None)


def staff(*roles: str) -> Callable[[F], F]:
    """Let in signed-in users with one of ``roles``; send others to sign in (403 page for a wrong role)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            actor = page_actor()
            if actor is None:
                return redirect(url_for("counter.login", next=request.path))
            if actor.role not in roles:
                return render_template("counter/forbidden.html", actor=actor), 403
            return view(*args, **kwargs)

        guarded.einvoice_roles = roles  # type: ignore[attr-defined]
        return cast(F, guarded)

    return decorate


@bp.get("/")
def root() -> Response:
    """Send a signed-in user to their work, anyone else to the public lookup page."""
    actor = page_actor()
    if actor is None:
        return redirect(url_for("public.lookup_form"))
    return redirect(url_for(HOME.get(actor.role, "public.lookup_form")))


@bp.get("/quan-tri")
@staff("admin")
def settings() -> str:
    """The administrator's settings (their pages come with the settings issue)."""
    return render_template("counter/placeholder.html", actor=page_actor(), title="Cài đặt")


def not_found(error: NotFound) -> Response | tuple[str, int]:
    """Unknown pages answer a Vietnamese page; the API keeps its JSON 404."""
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", error.description or "")
    return render_template("counter/not_found.html", actor=None), 404


def csrf_failed(error: CSRFError) -> tuple[str, int]:
    """A form whose CSRF token is missing or stale: nothing was done; say so in Vietnamese."""
    return render_template("counter/csrf.html", actor=None), 400


@bp.errorhandler(NotFoundError)
def _missing(error: NotFoundError) -> tuple[str, int]:
    return render_template("counter/not_found.html", actor=page_actor()), 404


@bp.errorhandler(ForbiddenError)
def _forbidden(error: ForbiddenError) -> tuple[str, int]:
    return render_template("counter/forbidden.html", actor=page_actor()), 403


@bp.errorhandler(ConflictError)
def _conflict(error: ConflictError) -> tuple[str, int]:
    return render_template("counter/conflict.html", actor=page_actor(), reason=str(error)), 409
