"""The shift: receipts by payment method, cash counted against cash expected, transfers; close and print the report."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from werkzeug.wrappers import Response

from einvoice.domain import payments
from einvoice.render.context import format_number
from einvoice.render.pdf import html_to_pdf
from einvoice.services import shifts
from einvoice.services.errors import NotFoundError
from einvoice.web.counter.base import bp, local_time, page_actor, staff
from einvoice.web.counter.forms import CloseShiftForm
from einvoice.web.printing import inline_pdf
from einvoice.web.runtime import runtime


def _render(template: str, summary: shifts.ShiftSummary, form: CloseShiftForm | None = None, **extra: object) -> str:
    return render_template(
        template,
        actor=page_actor(),
        s=summary,
        form=form,
        words=payments.words,
        format_number=format_number,
        local=local_time,
        **extra,
    )


@bp.get("/quay/ca")
@staff("cashier")
def shift() -> Response | str:
    """The open shift of the cashier's counter, with the form to close it."""
    actor = page_actor()
    assert actor is not None
    current = shifts.current_shift(runtime().engine, actor.counter_id or 0)
    if current is None:
        return render_template("counter/no_shift.html", actor=actor)
    return _render("counter/shift.html", shifts.summary(runtime().engine, current["id"], actor), CloseShiftForm())


@bp.post("/quay/ca/<int:shift_id>/dong")
@staff("cashier")
def close(shift_id: int) -> Response | str | tuple[str, int]:
    """First post: show what closing will record; the confirmation's post closes the shift."""
    actor = page_actor()
    assert actor is not None
    engine = runtime().engine
    summary = shifts.summary(engine, shift_id, actor)
    form = CloseShiftForm()
    if not form.validate_on_submit():
        return _render("counter/shift.html", summary, form), 422
    if summary.shift["closed_at"] is not None:
        return redirect(url_for("counter.shift_view", shift_id=shift_id))
    if form.confirmed.data != "1":
        form.confirmed.data = "1"
        return _render("counter/shift_confirm.html", summary, form, counted=form.cash_counted.data)
    shifts.close_shift(engine, shift_id, actor, form.cash_counted.data, runtime().now())
    return redirect(url_for("counter.shift_view", shift_id=shift_id))


@bp.get("/quay/ca/<int:shift_id>")
@staff("cashier", "finance", "admin")
def shift_view(shift_id: int) -> str:
    """A shift read-only (a closed one cannot change)."""
    actor = page_actor()
    assert actor is not None
    return _render("counter/shift.html", shifts.summary(runtime().engine, shift_id, actor))


@bp.get("/quay/ca/<int:shift_id>/bao-cao.pdf")
@staff("cashier", "finance", "admin")
def shift_report(shift_id: int) -> Response:
    """The printable shift report of a closed shift, with the cashier's sign-off lines."""
    actor = page_actor()
    assert actor is not None
    summary = shifts.summary(runtime().engine, shift_id, actor)
    if summary.shift["closed_at"] is None:
        raise NotFoundError("an open shift has no report yet")
    pdf = html_to_pdf(_render("counter/shift_report.html", summary))
    return inline_pdf(pdf, f"bao-cao-ca-{shift_id}.pdf")
