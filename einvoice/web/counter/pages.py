"""Signing in and out, the counter (fees → payer → payment → issue), the confirmation page, printing, VietQR."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.domain.lookup import format_lookup_code
from einvoice.domain.parties import Buyer, is_citizen_id
from einvoice.domain.vietqr import Transfer, VietQRError, encode
from einvoice.domain.vntime import local_date
from einvoice.finance.rules import STATE_LABELS_VI
from einvoice.render.context import format_number
from einvoice.render.qr import qr_png
from einvoice.services import fee_requests, notices, shifts, throttle
from einvoice.services.accounts import authenticate
from einvoice.services.catalogue import fees_in_force
from einvoice.services.counter import CounterSale, counter_series, issue_sale
from einvoice.services.errors import ConflictError, ForbiddenError, NotFoundError, RequestProblemsError
from einvoice.services.history import document_history
from einvoice.services.issuing import CatalogueFee
from einvoice.services.queries import get_document, get_document_of_record
from einvoice.services.search import search_key
from einvoice.web.auth import end_session, start_session
from einvoice.web.counter.base import HOME, bp, counter_day, local_time, page_actor, staff
from einvoice.web.counter.forms import ActionForm, LoginForm, ReceiptForm
from einvoice.web.logging import security_event
from einvoice.web.printing import document_pdf
from einvoice.web.runtime import runtime, settings_of

#: How many of the cashier's recently used fees the counter lists first.
RECENT_FEES = 8
#: Where an error notice is on its way to the tax authority (``notices.notices_of``), as the counter says it.
NOTICE_STATES = {
    "recorded": "Đã lập, chưa gửi cơ quan thuế",
    "queued": "Đang chờ gửi cơ quan thuế",
    "pending": "Đang chờ gửi cơ quan thuế",
    "sent": "Đã gửi, chờ cơ quan thuế phản hồi",
    "done": "Cơ quan thuế đã tiếp nhận",
    "parked": "Chưa gửi được, bộ phận kỹ thuật đang xử lý",
}
#: Field of the form each problem path of the issuing service belongs to.
FIELD_OF = {"payer.name": "payer_name", "dossier_code": "dossier_code", "cash_part": "cash_part", "payment": "method"}


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Sign in; then go where ``next`` says (a page of ours) or to the user's work."""
    form = LoginForm()
    if form.validate_on_submit():
        rt, username = runtime(), form.username.data or ""
        keys = throttle.login_keys(username, request.remote_addr)
        wait = throttle.wait_before_login(rt.engine, keys, rt.now())
        if wait:  # the same throttle as the API's login: never a lockout, a wait
            security_event("login_throttled", username=username[:80], retry_after=math.ceil(wait.total_seconds()))
            form.password.errors = [
                f"Đăng nhập sai nhiều lần: vui lòng thử lại sau {math.ceil(wait.total_seconds())} giây"
            ]
            return render_template("counter/login.html", form=form, actor=None), 429
        actor = authenticate(rt.engine, username, form.password.data or "")
        if actor is None:
            throttle.record_failure(rt.engine, keys, rt.now())
        else:
            throttle.record_success(rt.engine, username)
            start_session(actor)
            g.actor = actor
            security_event("login_succeeded")
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for(HOME.get(actor.role, "counter.root"))
            return redirect(target)
        security_event("login_failed", username=(form.username.data or "")[:80])
        form.password.errors = ["Tên đăng nhập hoặc mật khẩu không đúng"]
    status = 400 if form.errors else 200
    return render_template("counter/login.html", form=form, actor=None), status


@bp.post("/dang-xuat")
def logout() -> Response:
    """Sign out (a form with its CSRF token, never a link)."""
    if ActionForm().validate_on_submit():
        actor = page_actor()
        if actor is not None:
            end_session(actor)
        else:
            session.clear()
    return redirect(url_for("counter.login"))


def _catalogue(issuer_id: int) -> list[dict[str, Any]]:
    rows = fees_in_force(runtime().engine, issuer_id, local_date(runtime().now()))
    for row in rows:
        row["search"] = search_key(f"{row['code']} {row['name']}")
        row["amount_text"] = format_number(row["amount"])
    return rows


