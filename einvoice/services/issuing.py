"""The issuing transaction: the only place a document number is taken.

One transaction, in this order: lock the series (SQLite: ``BEGIN IMMEDIATE`` via ``storage.engine.writing``;
PostgreSQL: ``SELECT … FOR UPDATE`` on the series row) → take ``next_number`` → build → validate (problems: nothing
is stored) → sign → insert the document and its audit entry → advance the counter → commit. A number is returned
only after the commit, so a failure at any step leaves neither a trace nor a gap (choice 8). The issue date is the
Asia/Ho_Chi_Minh date of ``now()`` read under the lock, so dates never go backwards inside a series; a clock that
did go backwards is refused. No network, no PDF inside the transaction.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError

from einvoice.domain.corrections import as_adjustment
from einvoice.domain.documents import (
    CorrectionKind,
    Document,
    FeeLine,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    Receipt,
    RelatedDocument,
)
from einvoice.domain.errors import InvalidDocumentError, Problem
from einvoice.domain.kinds import NAMES, DocumentKind
from einvoice.domain.lookup import new_lookup_code
from einvoice.domain.money import VND
from einvoice.domain.parties import Buyer, Seller
from einvoice.domain.series import (
    LEGACY_RECEIPT_SERIES_NOTICE_EN,
    LEGACY_RECEIPT_SERIES_NOTICE_VI,
    MAX_NUMBER,
    receipt_series_usable_on,
)
from einvoice.domain.totals import fee_line, make_invoice, make_receipt
from einvoice.domain.vntime import local_date
from einvoice.jsondoc.figures import fee_problems, invoice_problems
from einvoice.services import outbox
from einvoice.services.audit import IssueEntry, issue_entry_row
from einvoice.services.catalogue import fee_in_force
from einvoice.services.errors import ConflictError, ForbiddenError, NotFoundError, RequestProblemsError, problem
from einvoice.services.search import search_key
from einvoice.storage.engine import is_busy, writing
from einvoice.storage.issue_store import IssueRows, lock_series, store_issue
from einvoice.storage.schema import fees, issuers, series
from einvoice.xmldoc.build import BuiltDocument, build_for_signing

log = logging.getLogger(__name__)

Now = Callable[[], datetime]
#: A row of the series or issuers table, as read under the series lock.
Row = Mapping[Any, Any]
#: Attempts of the whole transaction when SQLite says busy or a lookup code collides.
ATTEMPTS = 8


_CORRECTIONS = {CorrectionKind.REPLACEMENT: "replacement", CorrectionKind.ADJUSTMENT: "adjustment"}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user with a role, and the counter a cashier works at (and that counter's issuer)."""

    user_id: int | None
    username: str
    role: str  # cashier | finance | admin
    counter_id: int | None = None
    full_name: str | None = None
    issuer_id: int | None = None


@dataclass(frozen=True, slots=True)
class CatalogueFee:
    """A fee named by its catalogue code, with how many units are paid."""

    code: str
    quantity: Decimal = Decimal(1)


@dataclass(frozen=True, slots=True)
class ReceiptRequest:
    """What a receipt is to say: its series, the payer, and fees from the catalogue and/or explicit lines."""

    kind: ClassVar[DocumentKind] = DocumentKind.RECEIPT
    series_id: int
    payer: Buyer
    fees: tuple[CatalogueFee, ...] = ()
    lines: tuple[FeeLine, ...] = ()
    payment_method: str = "TM"
    dossier_code: str | None = None
    related: RelatedDocument | None = None  # set by the corrections service only
    corrects_id: int | None = None


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """What an invoice is to say: its series, the buyer and the lines (amounts computed, numbers not yet)."""

    kind: ClassVar[DocumentKind] = DocumentKind.INVOICE
    series_id: int
    buyer: Buyer
    lines: tuple[InvoiceLine, ...]
    currency: str = VND
    exchange_rate: Decimal | None = None
    payment_method: str = "TM/CK"
    related: RelatedDocument | None = None  # set by the corrections service only
    corrects_id: int | None = None
    #: For an adjustment: what the invoice states so far (original + earlier adjustments), see domain.corrections.
    stated_so_far: InvoiceTotals | None = None


