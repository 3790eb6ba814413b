"""The one-stop queue at the counter: fee requests waiting, paid and cancelled; search; open one to collect it."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from einvoice.services import fee_requests
from einvoice.web.counter.base import bp, page_actor, staff
from einvoice.web.counter.forms import ActionForm
from einvoice.web.runtime import runtime


@bp.get("/quay/ho-so")
@staff("cashier")
def queue() -> str:
    """The requests of one state (``trang-thai``: waiting by default), filtered by ``tim`` (dossier or payer)."""
    state = request.args.get("trang-thai", "waiting")
    if state not in fee_requests.STATES:
        state = "waiting"
    typed = request.args.get("tim", "").strip()
    found = fee_requests.search(runtime().engine, state=state, text=typed or None)
    return render_template(
        "counter/queue.html",
        actor=page_actor(),
        state=state,
        states=fee_requests.STATES,
        typed=typed,
        requests=found,
        form=ActionForm(),
    )


@bp.post("/quay/ho-so/<int:request_id>/huy")
@staff("cashier")
def cancel(request_id: int) -> Response:
    """Cancel a waiting request (the dossier was withdrawn)."""
    if ActionForm().validate_on_submit():
        fee_requests.cancel(runtime().engine, request_id, runtime().now())
    return redirect(url_for("counter.queue") + "?trang-thai=cancelled")
