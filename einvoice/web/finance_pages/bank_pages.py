"""Bank statements: import one in its bank's layout; see matched lines (and why), unmatched ones, unpaid receipts.

Importing is idempotent (the service knows each line by its hash): the same statement twice adds nothing, and the
page says how many lines were new and how many were already known.
"""

from __future__ import annotations

import zipfile
from datetime import timedelta

from flask import flash, redirect, url_for
from marshmallow import Schema, fields
from werkzeug.wrappers import Response

from einvoice.finance.matching import PAYING
from einvoice.finance.statements import StatementError
from einvoice.services import bank
from einvoice.web.counter.base import page_actor, staff
from einvoice.web.finance_pages.base import FINANCE, bp, page, query_args, today
from einvoice.web.finance_pages.forms import StatementForm
from einvoice.web.runtime import runtime

#: What each matching outcome means, for the person reading the page.
OUTCOMES_VI = {
    "exact": "Khớp: đúng mã tham chiếu và số tiền",
    "partial": "Chuyển thiếu: cần xem lại",
    "overpaid": "Chuyển thừa: cần xem lại",
    "amount_date": "Khớp theo số tiền và ngày",
    "duplicate": "Trùng: biên lai đã được trả trước đó",
    "ambiguous": "Nhiều biên lai có thể khớp: cần xem lại",
    "foreign": "Không thuộc biên lai nào",
    "debit": "Tiền ra (ghi nợ)",
}
#: The period the page shows when none is asked for, in days back from today.
DEFAULT_DAYS = 31


class BankQuery(Schema):
    """The period of booked lines and receipts the page shows."""

    date_from = fields.Date()
    date_to = fields.Date()


def _bank_page(form: StatementForm, status: int = 200) -> tuple[str, int]:
    args = query_args(BankQuery())
    last = args.get("date_to", today())
    first = args.get("date_from", last - timedelta(days=DEFAULT_DAYS - 1))
    engine = runtime().engine
    lines = bank.stored_lines(engine, first, last)
    matched = [line for line in lines if line["outcome"] in PAYING]
    unmatched = [line for line in lines if line["outcome"] not in PAYING and line["outcome"] != "debit"]
    html = page(
        "finance/bank.html",
        form=form,
        date_from=first,
        date_to=last,
        matched=matched,
        unmatched=unmatched,
        debits=sum(1 for line in lines if line["outcome"] == "debit"),
        unpaid=bank.unpaid_transfers(engine, first, last),
        outcomes=OUTCOMES_VI,
    )
    return html, status


@bp.get("/tai-chinh/sao-ke")
@staff(*FINANCE)
def statements() -> tuple[str, int]:
    """The import form and the lines of the period, matched and not, with the transfer receipts still unpaid."""
    return _bank_page(StatementForm())


@bp.post("/tai-chinh/sao-ke")
@staff(*FINANCE)
def import_statement() -> Response | tuple[str, int]:
    """Import the uploaded statement; show the form again naming the problem if it cannot be read."""
    form = StatementForm()
    if not form.validate_on_submit():
        return _bank_page(form, 400 if "csrf_token" in form.errors else 422)
    upload = form.statement.data
    rt = runtime()
    actor = page_actor()
    try:
        result = bank.import_statement(
            rt.engine,
            form.bank.data,
            upload.read(),
            upload.filename or "statement.csv",
            user_id=actor.user_id if actor else None,
            now=rt.now(),
        )
    except (StatementError, ValueError, KeyError, zipfile.BadZipFile) as error:
        form.statement.errors = [f"Không đọc được sao kê theo mẫu {form.bank.data}: {error}"]
        return _bank_page(form, 422)
    flash(f"Đã nhập {result.added} dòng mới; {result.known} dòng đã có từ trước nên không thay đổi.")
    return redirect(url_for("finance_pages.statements"))
