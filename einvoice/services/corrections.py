"""Corrections (Circular 91 Art 10 and 20, choice 15): replacement and adjustment documents, and error notices.

A replacement or an adjustment is a **new document** issued through the one issuing transaction
(:func:`einvoice.services.issuing.issue_document`), naming the original in ``TTHDLQuan`` (receipts: ``TTCTLQuan``)
with the reason as its note. Inside that same transaction, once the new document has its number, the original's row
is locked, the lifecycle move is checked again against its state as it is now, its standing changes and an event
records who, when, why and by which document. So the original's state and the correcting document commit together
or not at all, and two concurrent corrections of one original cannot both win (the second finds it replaced, or
finds that another adjustment changed what the invoice states and is asked to try again).

Who may correct: finance and admin staff anything; a cashier only replaces a receipt of their own counter issued the
same day (Asia/Ho_Chi_Minh). Error notices (soft errors: :data:`einvoice.domain.corrections.SOFT_ERRORS`) are stored
unsigned in ``error_notices``, for the transmission work to sign and send (message 300).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection, RowMapping

from einvoice.domain.corrections import effective_totals
from einvoice.domain.documents import CorrectionKind, Invoice, InvoiceTotals, RelatedDocument
from einvoice.domain.kinds import NAMES, DocumentKind
from einvoice.domain.lifecycle import Action, apply, document_class
from einvoice.domain.text import clean
from einvoice.domain.vntime import local_date
from einvoice.services import fee_requests
from einvoice.services.errors import ForbiddenError, problem
from einvoice.services.issuing import (
    Actor,
    IssuedDocument,
    IssueHooks,
    IssueRequest,
    Now,
    Toolchain,
    issue_document,
)
from einvoice.services.transitions import load, move, state_of
from einvoice.storage.schema import documents
from einvoice.xmldoc.parse import parse_document

#: ``load``, ``move`` and ``state_of`` are re-exported: they lived here before :mod:`einvoice.services.transitions`.
__all__ = ["REASON_MAX", "Correction", "authorise", "correct", "load", "move", "reason_text", "state_of"]

_KIND_OF = {Action.REPLACE: CorrectionKind.REPLACEMENT, Action.ADJUST: CorrectionKind.ADJUSTMENT}
REASON_MAX = 255


@dataclass(frozen=True, slots=True)
class Correction:
    """A correcting document to issue: what it corrects, how, why, and its own content (series, party, lines)."""

    original_id: int
    action: Action  # REPLACE or ADJUST
    reason: str
    content: IssueRequest


def correct(
    engine: Engine,
    correction: Correction,
    *,
    actor: Actor,
    now: Now,
    tools: Toolchain,
    hooks: IssueHooks | None = None,
) -> IssuedDocument:
    """Issue the replacement or adjustment ``correction`` describes, and move its original, in one transaction."""
    action, reason = correction.action, reason_text(correction.reason)
    if action not in _KIND_OF:
        raise ValueError(f"not a correcting action: {action}")
    with engine.connect() as conn:
        original = load(conn, correction.original_id)
        authorise(original, action, actor, now)
        apply(state_of(original), action, document_class(original["kind"], original["series"]))
        _same_kind(original, correction.content)
        adjustments = _adjustment_totals(conn, original) if action is Action.ADJUST else None
    related = RelatedDocument(
        _KIND_OF[action],
        template=original["template"],
        series=original["series"],
        number=str(original["number"]),
        issue_date=original["issue_date"],
        note=reason,
    )
    content: Any = replace(correction.content, related=related, corrects_id=original["id"])
    if adjustments is not None:
        first, later = adjustments
        so_far = effective_totals(first, later, template=original["template"], currency=original["currency"])
        content = replace(content, stated_so_far=so_far)
    outer = hooks or IssueHooks()

    def before_commit(conn: Connection, issued: IssuedDocument) -> None:
        if issued.template != original["template"]:
            raise problem(
                "correction_template",
                "series_id",
                f"Chứng từ sửa sai phải cùng mẫu số {original['template']} với chứng từ gốc.",
                f"the correcting document must have the original's template {original['template']}",
            )
        if adjustments is not None and _adjustment_count(conn, original["id"], issued.id) != len(adjustments[1]):
            raise problem(
                "concurrent_adjustment",
                "document",
                "Hóa đơn vừa được điều chỉnh bởi người khác; hãy xem lại và thử lại.",
                "another adjustment of this invoice was issued meanwhile: review it and try again",
            )
        move(conn, original["id"], action, actor, issued.created_at, related_id=issued.id, reason=reason)
        if action is Action.REPLACE:  # the one-stop software polls its request: it must name the receipt now standing
            fee_requests.follow_replacement(conn, original["id"], issued.id, issued.created_at)
        if outer.before_commit is not None:
            outer.before_commit(conn, issued)

    return issue_document(
        engine,
        content,
        actor=actor,
        now=now,
        tools=tools,
        hooks=IssueHooks(after_number=outer.after_number, before_commit=before_commit),
    )


def authorise(original: RowMapping, action: Action, actor: Actor, now: Now) -> None:
    """Refuse unless ``actor`` may apply ``action`` to ``original`` (see the module docstring)."""
    if actor.role in ("finance", "admin"):
        return
    if actor.role != "cashier":
        raise ForbiddenError("only staff correct documents")
    same_counter = actor.counter_id is not None and original["counter_id"] == actor.counter_id
    today = original["issue_date"] == local_date(now())
    if action is Action.REPLACE and DocumentKind(original["kind"]) is DocumentKind.RECEIPT and same_counter and today:
        return
    raise ForbiddenError("cashiers replace only receipts of their own counter issued today; ask finance staff")


def reason_text(text: str) -> str:
    """Return the reason for a correction as written (NFC, trimmed), or refuse an empty or too long one."""
    reason = clean(text or "")
    if not reason or len(reason) > REASON_MAX:
        raise problem(
            "reason",
            "reason",
            f"Hãy ghi lý do sửa sai (1 đến {REASON_MAX} ký tự).",
            f"give the reason for the correction (1 to {REASON_MAX} characters)",
        )
    return reason


def _same_kind(original: RowMapping, content: IssueRequest) -> None:
    kind = DocumentKind(original["kind"])
    if content.kind is not kind:
        raise problem(
            "correction_kind",
            "document",
            f"Chứng từ gốc là {NAMES[kind].noun_vi}: chứng từ sửa sai phải cùng loại.",
            f"the original is a {NAMES[kind].noun_en}: the correcting document must be one too",
        )


def _adjustment_rows(conn: Connection, original_id: int) -> Any:
    return select(documents.c.id).where(documents.c.corrects_id == original_id, documents.c.correction == "adjustment")


def _adjustment_count(conn: Connection, original_id: int, new_id: int) -> int:
    query = _adjustment_rows(conn, original_id).where(documents.c.id != new_id)
    return int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def _adjustment_totals(conn: Connection, original: RowMapping) -> tuple[InvoiceTotals, list[InvoiceTotals]]:
    ids = [original["id"], *conn.execute(_adjustment_rows(conn, original["id"]).order_by(documents.c.id)).scalars()]
    rows = conn.execute(select(documents.c.id, documents.c.xml).where(documents.c.id.in_(ids))).all()
    by_id = {row.id: parse_document(bytes(row.xml)) for row in rows}
    totals = [_invoice(by_id[i]).totals for i in ids]
    return totals[0], totals[1:]


def _invoice(document: object) -> Invoice:
    return cast(Invoice, document)  # only invoices are adjusted
