"""Correcting at the counter: today's receipts, a replacement (form → confirmation → issued) and an error notice.

Everything goes through the corrections services (:func:`einvoice.services.counter.replace_sale`, which calls
:func:`einvoice.services.corrections.correct`, and :func:`einvoice.services.notices.notify_error`): no document is
ever edited. A cashier corrects only receipts of their own counter issued today; anything else is refused with a
plain Vietnamese page saying who can help. Both forms carry a key, so a second click or a reload does nothing new.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from einvoice.domain import payments
from einvoice.domain.documents import Receipt
from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.lifecycle import IllegalTransition
from einvoice.finance.rules import STATE_LABELS_VI
from einvoice.render.context import format_number
from einvoice.services import idempotency, notices, shifts
from einvoice.services.counter import (
    CounterSale,
    NotInOpenShiftError,
    receipt_request,
    replace_sale,
    replaceable,
    staff_names,
)
from einvoice.services.errors import ForbiddenError, RequestProblemsError
from einvoice.services.issuing import preview_document
from einvoice.services.queries import DocumentFilter, get_document, get_document_xml, search_documents
from einvoice.web.counter.base import bp, counter_day, page_actor, staff
from einvoice.web.counter.forms import ErrorNoticeForm, ReplacementForm
from einvoice.web.counter.pages import checked_form, counter_page, found_problems, sale_of
from einvoice.web.runtime import runtime, settings_of
from einvoice.xmldoc.parse import parse_document

#: Why a correction is refused, as the cashier reads it.
NOT_YOURS = (
    "Bạn chỉ được thay thế hoặc thông báo sai sót cho biên lai do quầy của mình lập trong ngày hôm nay. "
    "Biên lai của quầy khác hoặc của ngày trước do bộ phận tài chính xử lý."
)
SHIFT_CLOSED = (
    "Biên lai này thuộc ca đã đóng: tiền của ca đó đã chốt nên không thay thế tại quầy được. "
    "Đề nghị bộ phận tài chính thay thế."
)
REFUSALS: tuple[type[Exception], ...] = (ForbiddenError, NotInOpenShiftError, IllegalTransition)
#: Pages of 100 read at most when searching today's receipts by number (a counter issues far fewer in a day).
DAY_PAGES = 100


def refused(error: Exception) -> tuple[str, int]:
    """The page saying, in Vietnamese, why this correction is not done here (403 or 409)."""
    if isinstance(error, ForbiddenError):
        message, status = NOT_YOURS, 403
    elif isinstance(error, NotInOpenShiftError):
        message, status = SHIFT_CLOSED, 409
    else:
        message, status = cast(IllegalTransition, error).message_vi, 409
    return render_template("counter/refused.html", actor=page_actor(), message=message), status


def _todays_receipts(typed: str) -> list[dict[str, Any]]:
    actor = page_actor()
    assert actor is not None
    today = counter_day()
    number = typed if typed.isdigit() else None
    criteria = DocumentFilter(
        date_from=today,
        date_to=today,
        kind=DocumentKind.RECEIPT,
        counter_id=actor.counter_id,
        party_name=None if number else typed,
    )
    found: list[dict[str, Any]] = []
    for page in range(1, DAY_PAGES + 1):
        rows, total = search_documents(runtime().engine, criteria, actor, page=page, per_page=100, counter_day=today)
        found += [row for row in rows if number is None or str(row["number"]) == number.lstrip("0")]
        if number is None or page * 100 >= total:
            break
    return found


@bp.get("/quay/sua-sai")
@staff("cashier")
def corrections_list() -> str:
    """Today's receipts of the cashier's counter, every colleague's, each with who issued it (``tim``: payer without
    diacritics, or number), to correct one."""
    typed = request.args.get("tim", "").strip()
    receipts = _todays_receipts(typed)
    return render_template(
        "counter/corrections.html",
        actor=page_actor(),
        typed=typed,
        receipts=receipts,
        issued_by=staff_names(runtime().engine, (row["issued_by"] for row in receipts)),
        states=STATE_LABELS_VI,
        format_number=format_number,
    )


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _prefilled(document_id: int) -> tuple[ReplacementForm, dict[str, str]]:
    """The replacement form filled from the original receipt as stored (its fees, payer and payment)."""
    actor = page_actor()
    assert actor is not None
    engine = runtime().engine
    receipt = cast(Receipt, parse_document(get_document_xml(engine, document_id, actor, counter_day=counter_day())))
    payment = shifts.payment_of(engine, document_id)
    payer = receipt.payer
    form = ReplacementForm(
        formdata=None,
        form_key=ReplacementForm.new_key(),
        payer_name=payer.name,
        payer_id=payer.citizen_id or payer.tax_code,
        payer_address=payer.address,
        dossier_code=receipt.dossier_code,
        method=payment["method"] if payment is not None else receipt.payment_method,
        cash_part=payment["cash"] if payment is not None and payment["cash"] and payment["transfer"] else None,
    )
    return form, {line.code: _quantity(line.quantity) for line in receipt.fees if line.code}


def _replace_page(
    form: ReplacementForm,
    original: dict[str, Any],
    problems: list[Problem],
    status: int = 200,
    quantities: dict[str, str] | None = None,
) -> tuple[str, int]:
    return counter_page(
        form, problems, status, template="counter/replace.html", quantities=quantities, original=original
    )


@bp.get("/quay/bien-lai/<int:document_id>/thay-the")
@staff("cashier")
def replace_form(document_id: int) -> tuple[str, int]:
    """The replacement form, filled from the original; refused for another counter's or another day's receipt."""
    actor = page_actor()
    assert actor is not None
    try:
        replaceable(runtime().engine, document_id, actor, runtime().now)
    except REFUSALS as error:
        return refused(error)
    original = get_document(runtime().engine, document_id, actor, counter_day=counter_day())
    form, quantities = _prefilled(document_id)
    return _replace_page(form, original, [], quantities=quantities)


@bp.post("/quay/bien-lai/<int:document_id>/thay-the")
@staff("cashier")
def replace(document_id: int) -> Response | tuple[str, int]:
    """First post: the confirmation (what changes); the confirmation's post issues the replacement."""
    actor = page_actor()
    assert actor is not None
    assert actor.user_id is not None
    form = ReplacementForm()
    checked = checked_form(form)
    if checked is None:
        return render_template("counter/csrf.html", actor=actor), 400
    chosen, problems = checked
    earlier = shifts.document_for_form_key(runtime().engine, actor.user_id, form.form_key.data or "")
    if earlier is not None:  # this form issued its replacement already (a second click, a reload)
        return redirect(url_for("counter.done", document_id=earlier))
    try:
        replaceable(runtime().engine, document_id, actor, runtime().now)
    except REFUSALS as error:
        return refused(error)
    original = get_document(runtime().engine, document_id, actor, counter_day=counter_day())
    if problems or request.form.get("sua"):
        form.confirmed.data = ""
        return _replace_page(form, original, problems, 422 if problems else 200)
    try:
        if form.confirmed.data == "1":
            return _issue_replacement(document_id, form, sale_of(form, chosen))
        return _confirmation(form, sale_of(form, chosen), original)
    except REFUSALS as error:
        return refused(error)
    except (RequestProblemsError, InvalidDocumentError) as error:
        form.confirmed.data = ""
        return _replace_page(form, original, found_problems(error), 422)