IssueRequest = ReceiptRequest | InvoiceRequest


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """A committed document's metadata (its XML stays in storage)."""

    id: int
    kind: DocumentKind
    issuer_id: int
    series_id: int
    template: str
    series: str
    number: int
    issue_date: date
    currency: str
    total: Decimal
    state: str
    lookup_code: str
    party_name: str | None
    party_tax_code: str | None
    issued_by: int | None
    counter_id: int | None
    created_at: datetime
    sha256: str
    corrects_id: int | None = None
    correction: str | None = None  # replacement | adjustment
    transmission: str = "pending"


@dataclass(frozen=True, slots=True)
class Toolchain:
    """The document steps the transaction calls: validate the built XML, sign it with the issuer's certificate."""

    #: Judges what the builder made (:func:`einvoice.xmldoc.validate.validate_document` does, without reading it back).
    validate: Callable[[BuiltDocument], Sequence[Problem]]
    #: Signs what the builder made (its bytes and their canonical signed part) and returns the signed bytes.
    sign: Callable[[BuiltDocument, Row, datetime], bytes]


@dataclass(frozen=True, slots=True)
class IssueHooks:
    """Callbacks inside the transaction: tests inject failures; the API stores its idempotent response."""

    after_number: Callable[[int], None] | None = None
    before_commit: Callable[[Connection, IssuedDocument], None] | None = None


@dataclass(slots=True)
class _Attempt:
    lookup_collisions: int = 0
    busy: int = 0


def issue_document(
    engine: Engine,
    request: IssueRequest,
    *,
    actor: Actor,
    now: Now,
    tools: Toolchain,
    hooks: IssueHooks | None = None,
) -> IssuedDocument:
    """Issue one document in one transaction (see the module docstring); retry the whole of it on SQLITE_BUSY."""
    attempt = _Attempt()
    while True:
        try:
            with writing(engine) as conn:
                return _issue_once(conn, request, actor, now, tools, hooks or IssueHooks())
        except OperationalError as error:
            if not is_busy(error) or attempt.busy >= ATTEMPTS:
                raise
            attempt.busy += 1
            log.warning("database busy, retrying the issuing transaction (%d)", attempt.busy)
            time.sleep(random.uniform(0.005, 0.05) * attempt.busy)  # noqa: S311 -- jitter, not a secret
        except IntegrityError as error:
            if "lookup_code" not in str(error.orig) or attempt.lookup_collisions >= ATTEMPTS:
                raise
            attempt.lookup_collisions += 1


def _issue_once(
    conn: Connection, request: IssueRequest, actor: Actor, now: Now, tools: Toolchain, hooks: IssueHooks
) -> IssuedDocument:
    locked = lock_series(conn, request.series_id)
    row = None if locked is None else locked.series
    _check_series(row, request.kind, actor, correcting=request.related is not None)
    assert row is not None
    assert locked is not None
    moment = now()
    issue_date = local_date(moment)
    if row["last_issue_date"] is not None and issue_date < row["last_issue_date"]:
        raise ConflictError(f"issue date {issue_date} is before the series' last issue date {row['last_issue_date']}")
    if request.kind is DocumentKind.RECEIPT and not receipt_series_usable_on(row["symbol"], issue_date):
        raise problem(
            "series_symbol_legacy", "series_id", LEGACY_RECEIPT_SERIES_NOTICE_VI, LEGACY_RECEIPT_SERIES_NOTICE_EN
        )
    if row["year"] != issue_date.year:
        raise ConflictError(f"series {row['symbol']} is for {row['year']}, not {issue_date.year}")
    number: int = row["next_number"]
    if number > MAX_NUMBER:
        raise ConflictError(f"series {row['symbol']} is exhausted")
    if hooks.after_number is not None:
        hooks.after_number(number)

    issuer = locked.issuer
    lookup_code = new_lookup_code()
    composed = compose(conn, request, row, issuer, actor, issue_date, number, lookup_code)
    total, currency, party = composed.total, composed.currency, composed.party
    problems = tools.validate(composed.built)
    if problems:
        raise InvalidDocumentError(problems)
    signed = tools.sign(composed.built, issuer, moment)
    digest = hashlib.sha256(signed).hexdigest()

    values = {
        "kind": request.kind,
        "issuer_id": row["issuer_id"],
        "series_id": row["id"],
        "template": row["template"],
        "series": row["symbol"],
        "number": number,
        "issue_date": issue_date,
        "currency": currency,
        "total": total,
        "state": "issued",
        "transmission": "pending",
        "lookup_code": lookup_code,
        "party_name": party.name,
        "party_tax_code": party.tax_code,
        "issued_by": actor.user_id,
        "counter_id": actor.counter_id,
        "created_at": moment,
        "sha256": digest,
        "corrects_id": request.corrects_id,
        "correction": None if request.related is None else _CORRECTIONS[request.related.kind],
    }

    def audit_row(document_id: int) -> dict[str, object]:
        entry = IssueEntry(
            row["id"], document_id, number, issue_date, total, lookup_code, digest, actor.username, moment
        )
        return issue_entry_row(entry, row["audit_seq"] + 1, row["audit_head"])

    stored = {**values, "total_hundredths": int(total * 100), "party_search": search_key(party.name), "xml": signed}
    document_id, _head = store_issue(
        conn,
        locked,
        IssueRows(stored, outbox.route_for(request.kind, row["symbol"]), actor.username, actor.user_id, audit_row),
    )
    issued = IssuedDocument(id=document_id, **values)
    if hooks.before_commit is not None:
        hooks.before_commit(conn, issued)
    return issued


