"""Issuing at the counter: the receipt, its payment in the shift, its fee request marked paid — one transaction.

The issuing transaction (``services.issuing``) runs as for the API; its ``before_commit`` hook records the payment
(cash and transfer parts, the VietQR reference) in the counter's open shift and marks the fee request paid, so either
all of it commits or none. The form's key makes a repeated submit (a second click, a reload) answer with the receipt
the first one issued: it is unique per user in ``counter_payments``.

A receipt made by mistake is replaced here through the corrections service (:func:`replace_sale`: its role rules —
the cashier's own counter, the same day —, the reason, the original's move in the replacement's transaction). The
replacement's payment is recorded like any counter receipt's; the original must still be in the counter's open shift,
where the replacement then supersedes it (:mod:`einvoice.services.shifts`): a closed shift's money never changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from einvoice.domain.kinds import DocumentKind
from einvoice.domain.lifecycle import Action, IllegalTransition, apply, document_class
from einvoice.domain.parties import Buyer
from einvoice.domain.vietqr import VietQRError, payment_reference
from einvoice.services import corrections, fee_requests, shifts
from einvoice.services.errors import ConflictError, ForbiddenError, NotFoundError
from einvoice.services.issuing import (
    Actor,
    CatalogueFee,
    IssuedDocument,
    IssueHooks,
    Now,
    ReceiptRequest,
    Toolchain,
    issue_document,
)
from einvoice.storage.schema import counter_payments, series, users
from einvoice.storage.schema import shifts as shift_table


class NotInOpenShiftError(ConflictError):
    """The receipt to replace was not collected in the counter's open shift (its shift is closed): finance's work."""


@dataclass(frozen=True, slots=True)
class CounterSale:
    """A receipt as the counter form fills it."""

    series_id: int
    fees: tuple[CatalogueFee, ...]
    payer: Buyer
    method: str
    form_key: str
    cash_part: Decimal | None = None
    dossier_code: str | None = None
    fee_request_id: int | None = None


def counter_series(engine: Engine, actor: Actor) -> dict[str, object]:
    """Return the active receipt series of the cashier's counter (the one a receipt is issued on)."""
    if actor.counter_id is None:
        raise ForbiddenError("only a cashier with a counter issues at the counter")
    query = (
        select(series)
        .where(
            series.c.counter_id == actor.counter_id, series.c.kind == DocumentKind.RECEIPT, series.c.active.is_(True)
        )
        .order_by(series.c.year.desc(), series.c.id)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError("this counter has no active receipt series")
    return dict(row)


def issue_sale(
    engine: Engine, sale: CounterSale, *, actor: Actor, now: Now, tools: Toolchain, reference_prefix: str = "LP"
) -> int:
    """Issue the receipt of ``sale``; return its document id (the first one's, if this form was submitted before)."""

    def issue(hooks: IssueHooks) -> IssuedDocument:
        return issue_document(engine, receipt_request(sale), actor=actor, now=now, tools=tools, hooks=hooks)

    return _once(engine, sale, actor, reference_prefix, issue)


def replace_sale(
    engine: Engine,
    original_id: int,
    reason: str,
    sale: CounterSale,
    *,
    actor: Actor,
    now: Now,
    tools: Toolchain,
    reference_prefix: str = "LP",
) -> int:
    """Issue the receipt of ``sale`` replacing receipt ``original_id``; return its id (the first one's, resubmitted)."""
    correction = corrections.Correction(original_id, Action.REPLACE, reason, receipt_request(sale))

    def issue(hooks: IssueHooks) -> IssuedDocument:
        return corrections.correct(engine, correction, actor=actor, now=now, tools=tools, hooks=hooks)

    def in_open_shift(conn: Connection, issued: IssuedDocument) -> None:
        _check_open_shift(conn, original_id, lock=True)  # a close of that shift waits for this transaction

    return _once(engine, sale, actor, reference_prefix, issue, check=in_open_shift)


def replaceable(engine: Engine, original_id: int, actor: Actor, now: Now) -> RowMapping:
    """Return receipt ``original_id`` if ``actor`` may replace it at the counter now; raise saying why not."""
    with engine.connect() as conn:
        original = corrections.load(conn, original_id)
        corrections.authorise(original, Action.REPLACE, actor, now)
        apply(corrections.state_of(original), Action.REPLACE, document_class(original["kind"], original["series"]))
        _check_open_shift(conn, original_id)
    return original


def staff_names(engine: Engine, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Return the full names of users ``user_ids`` (who issued each of a counter's receipts), by id."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(users.c.id, users.c.full_name).where(users.c.id.in_(wanted)))
        return {row.id: row.full_name for row in rows}


def receipt_request(sale: CounterSale) -> ReceiptRequest:
    """Return what the issuing service is asked for ``sale`` (also what the replacement's confirmation previews)."""
    return ReceiptRequest(
        series_id=sale.series_id,
        payer=sale.payer,
        fees=sale.fees,
        payment_method=sale.method,
        dossier_code=sale.dossier_code,
    )


def _check_open_shift(conn: Connection, document_id: int, *, lock: bool = False) -> None:
    query = (
        select(shift_table.c.closed_at)
        .join(counter_payments, counter_payments.c.shift_id == shift_table.c.id)
        .where(counter_payments.c.document_id == document_id)
    )
    found = conn.execute(query.with_for_update(of=shift_table) if lock else query).first()
    if found is None or found.closed_at is not None:
        raise NotInOpenShiftError("the receipt was not collected in the counter's open shift")


def _once(
    engine: Engine,
    sale: CounterSale,
    actor: Actor,
    reference_prefix: str,
    issue: Callable[[IssueHooks], IssuedDocument],
    check: Callable[[Connection, IssuedDocument], None] | None = None,
) -> int:
    """Issue through ``issue`` once per form key, recording the payment (and fee request) in its transaction."""
    assert actor.user_id is not None
    earlier = shifts.document_for_form_key(engine, actor.user_id, sale.form_key)
    if earlier is not None:
        return earlier

    def before_commit(conn: Connection, issued: IssuedDocument) -> None:
        if check is not None:
            check(conn, issued)
        payment = shifts.split(sale.method, issued.total, sale.cash_part)
        reference = _reference(reference_prefix, issued) if payment.transfer else None
        payment = shifts.Payment(payment.method, payment.cash, payment.transfer, reference)
        shifts.record_payment(
            conn, actor=actor, document_id=issued.id, form_key=sale.form_key, payment=payment, now=issued.created_at
        )
        if sale.fee_request_id is not None:
            fee_requests.mark_paid(conn, sale.fee_request_id, issued.id, actor, issued.created_at)

    try:
        issued = issue(IssueHooks(before_commit=before_commit))
    except (IntegrityError, IllegalTransition):
        # Two submits of one form raced: the other committed first and this transaction rolled back whole (a second
        # replacement of one original is refused by its move before the form key's unique index is reached).
        earlier = shifts.document_for_form_key(engine, actor.user_id, sale.form_key)
        if earlier is None:
            raise
        return earlier
    return issued.id


def _reference(prefix: str, issued: IssuedDocument) -> str | None:
    try:
        return payment_reference(prefix, issued.series, issued.number)
    except VietQRError:
        return None  # a prefix too long for this number: the transfer is still recorded, without a QR reference
