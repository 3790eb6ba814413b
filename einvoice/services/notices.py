"""Error notices for soft errors (04/SS, Circular 91 Art 10.1.a and 20): stored with the document's move to
``explained`` in one transaction. The notice is stored unsigned; signing and sending it (message 300) is the
transmission work's. Finance and admin staff notify errors of any document; a cashier, of the receipts they may
replace (their own counter's, issued the same day: :func:`einvoice.services.corrections.authorise`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import RowMapping

from einvoice.domain.corrections import SOFT_ERRORS
from einvoice.domain.lifecycle import Action, apply, document_class
from einvoice.domain.vntime import local_date
from einvoice.services.corrections import authorise, reason_text
from einvoice.services.errors import ForbiddenError, problem
from einvoice.services.issuing import Actor, Now
from einvoice.services.transitions import load, move, state_of
from einvoice.storage.engine import writing
from einvoice.storage.schema import error_notices, issuers, outbox_items, outbox_messages
from einvoice.xmldoc.notices import NoticedDocument, build_error_notice


def notify_error(
    engine: Engine, document_id: int, errors: Sequence[str], reason: str, *, actor: Actor, now: Now
) -> dict[str, Any]:
    """Record an error notice about document ``document_id`` and mark it explained; return the notice's row."""
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
    explanation = reason_text(reason)
    written = "; ".join([*(SOFT_ERRORS[error] for error in errors), explanation])[:255]
    moment = now()
    with writing(engine) as conn:
        row = load(conn, document_id, for_update=True)
        may_notify(row, actor, now)
        issuer = conn.execute(select(issuers.c.name, issuers.c.tax_code).where(issuers.c.id == row["issuer_id"])).one()
        noticed = NoticedDocument(
            row["kind"], row["template"], row["series"], row["number"], row["issue_date"], written
        )
        form, xml = build_error_notice(
            noticed, issuer_name=issuer.name, issuer_tax_code=issuer.tax_code, notice_date=local_date(moment)
        )
        values = {
            "issuer_id": row["issuer_id"],
            "document_id": document_id,
            "form": form,
            "reason": written,
            "xml": xml,
            "created_by": actor.user_id,
            "created_at": moment,
        }
        notice_id = conn.execute(error_notices.insert().values(values).returning(error_notices.c.id)).scalar_one()
        move(conn, document_id, Action.EXPLAIN, actor, moment, notice_id=notice_id, reason=written)
    values.pop("xml")
    return {"id": notice_id, **values}


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