@dataclass(frozen=True, slots=True)
class Composed:
    """A built, unsigned document and what the documents table records about it."""

    built: BuiltDocument
    total: Decimal
    currency: str
    party: Buyer


def compose(
    conn: Connection,
    request: IssueRequest,
    row: Row,
    issuer: Row,
    actor: Actor,
    issue_date: date,
    number: int | None,
    lookup_code: str | None,
) -> Composed:
    """Build the unsigned XML of the document ``request`` describes, in series ``row`` of ``issuer``."""
    made = _Making(conn, row, issuer, actor, issue_date, number, lookup_code)
    document: Document = _COMPOSERS[request.kind](request, made)
    return Composed(build_for_signing(document), document.total_payable, document.currency, document.party)


@dataclass(frozen=True, slots=True)
class _Making:
    """What every document made in a series shares: where, by whom, when, and the number and code it takes."""

    conn: Connection
    row: Row
    issuer: Row
    actor: Actor
    issue_date: date
    number: int | None
    lookup_code: str | None

    def common(self) -> dict[str, Any]:
        """Return the arguments every ``make_*`` of the domain takes from the series, the issuer and the moment."""
        return {
            "template": self.row["template"],
            "series": self.row["symbol"],
            "issue_date": self.issue_date,
            "number": self.number,
            "provider_tax_code": self.issuer["provider_tax_code"] or self.issuer["tax_code"],
            "lookup_code": self.lookup_code,
        }


def _compose_receipt(request: ReceiptRequest, made: _Making) -> Receipt:
    catalogue = _catalogue_lines(made.conn, made.row["issuer_id"], request.fees, made.issue_date)
    lines = request.lines + catalogue
    paths = [f"lines[{i}]" for i in range(len(request.lines))] + [f"fees[{i}]" for i in range(len(catalogue))]
    _refuse(fee_problems(list(zip(paths, lines, strict=True)), path="fees" if catalogue else "lines"))
    return make_receipt(
        **made.common(),
        collector=issuer_seller(made.issuer),
        payer=request.payer,
        fees=lines,
        payment_method=request.payment_method,
        dossier_code=request.dossier_code,
        cashier_name=made.actor.full_name,
        related=request.related,
    )


def _compose_invoice(request: InvoiceRequest, made: _Making) -> Invoice:
    adjustment = request.related is not None and request.related.kind is CorrectionKind.ADJUSTMENT
    _refuse(
        invoice_problems(request.lines, template=made.row["template"], currency=request.currency, adjustment=adjustment)
    )
    document = make_invoice(
        **made.common(),
        seller=issuer_seller(made.issuer),
        buyer=request.buyer,
        lines=request.lines,
        currency=request.currency,
        exchange_rate=request.exchange_rate,
        payment_method=request.payment_method,
        related=request.related,
    )
    if request.stated_so_far is not None:  # an adjustment states its deltas against what was stated so far
        document = as_adjustment(document, request.stated_so_far)
    return document