def _issue_replacement(document_id: int, form: ReplacementForm, sale: CounterSale) -> Response:
    """Issue the replacement the confirmed form describes; go to its confirmation page (number, print)."""
    actor = page_actor()
    assert actor is not None
    rt = runtime()
    prefix = settings_of().vietqr_reference_prefix
    new_id = replace_sale(
        rt.engine, document_id, form.reason.data, sale, actor=actor, now=rt.now, tools=rt.tools, reference_prefix=prefix
    )
    return redirect(url_for("counter.done", document_id=new_id))


def _confirmation(form: ReplacementForm, sale: CounterSale, original: dict[str, Any]) -> tuple[str, int]:
    """The page before replacing: the original beside the replacement exactly as it would be issued (previewed)."""
    actor = page_actor()
    assert actor is not None
    preview = parse_document(preview_document(runtime().engine, receipt_request(sale), actor=actor, now=runtime().now))
    form.confirmed.data = "1"
    posted = [(name, value) for name, value in request.form.items(multi=True) if name.startswith("sl-")]
    page = render_template(
        "counter/replace_confirm.html",
        actor=actor,
        form=form,
        original=original,
        preview=preview,
        posted=posted,
        words=payments.words,
        format_number=format_number,
    )
    return page, 200


@bp.route("/quay/bien-lai/<int:document_id>/sai-sot", methods=["GET", "POST"])
@staff("cashier")
def notice(document_id: int) -> Response | tuple[str, int]:
    """An error notice (04/SS) for soft errors of a receipt of today at this counter; recorded once per form."""
    actor = page_actor()
    assert actor is not None
    rt = runtime()
    form = ErrorNoticeForm() if request.method == "POST" else ErrorNoticeForm(formdata=None)
    if request.method == "GET":
        form.form_key.data = ErrorNoticeForm.new_key()
    elif form.validate():
        return _notify(document_id, form)
    elif "csrf_token" in form.errors:
        return render_template("counter/csrf.html", actor=actor), 400
    try:
        notices.check_notifiable(rt.engine, document_id, actor, rt.now)
    except REFUSALS as error:
        return refused(error)
    return _notice_page(document_id, form, 422 if form.errors else 200)


def _notice_page(document_id: int, form: ErrorNoticeForm, status: int) -> tuple[str, int]:
    actor = page_actor()
    assert actor is not None
    original = get_document(runtime().engine, document_id, actor, counter_day=counter_day())
    form.for_kind(DocumentKind(original["kind"]))
    page = render_template(
        "counter/notice.html", actor=actor, form=form, original=original, format_number=format_number
    )
    return page, status


def _notify(document_id: int, form: ErrorNoticeForm) -> Response | tuple[str, int]:
    """Record the notice unless this form's key was answered before; then show the receipt with its notices."""
    actor = page_actor()
    assert actor is not None
    assert actor.user_id is not None
    rt = runtime()
    key = f"quay-sai-sot-{form.form_key.data}"
    held = idempotency.hold(rt.engine, actor.user_id, key, idempotency.request_hash("POST", request.path, key.encode()))
    if isinstance(held, idempotency.StoredResponse):
        return redirect(held.location or url_for("counter.done", document_id=document_id))
    location = url_for("counter.done", document_id=document_id) + "#sai-sot"
    try:
        notices.notify_error(
            rt.engine,
            document_id,
            tuple(form.soft_errors.data or ()),
            form.reason.data,
            actor=actor,
            now=rt.now,
            tools=rt.tools,
        )
        idempotency.complete_now(rt.engine, held, idempotency.StoredResponse(303, "text/html", location, b""))
    except REFUSALS as error:
        idempotency.release(rt.engine, held)
        return refused(error)
    except RequestProblemsError as error:
        idempotency.release(rt.engine, held)
        for problem in error.problems:
            field = form.soft_errors if problem.path == "errors" else form.reason
            field.errors.append(problem.message_vi)
        return _notice_page(document_id, form, 422)
    except BaseException:
        idempotency.release(rt.engine, held)
        raise
    finally:
        idempotency.let_go(held)
    return redirect(location)