def counter_page(
    form: ReceiptForm,
    problems: list[Problem],
    status: int = 200,
    *,
    template: str = "counter/home.html",
    quantities: dict[str, Any] | None = None,
    **extra: Any,
) -> tuple[str, int]:
    """Render the receipt form (the counter, or a replacement) with the catalogue, the tally and ``problems``."""
    actor = page_actor()
    assert actor is not None
    series = counter_series(runtime().engine, actor)
    catalogue = _catalogue(int(str(series["issuer_id"])))
    typed = request.args.get("tim", "")
    wanted = search_key(typed)
    if quantities is None:
        quantities = {code[3:]: value for code, value in request.form.items() if code.startswith("sl-")}
    prefilled = request.args.get("yeu-cau", "")
    if prefilled.isdigit() and not request.form:
        fee_request = fee_requests.get(runtime().engine, int(prefilled))
        quantities = {fee["code"]: fee["quantity"] for fee in fee_request["fees"]}
        form.payer_name.data = fee_request["payer_name"]
        form.payer_id.data = fee_request["payer_id_number"]
        form.payer_address.data = fee_request["payer_address"]
        form.dossier_code.data = fee_request["dossier_code"]
        form.fee_request_id.data = str(fee_request["id"])
    recent = [code for code in session.get("recent_fees", []) if isinstance(code, str)]
    catalogue.sort(key=lambda fee: (recent.index(fee["code"]) if fee["code"] in recent else len(recent), fee["code"]))
    shown = [fee for fee in catalogue if not wanted or wanted in fee["search"] or fee["code"] in quantities]
    shift = shifts.current_shift(runtime().engine, actor.counter_id or 0)
    tally = shifts.summary(runtime().engine, shift["id"], actor) if shift is not None else None
    page = render_template(
        template,
        actor=actor,
        form=form,
        series=series,
        fees=shown,
        typed=typed,
        quantities=quantities,
        problems=problems,
        tally=tally,
        format_number=format_number,
        **extra,
    )
    return page, status


@bp.get("/quay")
@staff("cashier")
def home() -> tuple[str, int]:
    """The counter: today's tally and the receipt form (fees, payer, payment)."""
    form = ReceiptForm(formdata=None, form_key=ReceiptForm.new_key())
    return counter_page(form, [])


def fees_from_form() -> tuple[tuple[CatalogueFee, ...], list[Problem]]:
    chosen: list[CatalogueFee] = []
    problems: list[Problem] = []
    for name, value in request.form.items():
        if not name.startswith("sl-") or not value.strip():
            continue
        try:
            quantity = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            quantity = Decimal(-1)
        if quantity < 0 or quantity > 10_000 or not quantity.is_finite():
            problems.append(Problem("quantity", name, "Số lượng phải là một số từ 0 đến 10.000", "bad quantity"))
        elif quantity:
            chosen.append(CatalogueFee(name[3:], quantity))
    if not chosen and not problems:
        problems.append(Problem("fees", "tim", "Chọn ít nhất một khoản thu và nhập số lượng", "no fee chosen"))
    return tuple(chosen), problems


def payer_of(form: ReceiptForm) -> Buyer:
    """Return the payer the form names (a 12-digit ID is a citizen ID, anything else a tax code)."""
    typed = (form.payer_id.data or "").strip() or None
    citizen = typed if typed is not None and is_citizen_id(typed) else None
    return Buyer(
        name=form.payer_name.data,
        citizen_id=citizen,
        tax_code=typed if typed is not None and citizen is None else None,
        address=form.payer_address.data or None,
    )


def checked_form(form: ReceiptForm) -> tuple[tuple[CatalogueFee, ...], list[Problem]] | None:
    """Validate the posted receipt form; return its fees and every problem, or ``None`` for a stale CSRF token."""
    chosen, problems = fees_from_form()
    form.validate()
    if "csrf_token" in form.errors:
        return None
    problems += [Problem("field", name, messages[0], messages[0]) for name, messages in form.errors.items()]
    return chosen, problems


def sale_of(form: ReceiptForm, chosen: tuple[CatalogueFee, ...]) -> CounterSale:
    """Return the sale the (valid) receipt form describes, on the cashier's counter series."""
    actor = page_actor()
    assert actor is not None
    return CounterSale(
        series_id=int(str(counter_series(runtime().engine, actor)["id"])),
        fees=chosen,
        payer=payer_of(form),
        method=form.method.data,
        form_key=form.form_key.data,
        cash_part=form.cash_part.data,
        dossier_code=form.dossier_code.data or None,
        fee_request_id=int(form.fee_request_id.data) if form.fee_request_id.data else None,
    )