def _refuse(problems: Sequence[Problem]) -> None:
    if problems:
        raise RequestProblemsError(problems)


#: How each kind's request becomes its document (the request column of the table of kinds).
_COMPOSERS: dict[DocumentKind, Callable[[Any, _Making], Document]] = {
    DocumentKind.RECEIPT: _compose_receipt,
    DocumentKind.INVOICE: _compose_invoice,
}


def preview_document(engine: Engine, request: IssueRequest, *, actor: Actor, now: Now) -> bytes:
    """Return the unsigned XML the request would issue today, without a number or lookup code; store nothing."""
    with engine.connect() as conn:
        row = conn.execute(select(series).where(series.c.id == request.series_id)).mappings().first()
        _check_series(row, request.kind, actor)
        assert row is not None
        issuer = conn.execute(select(issuers).where(issuers.c.id == row["issuer_id"])).mappings().one()
        return compose(conn, request, row, issuer, actor, local_date(now()), None, None).built.xml


def _check_series(row: Row | None, kind: DocumentKind, actor: Actor, *, correcting: bool = False) -> None:
    if row is None:
        raise NotFoundError("no such series")
    # Corrections by finance and admin staff may use any series of the issuer; the corrections service checks roles.
    staff_correction = correcting and actor.role in ("finance", "admin")
    if actor.role != "cashier" and not staff_correction:
        raise ForbiddenError("only cashiers issue documents")
    if not staff_correction and row["issuer_id"] != actor.issuer_id:
        raise ForbiddenError("this series belongs to another issuer")
    if not staff_correction and row["counter_id"] is not None and row["counter_id"] != actor.counter_id:
        raise ForbiddenError("this series belongs to another counter")
    if row["kind"] != kind:
        names = NAMES[kind]
        raise RequestProblemsError(
            [
                Problem(
                    "SERIES_KIND",
                    "series_id",
                    f"Ký hiệu này không dùng cho {names.noun_vi}",
                    f"this series is not for {names.noun_en}s",
                )
            ]
        )
    if not row["active"]:
        raise ConflictError(f"series {row['symbol']} is closed")


def issuer_seller(issuer: Row) -> Seller:
    """Return the issuer row as the seller (or collecting organisation) a document names."""
    return Seller(
        name=issuer["name"],
        tax_code=issuer["tax_code"],
        address=issuer["address"],
        phone=issuer["phone"],
        email=issuer["email"],
        bank_account=issuer["bank_account"],
        bank_name=issuer["bank_name"],
        budget_unit_code=issuer["budget_unit_code"],
    )


def _catalogue_lines(conn: Connection, issuer_id: int, wanted: Sequence[CatalogueFee], on: date) -> tuple[FeeLine, ...]:
    if not wanted:
        return ()
    rows = conn.execute(
        select(fees).where(
            fees.c.issuer_id == issuer_id,
            fees.c.code.in_({fee.code for fee in wanted}),
            fee_in_force(on),
        )
    ).mappings()
    by_code = {row["code"]: row for row in rows}
    lines: list[FeeLine] = []
    problems: list[Problem] = []
    for index, fee in enumerate(wanted):
        row = by_code.get(fee.code)
        if row is None:
            problems.append(
                Problem(
                    "UNKNOWN_FEE",
                    f"fees[{index}].code",
                    f"Không có khoản phí, lệ phí mã {fee.code} hiệu lực ngày {on.isoformat()}",
                    f"no fee with code {fee.code} in force on {on.isoformat()}",
                )
            )
            continue
        if not row["per_unit"] and fee.quantity != 1:
            problems.append(
                Problem(
                    "FLAT_FEE_QUANTITY",
                    f"fees[{index}].quantity",
                    f"Khoản {fee.code} thu một mức cố định: số lượng phải là 1",
                    f"fee {fee.code} is a flat amount: its quantity must be 1",
                )
            )
            continue
        lines.append(
            fee_line(
                row["name"],
                row["amount"],
                quantity=fee.quantity,
                code=row["code"],
                legal_basis=row["legal_basis"],
                unit=row["unit"],
            )
        )
    if problems:
        raise RequestProblemsError(problems)
    return tuple(lines)
