"""Error notices 04/SS (Circular 91 Art 10.1.a and 20): built, signed by the issuer and queued for the authority
(message 300) in the same transaction that moves the document, so a notice is sent exactly when it is recorded.

- :func:`notify_error`: a soft error (``TCTBao=4``, giải trình); the document becomes ``explained``.
- :func:`cancel_legacy`: the plain cancel (``TCTBao=1``, hủy) of an invoice of a legacy period, only when the
  ``LEGACY_CANCEL`` setting is on and the invoice was issued before 1 July 2026
  (:func:`einvoice.domain.lifecycle.legacy_cancel_allowed`); the document becomes ``cancelled``. Otherwise it is
  refused before anything is built: Circular 91 has no cancel procedure.

Finance and admin staff notify errors of any document; a cashier, of the receipts they may replace (their own
counter's, issued the same day: :func:`einvoice.services.corrections.authorise`). Only finance and admin staff cancel.
A coded invoice's notice names its code (``MCQTCap``). :func:`notices_of` says where each notice is on its way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.engine import RowMapping

from einvoice.domain.corrections import SOFT_ERRORS, soft_error_label
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.lifecycle import Action, apply, document_class, legacy_cancel_allowed
from einvoice.domain.vntime import local_date
from einvoice.services import outbox
from einvoice.services.authority import authority_code_in
from einvoice.services.corrections import authorise, reason_text
from einvoice.services.errors import ForbiddenError, problem
from einvoice.services.issuing import Actor, Now, Toolchain
from einvoice.services.transitions import load, move, state_of
from einvoice.storage.engine import writing
from einvoice.storage.schema import error_notices, issuers, outbox_items, outbox_messages
from einvoice.xmldoc import notices as xml_notices


def notify_error(
    engine: Engine, document_id: int, errors: Sequence[str], reason: str, *, actor: Actor, now: Now, tools: Toolchain
) -> dict[str, Any]:
    """Record, sign and queue an error notice about document ``document_id``, mark it explained; return the notice."""
    if actor.role not in ("finance", "admin", "cashier"):
        raise ForbiddenError("only staff notify errors")
    unknown = [error for error in errors if error not in SOFT_ERRORS]
    if unknown or not errors:
        raise problem(
            "soft_error",
            "errors",
            "Thông báo sai sót chỉ dùng cho sai tên, địa chỉ, số tiền bằng chữ; sai khác phải điều chỉnh, thay thế.",
            "an error notice is for names, addresses, amount in words: other errors need adjustment or replacement",
        )
    reason = reason_text(reason)
    with writing(engine) as conn:
        row = load(conn, document_id, for_update=True)
        may_notify(row, actor, now)
        kind = DocumentKind(row["kind"])
        written = "; ".join([*(soft_error_label(error, kind) for error in errors), reason])[:255]
        return _record(conn, row, Action.EXPLAIN, written, actor=actor, now=now, tools=tools)


def cancel_legacy(
    engine: Engine, document_id: int, reason: str, *, allowed: bool, actor: Actor, now: Now, tools: Toolchain
) -> dict[str, Any]:
    """Cancel an invoice of a legacy period by a notice ``TCTBao=1`` (``allowed``: the ``LEGACY_CANCEL`` setting)."""
    if actor.role not in ("finance", "admin"):
        raise ForbiddenError("only finance and admin staff cancel documents")
    written = reason_text(reason)
    with writing(engine) as conn:
        row = load(conn, document_id, for_update=True)
        if DocumentKind(row["kind"]) is not DocumentKind.INVOICE:
            raise problem(
                "cancel_receipt",
                "document",
                "Biên lai không có thủ tục hủy; biên lai sai được thay thế hoặc thông báo sai sót.",
                "receipts have no cancel procedure: replace them or notify the error",
            )
        legacy = legacy_cancel_allowed(allowed, row["issue_date"])
        # Refused here, before a notice is built, when the setting or the invoice's date does not allow it.
        apply(state_of(row), Action.CANCEL, document_class(row["kind"], row["series"]), legacy_cancel=legacy)
        return _record(conn, row, Action.CANCEL, written, actor=actor, now=now, tools=tools, legacy_cancel=legacy)


def may_notify(document: RowMapping, actor: Actor, now: Now) -> None:
    """Refuse unless ``actor`` may notify an error of ``document`` (see the module docstring), in its state now."""
    if actor.role == "cashier":
        authorise(document, Action.REPLACE, actor, now)  # a cashier notifies errors of what they may replace
    elif actor.role not in ("finance", "admin"):
        raise ForbiddenError("only staff notify errors")
    apply(state_of(document), Action.EXPLAIN, document_class(document["kind"], document["series"]))


def check_notifiable(engine: Engine, document_id: int, actor: Actor, now: Now) -> RowMapping:
    """Return document ``document_id`` if ``actor`` may notify an error of it now; raise saying why not."""
    with engine.connect() as conn:
        document = load(conn, document_id)
    may_notify(document, actor, now)
    return document


def notices_of(engine: Engine, document_id: int) -> list[dict[str, Any]]:
    """Return a document's error notices, oldest first, each with where it is on its way to the tax authority.

    ``status``: ``recorded`` (not queued yet), ``queued`` (waiting to be packed), or its message's state
    (``pending``, ``sent``, ``done``, ``parked``: see :mod:`einvoice.services.outbox`).
    """
    query = (
        select(
            error_notices.c.id,
            error_notices.c.form,
            error_notices.c.reason,
            error_notices.c.created_at,
            outbox_items.c.id.label("item_id"),
            outbox_messages.c.state.label("message_state"),
        )
        .outerjoin(outbox_items, outbox_items.c.notice_id == error_notices.c.id)
        .outerjoin(outbox_messages, outbox_messages.c.id == outbox_items.c.message_id)
        .where(error_notices.c.document_id == document_id)
        .order_by(error_notices.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    found = []
    for row in rows:
        status = row["message_state"] or ("queued" if row["item_id"] is not None else "recorded")
        found.append({key: row[key] for key in ("id", "form", "reason", "created_at")} | {"status": status})
    return found


def _record(
    conn: Connection,
    row: RowMapping,
    action: Action,
    written: str,
    *,
    actor: Actor,
    now: Now,
    tools: Toolchain,
    legacy_cancel: bool = False,
) -> dict[str, Any]:
    """Build, sign, store and queue the notice about ``row``, and move the document; return the notice's row."""
    moment = now()
    issuer = conn.execute(select(issuers).where(issuers.c.id == row["issuer_id"])).mappings().one()
    noticed = xml_notices.NoticedDocument(
        row["kind"],
        row["template"],
        row["series"],
        row["number"],
        row["issue_date"],
        written,
        authority_code=authority_code_in(conn, row["id"]),
    )
    form, built = xml_notices.build_error_notice(
        noticed,
        issuer_name=issuer["name"],
        issuer_tax_code=issuer["tax_code"],
        notice_date=local_date(moment),
        action=xml_notices.CANCEL if action is Action.CANCEL else xml_notices.EXPLAIN,
        office=xml_notices.TaxOffice(issuer["tax_office_code"], issuer["tax_office_name"], issuer["province"]),
    )
    values = {
        "issuer_id": row["issuer_id"],
        "document_id": row["id"],
        "form": form,
        "reason": written,
        "xml": tools.sign(built, issuer, moment),
        "created_by": actor.user_id,
        "created_at": moment,
    }
    notice_id = conn.execute(error_notices.insert().values(values).returning(error_notices.c.id)).scalar_one()
    outbox.enqueue_notice(conn, notice_id=notice_id, issuer_id=row["issuer_id"], now=moment)
    move(conn, row["id"], action, actor, moment, notice_id=notice_id, reason=written, legacy_cancel=legacy_cancel)
    values.pop("xml")
    return {"id": notice_id, **values}