def found_problems(error: RequestProblemsError | InvalidDocumentError) -> list[Problem]:
    """Return the issuing service's problems, each placed at the form field it is about."""
    return [Problem(p.code, FIELD_OF.get(p.path, p.path), p.message_vi, p.message_en) for p in error.problems]


@bp.post("/quay/bien-lai")
@staff("cashier")
def issue() -> Response | tuple[str, int]:
    """Issue the receipt the form describes; show the form again with every problem, or go to the confirmation."""
    form = ReceiptForm()
    checked = checked_form(form)
    if checked is None:
        return render_template("counter/csrf.html", actor=page_actor()), 400
    chosen, problems = checked
    if problems:
        return counter_page(form, problems, 422)
    actor = page_actor()
    assert actor is not None
    rt = runtime()
    prefix = settings_of().vietqr_reference_prefix
    try:
        sale = sale_of(form, chosen)
        document_id = issue_sale(rt.engine, sale, actor=actor, now=rt.now, tools=rt.tools, reference_prefix=prefix)
    except (RequestProblemsError, InvalidDocumentError) as error:
        return counter_page(form, found_problems(error), 422)
    except (ConflictError, ForbiddenError, NotFoundError) as error:
        message = "Không lập được biên lai: " + str(error)
        return counter_page(form, [Problem("conflict", "tim", message, str(error))], 409)
    used = [fee.code for fee in chosen]
    session["recent_fees"] = (used + [c for c in session.get("recent_fees", []) if c not in used])[:RECENT_FEES]
    return redirect(url_for("counter.done", document_id=document_id))


def _vietqr(payment: Any, total: Decimal) -> str | None:
    settings = settings_of()
    bank_bin, account = settings.vietqr_bank_bin, settings.vietqr_account
    if payment is None or not payment["transfer"] or not bank_bin or not account:
        return None
    try:
        return encode(Transfer(str(bank_bin), str(account), payment["transfer"], payment["reference"]))
    except VietQRError:
        current_app.logger.exception("VietQR of document %s cannot be made", payment["document_id"])
        return None


@bp.get("/quay/bien-lai/<int:document_id>")
@staff("cashier", "finance", "admin")
def done(document_id: int) -> str:
    """The confirmation: number, lookup code, amount, payment, VietQR, the PDF to print, corrections and notices."""
    actor = page_actor()
    assert actor is not None
    engine = runtime().engine
    document = get_document(engine, document_id, actor, counter_day=counter_day())
    payment = shifts.payment_of(engine, document_id)
    history = document_history(engine, document_id)
    return render_template(
        "counter/done.html",
        actor=actor,
        doc=document,
        code=format_lookup_code(document["lookup_code"]),
        payment=payment,
        vietqr=_vietqr(payment, document["total"]),
        corrects=history["corrects"],
        replaced_by=[row for row in history["corrected_by"] if row["correction"] == "replacement"],
        notices=notices.notices_of(engine, document_id),
        states=STATE_LABELS_VI,
        notice_states=NOTICE_STATES,
        local=local_time,
        format_number=format_number,
        form=ActionForm(),
    )


@bp.get("/quay/bien-lai/<int:document_id>/pdf")
@staff("cashier", "finance", "admin")
def receipt_pdf(document_id: int) -> Response:
    """The receipt as printed at the counter (``?ban-sao=1``: a reprint marked BẢN SAO); never rate-limited."""
    actor = page_actor()
    assert actor is not None
    engine = runtime().engine
    document, xml = get_document_of_record(engine, document_id, actor, counter_day=counter_day())
    return document_pdf(document, xml, copy=request.args.get("ban-sao") == "1")


@bp.get("/quay/bien-lai/<int:document_id>/vietqr.png")
@staff("cashier", "finance", "admin")
def vietqr_png(document_id: int) -> Response:
    """The VietQR of a receipt's transfer part, as a PNG (one pixel per module: the page scales it)."""
    actor = page_actor()
    assert actor is not None
    document = get_document(runtime().engine, document_id, actor, counter_day=counter_day())
    payload = _vietqr(shifts.payment_of(runtime().engine, document_id), document["total"])
    if payload is None:
        abort(404)
    return Response(qr_png(payload), mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})
