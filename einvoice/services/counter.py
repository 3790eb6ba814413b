"""Issuing at the counter: the receipt, its payment in the shift, its fee request marked paid — one transaction.

The issuing transaction (``services.issuing``) runs as for the API; its ``before_commit`` hook records the payment
(cash and transfer parts, the VietQR reference) in the counter's open shift and marks the fee request paid, so either
all of it commits or none. The form's key makes a repeated submit (a second click, a reload) answer with the receipt
the first one issued: it is unique per user in ``counter_payments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from einvoice.domain.kinds import DocumentKind
from einvoice.domain.parties import Buyer
from einvoice.domain.vietqr import VietQRError, payment_reference
from einvoice.services import fee_requests, shifts
from einvoice.services.errors import ForbiddenError, NotFoundError
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
from einvoice.storage.schema import series


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
    assert actor.user_id is not None
    earlier = shifts.document_for_form_key(engine, actor.user_id, sale.form_key)
    if earlier is not None:
        return earlier

    def before_commit(conn: Connection, issued: IssuedDocument) -> None:
        payment = shifts.split(sale.method, issued.total, sale.cash_part)
        reference = _reference(reference_prefix, issued) if payment.transfer else None
        payment = shifts.Payment(payment.method, payment.cash, payment.transfer, reference)
        shifts.record_payment(
            conn, actor=actor, document_id=issued.id, form_key=sale.form_key, payment=payment, now=issued.created_at
        )
        if sale.fee_request_id is not None:
            fee_requests.mark_paid(conn, sale.fee_request_id, issued.id, actor, issued.created_at)

    request = ReceiptRequest(
        series_id=sale.series_id,
        payer=sale.payer,
        fees=sale.fees,
        payment_method=sale.method,
        dossier_code=sale.dossier_code,
    )
    try:
        hooks = IssueHooks(before_commit=before_commit)
        issued = issue_document(engine, request, actor=actor, now=now, tools=tools, hooks=hooks)
    except IntegrityError:
        # Two submits of one form raced: the other committed first and this transaction rolled back whole.
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
